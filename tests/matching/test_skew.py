"""Skewed data: clusters of near-duplicates, biased bits, real PDQ hashes. Exact, never collapsing.

Clusters put thousands of codes in the same buckets of every chunk; the index must notice (the
planned candidate count exceeds its share of the codes) and scan instead, with the same answer.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from hashstop.matching import HammingIndex
from hashstop.matching.buckets import BucketTables, Layout
from hashstop.matching.hamming import SCAN_FRACTION
from hashstop.matching.search_numpy import plan, query_keys
from tests.matching.brute import brute_force, flip


def _cluster(rng: np.random.Generator, centre: NDArray[np.uint8], n: int, spread: int):
    return np.stack(
        [
            flip(centre, rng.choice(256, size=rng.integers(0, spread + 1), replace=False))
            for _ in range(n)
        ]
    )


def test_tight_cluster_takes_the_scan_path_and_stays_exact(engine: str) -> None:
    rng = np.random.default_rng(11)
    centre = rng.integers(0, 256, size=32, dtype=np.uint8)
    cluster = _cluster(rng, centre, 3000, 4)
    background = rng.integers(0, 256, size=(2000, 32), dtype=np.uint8)
    codes = np.concatenate([cluster, background])
    state = {i: c.tobytes() for i, c in enumerate(codes)}
    index = HammingIndex(256, engine=engine, delta_limit=8)  # type: ignore[arg-type]
    index.add(np.arange(len(codes)), codes)

    tables = BucketTables.build(codes, Layout.for_size(256, len(codes), 31))
    _, candidates = plan(query_keys(centre.view("<u8"), tables), 31, tables)
    assert candidates > SCAN_FRACTION * len(codes)  # this query does take the scan path

    queries = np.stack([centre, flip(centre, range(20)), cluster[5], background[3]])
    for r in (0, 8, 31):
        assert index.search(queries, r) == brute_force(state, queries, r)


def test_biased_bits(engine: str) -> None:
    """Each bit is 1 with probability 0.1: most chunks share a handful of keys."""
    rng = np.random.default_rng(12)
    bits = (rng.random((4000, 256)) < 0.1).astype(np.uint8)
    codes = np.packbits(bits, axis=1, bitorder="little")
    state = {i: c.tobytes() for i, c in enumerate(codes)}
    index = HammingIndex(256, engine=engine, delta_limit=8)  # type: ignore[arg-type]
    index.add(np.arange(len(codes)), codes)
    queries = np.concatenate(
        [
            codes[:3],
            np.zeros((1, 32), np.uint8),
            np.packbits((rng.random((2, 256)) < 0.1).astype(np.uint8), axis=1, bitorder="little"),
        ]
    )
    for r in (10, 31):
        assert index.search(queries, r) == brute_force(state, queries, r)


def test_conformance_pdq_hashes(engine: str, conformance: dict[str, Any]) -> None:
    """The reference PDQ hashes of the conformance images (near-duplicate edits, dihedral
    variants) among random ones: every query answered exactly at several thresholds."""
    hexes = sorted(
        {h for case in conformance["cases"] for h in [case["pdq"], *case["pdq_dihedral"]]}
    )
    pdq = np.array([list(bytes.fromhex(h)) for h in hexes], dtype=np.uint8)
    rng = np.random.default_rng(13)
    codes = np.concatenate([pdq, rng.integers(0, 256, size=(3000, 32), dtype=np.uint8)])
    state = {i: c.tobytes() for i, c in enumerate(codes)}
    index = HammingIndex(256, engine=engine, delta_limit=8)  # type: ignore[arg-type]
    index.add(np.arange(len(codes)), codes)
    for r in (0, 16, 31, 40):
        got = index.search(pdq, r)
        assert got == brute_force(state, pdq, r)
    assert sum(len(g) for g in index.search(pdq, 31)) > len(pdq)  # the edits do match each other
