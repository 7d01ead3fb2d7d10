"""The multi-index search in plain numpy: the same plan and the same rows as `search_jit`.

It answers while numba compiles (the first compile takes seconds; see `kernels.py`), and where
numba is not installed. It loops over queries in Python and vectorises within a query, so it is
several times slower than the compiled path; it is never less exact.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from hashstop.matching.buckets import BALL

Rows = npt.NDArray[np.int64]


def plan(
    keys: npt.NDArray[np.int64],
    r: int,
    offsets: npt.NDArray[np.int32],
    masks: npt.NDArray[np.int64],
) -> tuple[npt.NDArray[np.int64], int]:
    """Budgets per chunk (sum r + 1) and the candidate count; count -1 means scan."""
    chunks = offsets.shape[0]
    base, extra = divmod(r + 1, chunks)
    top = base + (1 if extra else 0)
    budgets = np.full(chunks, base, dtype=np.int64)
    if top >= BALL.size:
        return budgets, -1
    probe = keys[:, None] ^ masks[None, : BALL[top]]
    rows = np.arange(chunks)[:, None]
    sizes = (offsets[rows, probe + 1] - offsets[rows, probe]).astype(np.int64)
    lo = sizes[:, : BALL[base]].sum(axis=1)
    total = int(lo.sum())
    if extra:
        marginal = sizes.sum(axis=1) - lo
        chosen = np.argsort(marginal, kind="stable")[:extra]
        budgets[chosen] += 1
        total += int(marginal[chosen].sum())
    return budgets, total


def search_batch(
    queries: npt.NDArray[np.uint64],
    r: int,
    offsets: npt.NDArray[np.int32],
    positions: npt.NDArray[np.int32],
    codes: npt.NDArray[np.uint64],
    n: int,
    dead: npt.NDArray[np.uint8],
    masks: npt.NDArray[np.int64],
    scan_limit: int,
) -> Rows:
    """Rows (query, position, distance) of every live code within r; duplicates possible."""
    chunks = offsets.shape[0]
    n_main = positions.shape[1]
    flat_positions = positions.reshape(-1)
    shifts = (16 * (np.arange(chunks) & 3)).astype(np.uint64)
    found: list[Rows] = []
    for qi, query in enumerate(queries):
        keys = ((query[np.arange(chunks) >> 2] >> shifts) & np.uint64(0xFFFF)).astype(np.int64)
        budgets, total = plan(keys, r, offsets, masks) if n_main else (keys, 0)
        first_direct = n_main
        if total < 0 or total > scan_limit:
            first_direct = 0
        elif total:
            chunk_of = np.repeat(np.arange(chunks), BALL[budgets])
            probe = np.repeat(keys, BALL[budgets]) ^ np.concatenate(
                [masks[:b] for b in BALL[budgets]]
            )
            starts = offsets[chunk_of, probe].astype(np.int64)
            counts = offsets[chunk_of, probe + 1] - starts
            base = np.repeat(starts + chunk_of * n_main - np.cumsum(counts) + counts, counts)
            candidates = flat_positions[base + np.arange(base.size)]
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
