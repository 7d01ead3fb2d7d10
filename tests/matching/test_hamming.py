"""HammingIndex against brute force on seeded random codes, edges planted at the threshold."""

from __future__ import annotations

import numpy as np
import pytest

from hashstop.matching import HammingIndex
from tests.matching.brute import brute_force, planted, spread

LIMITS = {256: 31, 64: 10}


def _random_state(rng: np.random.Generator, n: int, bits: int) -> dict[int, bytes]:
    ids = rng.choice(10 * n, size=n, replace=False)
    codes = rng.integers(0, 256, size=(n, bits // 8), dtype=np.uint8)
    return {int(i): c.tobytes() for i, c in zip(ids, codes, strict=True)}


def _load(index: HammingIndex, state: dict[int, bytes]) -> None:
    ids = np.array(list(state), dtype=np.int64)
    index.add(ids, np.frombuffer(b"".join(state.values()), np.uint8).reshape(len(ids), -1))


@pytest.mark.parametrize("scan_fraction", [1.0, 0.0], ids=["probe", "scan"])
@pytest.mark.parametrize("bits", [256, 64])
def test_planted_neighbours_at_and_past_every_threshold(
    engine: str, bits: int, scan_fraction: float
) -> None:
    rng = np.random.default_rng(bits)
    state = _random_state(rng, 3000, bits)
    index = HammingIndex(bits, engine=engine, scan_fraction=scan_fraction, delta_limit=8)  # type: ignore[arg-type]
    _load(index, state)
    stored = np.frombuffer(b"".join(state.values()), np.uint8).reshape(len(state), -1)
    for r in range(LIMITS[bits] + 1):
        base = stored[rng.choice(len(stored), size=8, replace=False)]
        at_r = [planted(rng, c, r) for c in base[:3]] + [spread(base[3], r, 5)]
        past_r = [planted(rng, c, r + 1) for c in base[4:7]] + [spread(base[7], r + 1, 9)]
        queries = np.stack(at_r + past_r)
        got = index.search(queries, r)
        assert got == brute_force(state, queries, r)
        assert all(len(hits) >= 1 for hits in got[:4])  # at exactly r: found


@pytest.mark.parametrize(
    ("bits", "radii"), [(256, [1, 15, 16, 17, 30, 31]), (64, [1, 3, 5, 9, 10])]
)
def test_tightest_pigeonhole_cases(engine: str, bits: int, radii: list[int]) -> None:
    """Neighbours whose chunks are all as far as allowed, the short chunks in every position:
    a plan that spends one probe too few misses one of them."""
    rng = np.random.default_rng(9)
    state = _random_state(rng, 500, bits)
    query = rng.integers(0, 256, size=bits // 8, dtype=np.uint8)
    for r in radii:
        near = {10_000 + 100 * r + k: spread(query, r, k).tobytes() for k in range(bits // 16)}
        index = HammingIndex(bits, engine=engine, scan_fraction=1.0, delta_limit=8)  # type: ignore[arg-type]
        _load(index, {**state, **near})
        got = index.search(query[None, :], r)[0]
        assert {i for i, _ in got} >= set(near)
        assert got == brute_force({**state, **near}, query[None, :], r)[0]


@pytest.mark.parametrize("bits", [256, 64])
def test_past_the_designed_threshold_still_exact(engine: str, bits: int) -> None:
    rng = np.random.default_rng(7)
    state = _random_state(rng, 1500, bits)
    index = HammingIndex(bits, engine=engine, scan_fraction=1.0, delta_limit=8)  # type: ignore[arg-type]
    _load(index, state)
    stored = np.frombuffer(b"".join(state.values()), np.uint8).reshape(len(state), -1)
    for r in (LIMITS[bits] + 1, LIMITS[bits] + 2, 3 * bits // 16 + 1, bits // 2, bits):
        queries = np.stack([planted(rng, stored[i], min(r, bits)) for i in range(4)])
        assert index.search(queries, r) == brute_force(state, queries, r)


def test_duplicate_codes_under_different_ids_and_ties_by_id(engine: str) -> None:
    rng = np.random.default_rng(3)
    code = rng.integers(0, 256, size=32, dtype=np.uint8)
    twins = {i: code.tobytes() for i in (50, 7, 31)}
    near = {9: planted(rng, code, 2).tobytes(), 4: planted(rng, code, 2).tobytes()}
    state = {**twins, **near, **_random_state(rng, 200, 256)}
    index = HammingIndex(256, engine=engine, scan_fraction=1.0, delta_limit=8)  # type: ignore[arg-type]
    _load(index, state)
    got = index.search(code[None, :], 31)[0]
    assert got[:5] == [(7, 0), (31, 0), (50, 0), (4, 2), (9, 2)]
    assert got == brute_force(state, code[None, :], 31)[0]


def test_readd_replaces_and_remove_is_immediate(engine: str) -> None:
    rng = np.random.default_rng(4)
    state = _random_state(rng, 500, 256)
    index = HammingIndex(256, engine=engine, delta_limit=64, scan_fraction=1.0)  # type: ignore[arg-type]
    _load(index, state)
    victims = list(state)[:40]
    index.remove(victims + [10**12, -5])  # unknown ids are ignored
    for v in victims:
        del state[v]
    moved = list(state)[:30]
    fresh = rng.integers(0, 256, size=(30, 32), dtype=np.uint8)
    index.add(np.array(moved), fresh)
    state.update({m: c.tobytes() for m, c in zip(moved, fresh, strict=True)})
    back = victims[:10]
    again = rng.integers(0, 256, size=(10, 32), dtype=np.uint8)
    index.add(np.array(back), again)
    state.update({b: c.tobytes() for b, c in zip(back, again, strict=True)})
    assert len(index) == len(state)
    queries = np.concatenate([fresh[:5], again[:5], rng.integers(0, 256, (3, 32), np.uint8)])
    assert index.search(queries, 31) == brute_force(state, queries, 31)


def test_last_code_wins_within_one_call(engine: str) -> None:
    index = HammingIndex(64, engine=engine, scan_fraction=1.0, delta_limit=8)  # type: ignore[arg-type]
    codes = np.array([[1] * 8, [2] * 8, [3] * 8], dtype=np.uint8)
    index.add(np.array([5, 6, 5]), codes)
    assert len(index) == 2
    assert index.search(codes, 0) == [[], [(6, 0)], [(5, 0)]]


def test_empty_index_and_empty_batch(engine: str) -> None:
    index = HammingIndex(256, engine=engine, scan_fraction=1.0, delta_limit=8)  # type: ignore[arg-type]
    assert len(index) == 0
    assert index.search(np.zeros((2, 32), np.uint8), 31) == [[], []]
    assert index.search(np.zeros((0, 32), np.uint8), 31) == []
    index.add(np.array([1]), np.zeros((1, 32), np.uint8))
    assert index.search(np.zeros((0, 32), np.uint8), 31) == []
    assert index.search([], 31) == []
    index.remove([1])
    assert index.search(np.zeros((1, 32), np.uint8), 31) == [[]]
    index.add(np.empty(0, np.int64), np.empty((0, 32), np.uint8))
    assert len(index) == 0


def test_incremental_across_merges_and_purges(engine: str) -> None:
    """Many small mutations with tiny compaction limits: every intermediate state exact."""
    rng = np.random.default_rng(5)
    index = HammingIndex(256, engine=engine, delta_limit=16, scan_fraction=1.0)  # type: ignore[arg-type]
    state: dict[int, bytes] = {}
    probes = rng.integers(0, 256, size=(4, 32), dtype=np.uint8)
    for step in range(60):
        k = int(rng.integers(1, 40))
        ids = rng.integers(0, 300, size=k)
        codes = np.stack(
            [planted(rng, probes[rng.integers(4)], int(rng.integers(0, 40))) for _ in ids]
        )
        index.add(ids, codes)
        state.update({int(i): c.tobytes() for i, c in zip(ids, codes, strict=True)})
        gone = rng.integers(0, 300, size=int(rng.integers(0, 30)))
        index.remove(gone)
        for g in gone.tolist():
            state.pop(g, None)
        if step % 20 == 19:
            index.compact()
        assert len(index) == len(state)
        assert index.search(probes, 31) == brute_force(state, probes, 31)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda i: i.add(np.array([1]), np.zeros((1, 31), np.uint8)), r"shape \(n, 32\)"),
        (lambda i: i.add(np.array([1, 2]), np.zeros((1, 32), np.uint8)), "2 ids but 1 codes"),
        (lambda i: i.add(np.array([1]), np.full((1, 32), 300)), r"bytes \(0..255\)"),
        (lambda i: i.search(np.zeros((1, 8), np.uint8), 3), r"shape \(n, 32\)"),
        (lambda i: i.search(np.zeros((1, 32), np.uint8), -1), ">= 0"),
        (lambda i: i.add(np.array([[1]]), np.zeros((1, 32), np.uint8)), "one-dimensional"),
    ],
)
def test_bad_input_is_refused_clearly(call: object, message: str) -> None:
    index = HammingIndex(256, engine="numpy")
    with pytest.raises(ValueError, match=message):
        call(index)  # type: ignore[operator]


def test_bad_types_and_widths() -> None:
    with pytest.raises(ValueError, match="multiple of 64"):
        HammingIndex(100)
    index = HammingIndex(64, engine="numpy")
    with pytest.raises(TypeError, match="integer"):
        index.search(np.zeros((1, 8), np.uint8), 2.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="integers"):
        index.add(np.array([1.5]), np.zeros((1, 8), np.uint8))
