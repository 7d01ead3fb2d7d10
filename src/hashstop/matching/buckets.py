"""Chunk keys, probe masks and the per-chunk bucket tables of the multi-index, in numpy.

Multi-index hashing rests on the pigeonhole principle: cut a code into C chunks of 16 bits; if
two codes differ in at most r bits, then for any budgets s_c >= 0 with sum(s_c) >= r + 1 some
chunk c differs in at most s_c - 1 bits. A search spends its budget on the chunks whose buckets
are smallest and probes, in each chunk, every key within s_c - 1 bits of the query's key.

A bucket table is CSR: for chunk c, `offsets[c, k] : offsets[c, k + 1]` delimits the positions
(int32, ascending within a bucket) of the codes whose chunk c equals k. This module only builds
tables; it refuses to search (the search kernels live beside it) and holds no mutable state.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

CHUNK_BITS = 16
KEYS = 1 << CHUNK_BITS
MAX_RADIUS = 2
"""Probes per chunk reach at most this many flipped bits (137 keys); larger budgets scan."""


def probe_masks() -> npt.NDArray[np.int64]:
    """Every 16-bit mask of weight <= MAX_RADIUS, lightest first (1, 16, 120 of them)."""
    singles = [1 << i for i in range(CHUNK_BITS)]
    doubles = [(1 << i) | (1 << j) for i in range(CHUNK_BITS) for j in range(i + 1, CHUNK_BITS)]
    return np.array([0, *singles, *doubles], dtype=np.int64)


BALL = np.array([0, 1, 1 + 16, 1 + 16 + 120], dtype=np.int64)
"""BALL[s]: number of probe keys for a chunk budget s (radius s - 1); BALL[0] = 0 (skipped)."""


def chunk_keys(codes: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint16]:
    """(n, C) little-endian 16-bit chunk keys of (n, bytes) codes; chunk c is bytes 2c, 2c+1."""
    return np.ascontiguousarray(codes).view("<u2")


class BucketTables:
    """Immutable CSR tables over code positions [0, n) for the first `chunks` chunks."""

    __slots__ = ("n", "offsets", "positions")

    def __init__(self, offsets: npt.NDArray[np.int32], positions: npt.NDArray[np.int32]) -> None:
        self.offsets = offsets
        self.positions = positions
        self.n = int(positions.shape[1])

    @classmethod
    def build(cls, codes: npt.NDArray[np.uint8], chunks: int) -> BucketTables:
        """Tables for `codes` (n, bytes); a stable radix sort per chunk, O(n) each."""
        n = int(codes.shape[0])
        if n >= 2**31 - 1:
            raise ValueError("a bucket table holds fewer than 2**31 codes")
        keys = chunk_keys(codes)
        offsets = np.zeros((chunks, KEYS + 1), dtype=np.int32)
        positions = np.empty((chunks, n), dtype=np.int32)
        for c in range(chunks):
            key = np.ascontiguousarray(keys[:, c])
            positions[c] = np.argsort(key, kind="stable")
            np.cumsum(np.bincount(key, minlength=KEYS), out=offsets[c, 1:])
        return cls(offsets, positions)

    @classmethod
    def empty(cls, chunks: int) -> BucketTables:
        return cls(
            np.zeros((chunks, KEYS + 1), dtype=np.int32), np.empty((chunks, 0), dtype=np.int32)
        )

    @property
    def nbytes(self) -> int:
        return int(self.offsets.nbytes + self.positions.nbytes)

    def merged(self, delta_codes: npt.NDArray[np.uint8]) -> BucketTables:
        """New tables that also hold positions [n, n + len(delta_codes)); O(n) per chunk."""
        n0, d = self.n, int(delta_codes.shape[0])
        if n0 + d >= 2**31 - 1:
            raise ValueError("a bucket table holds fewer than 2**31 codes")
        chunks = self.offsets.shape[0]
        keys = chunk_keys(delta_codes)
        offsets = np.empty_like(self.offsets)
        positions = np.empty((chunks, n0 + d), dtype=np.int32)
        keep_old = np.empty(n0 + d, dtype=bool)
        for c in range(chunks):
            key = np.ascontiguousarray(keys[:, c])
            order = np.argsort(key, kind="stable")
            offsets[c, 0] = 0
            np.cumsum(np.bincount(key, minlength=KEYS), out=offsets[c, 1:])
            offsets[c] += self.offsets[c]
            # The j-th new entry (by key) lands after its bucket's old entries and the j earlier
            # new ones: old end of its bucket + j.
            slots = self.offsets[c, key[order].astype(np.int64) + 1] + np.arange(d)
            keep_old.fill(True)
            keep_old[slots] = False
            positions[c, keep_old] = self.positions[c]
            positions[c, slots] = n0 + order
        return BucketTables(offsets, positions)
