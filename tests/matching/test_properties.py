"""Property tests: any sequence of adds, removes, compactions and searches equals brute force."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from hashstop.matching import HammingIndex
from tests.matching.brute import brute_force, flip

BASES = {
    bits: np.random.default_rng(bits).integers(0, 256, (4, bits // 8), np.uint8)
    for bits in (64, 256)
}


@st.composite
def codes_near_bases(draw: st.DrawFn, bits: int) -> bytes:
    """A base code with some bits flipped: neighbours at any distance, exact thresholds included."""
    base = BASES[bits][draw(st.integers(0, 3))]
    flips = draw(st.lists(st.integers(0, bits - 1), max_size=40, unique=True))
    return flip(base, flips).tobytes()


def operations(bits: int) -> st.SearchStrategy[list[tuple[Any, ...]]]:
    ids = st.integers(0, 25)
    add = st.tuples(
        st.just("add"), st.lists(st.tuples(ids, codes_near_bases(bits)), min_size=0, max_size=12)
    )
    remove = st.tuples(st.just("remove"), st.lists(ids, max_size=8))
    search = st.tuples(
        st.just("search"),
        st.lists(codes_near_bases(bits), min_size=0, max_size=4),
        st.integers(0, bits // 4 + 8),
    )
    compact = st.tuples(st.just("compact"))
    return st.lists(st.one_of(add, remove, search, compact), max_size=25)


def _run(bits: int, engine: str, ops: list[tuple[Any, ...]]) -> None:
    index = HammingIndex(bits, engine=engine, delta_limit=3, scan_fraction=1.0)  # type: ignore[arg-type]
    state: dict[int, bytes] = {}
    for op in ops:
        if op[0] == "add":
            pairs = op[1]
            ids = np.array([i for i, _ in pairs], dtype=np.int64)
            codes = np.frombuffer(b"".join(c for _, c in pairs), np.uint8).reshape(
                len(pairs), bits // 8
            )
            index.add(ids, codes)
            state.update(dict(pairs))
        elif op[0] == "remove":
            index.remove(np.array(op[1], dtype=np.int64))
            for i in op[1]:
                state.pop(i, None)
        elif op[0] == "compact":
            index.compact()
        else:
            queries = np.frombuffer(b"".join(op[1]), np.uint8).reshape(len(op[1]), bits // 8)
            assert index.search(queries, op[2]) == brute_force(state, queries, op[2])
        assert len(index) == len(state)
    everything = BASES[bits]
    assert index.search(everything, bits // 8) == brute_force(state, everything, bits // 8)


@settings(max_examples=60, deadline=None)
@given(ops=operations(256))
def test_pdq_sized_codes(engine: str, ops: list[tuple[Any, ...]]) -> None:
    _run(256, engine, ops)


@settings(max_examples=60, deadline=None)
@given(ops=operations(64))
def test_phash_sized_codes(engine: str, ops: list[tuple[Any, ...]]) -> None:
    _run(64, engine, ops)
