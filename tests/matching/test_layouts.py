"""Chunk layouts chosen from N (issue 15): wide chunks stay exact, and the index changes its
layout as it grows, with removals applied at once throughout."""

from __future__ import annotations

import numpy as np
import pytest

from hashstop.matching import HammingIndex
from hashstop.matching.buckets import Layout
from tests.matching.brute import brute_force, planted, spread_over


def test_wider_chunks_as_the_index_grows() -> None:
    widths = [max(Layout.for_size(256, n, 31).widths) for n in (10**4, 10**6, 10**7, 2 * 10**7)]
    assert widths == sorted(widths)
    assert widths[0] <= 16 < widths[-1]
    assert Layout.for_size(256, 2 * 10**7, 31).chunks < 16


@pytest.mark.parametrize("chunks", [11, 12, 13, 16])
@pytest.mark.parametrize("r", [31, 32])
def test_wide_layouts_equal_brute_force_with_planted_neighbours(
    engine: str, chunks: int, r: int
) -> None:
    rng = np.random.default_rng(100 * chunks + r)
    n = 2000
    codes = rng.integers(0, 256, size=(n, 32), dtype=np.uint8)
    index = HammingIndex(256, engine=engine, chunks=chunks, scan_fraction=1.0, delta_limit=8)  # type: ignore[arg-type]
    layout = Layout.even(256, chunks)
    base = codes[rng.choice(n, size=3 * chunks, replace=False)]
    near = [spread_over(base[k], r, layout.starts, layout.widths, k) for k in range(chunks)]
    near += [planted(rng, c, r) for c in base[chunks : 2 * chunks]]
    past = [
        spread_over(base[2 * chunks + k], r + 1, layout.starts, layout.widths, k)
        for k in range(chunks)
    ]
    stored = np.concatenate([codes, np.stack(near)])
    state = {i: c.tobytes() for i, c in enumerate(stored)}
    index.add(np.arange(len(stored)), stored)
    index.compact()
    queries = np.concatenate([base, np.stack(past)])
    got = index.search(queries, r)
    assert got == brute_force(state, queries, r)
    # every stored neighbour at exactly r is found from its original
    for k in range(2 * chunks):
        assert (n + k, r) in got[k]


def test_growing_index_changes_layout_and_stays_exact(engine: str) -> None:
    rng = np.random.default_rng(5)
    index = HammingIndex(256, engine=engine, delta_limit=1000)  # type: ignore[arg-type]
    state: dict[int, bytes] = {}
    layouts = set()
    next_id = 0
    for step in range(4):
        count = 3000 * 4**step if step < 3 else 10_000
        codes = rng.integers(0, 256, size=(count, 32), dtype=np.uint8)
        ids = np.arange(next_id, next_id + count)
        next_id += count
        index.add(ids, codes)
        state.update({int(i): c.tobytes() for i, c in zip(ids, codes, strict=True)})
        gone = rng.choice(list(state), size=50, replace=False)
        gone_codes = np.stack([np.frombuffer(state[g], np.uint8) for g in gone.tolist()])
        index.remove(gone)
        for g in gone.tolist():
            del state[g]
        # removal is instant: a withdrawn code is not found even by its own value
        assert not {i for hits in index.search(gone_codes, 0) for i, _ in hits} & set(gone.tolist())
        layouts.add(index._snap.tables.layout)
        stored = np.frombuffer(b"".join(state.values()), np.uint8).reshape(-1, 32)
        picks = stored[rng.choice(len(stored), size=4, replace=False)]
        queries = np.stack(
            [planted(rng, c, d) for c, d in zip(picks, (0, 20, 31, 32), strict=True)]
            + [np.frombuffer(state[int(list(state)[0])], np.uint8)]
        )
        if step in (1, 3):  # brute force over every code is slow: check twice
            assert index.search(queries, 31) == brute_force(state, queries, 31)
    assert len(layouts) >= 2
