"""The multi-index search in plain numpy: the same plan and the same rows as `search_jit`.

It answers while numba compiles (the first compile takes seconds; see `kernels.py`), and where
numba is not installed. It loops over queries in Python and vectorises within a query, so it is
several times slower than the compiled path; it is never less exact.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from hashstop.matching.buckets import BucketTables

Rows = npt.NDArray[np.int64]


def query_keys(query: npt.NDArray[np.uint64], tables: BucketTables) -> npt.NDArray[np.int64]:
    """The query's key in every chunk."""
    layout = tables.layout
    return np.array(
        [int(layout.keys(query[None, :], c)[0]) for c in range(layout.chunks)], dtype=np.int64
    )


def plan(
    keys: npt.NDArray[np.int64], r: int, tables: BucketTables
) -> tuple[npt.NDArray[np.int64], int]:
    """Budgets per chunk (sum r + 1) and the candidate count; count -1 means scan."""
    chunks = keys.size
    ball, masks, offsets = tables.ball, tables.masks, tables.offsets
    low, extra = divmod(r + 1, chunks)
    top = low + (1 if extra else 0)
    budgets = np.full(chunks, low, dtype=np.int64)
    if top >= ball.shape[1]:
        return budgets, -1
    lo = np.zeros(chunks, dtype=np.int64)
    hi = np.zeros(chunks, dtype=np.int64)
    for c in range(chunks):
        probe = tables.base[c] + (keys[c] ^ masks[c, : ball[c, top]])
        sizes = (offsets[probe + 1] - offsets[probe]).astype(np.int64)
        lo[c] = sizes[: ball[c, low]].sum()
        hi[c] = sizes.sum()
    total = int(lo.sum())
    if extra:
        marginal = hi - lo + ball[:, top] - ball[:, low]
        chosen = np.argsort(marginal, kind="stable")[:extra]
        budgets[chosen] += 1
        total += int((hi - lo)[chosen].sum())
    return budgets, total


def search_batch(
    queries: npt.NDArray[np.uint64],
    r: int,
    tables: BucketTables,
    codes: npt.NDArray[np.uint64],
    n: int,
    dead: npt.NDArray[np.uint8],
    scan_limit: int,
) -> Rows:
    """Rows (query, position, distance) of every live code within r; duplicates possible."""
    n_main = tables.n
    found: list[Rows] = []
    for qi, query in enumerate(queries):
        keys = query_keys(query, tables)
        budgets, total = plan(keys, r, tables) if n_main else (keys, 0)
        first_direct = n_main
        if total < 0 or total > scan_limit:
            first_direct = 0
        elif total:
            parts = []
            for c in range(keys.size):
                probe = tables.base[c] + (keys[c] ^ tables.masks[c, : tables.ball[c, budgets[c]]])
                starts = tables.offsets[probe].astype(np.int64)
                counts = tables.offsets[probe + 1] - starts
                at = np.repeat(starts - np.cumsum(counts) + counts, counts)
                parts.append(tables.positions[c, at + np.arange(at.size)])
            candidates = np.concatenate(parts)
            found.append(_verify(qi, query, codes[candidates], candidates, r, dead))
        direct = np.arange(first_direct, n)
        found.append(_verify(qi, query, codes[first_direct:n], direct, r, dead))
    return np.concatenate(found) if found else np.empty((0, 3), dtype=np.int64)


def _verify(
    qi: int,
    query: npt.NDArray[np.uint64],
    rows_codes: npt.NDArray[np.uint64],
    candidates: npt.NDArray[np.integer],
    r: int,
    dead: npt.NDArray[np.uint8],
) -> Rows:
    distance = np.bitwise_count(rows_codes ^ query).sum(axis=1, dtype=np.int64)
    near = candidates[distance <= r].astype(np.int64)
    alive = ((dead[near >> 3] >> (near & 7).astype(np.uint8)) & 1) == 0
    near = near[alive]
    rows = np.empty((near.size, 3), dtype=np.int64)
    rows[:, 0] = qi
    rows[:, 1] = near
    rows[:, 2] = distance[distance <= r][alive]
    return rows
