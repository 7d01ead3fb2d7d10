"""Exact-value lookup for md5 and sha256: a Hamming search at distance 0.

Cryptographic digests are uniform, so the multi-index's first chunk tables alone spread them
evenly; reusing `HammingIndex` gives the same incremental add/remove, the same snapshot
consistency and no per-entry Python objects (about 60 bytes per sha256 value instead of the
~300 of a dict of bytes). Values of each length live in their own sub-index, padded with zero
bytes to a multiple of 8; a value never matches a value of another length.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

from hashstop.matching.hamming import HammingIndex
from hashstop.matching.validation import as_ids

EXACT_CHUNK_TABLES = 2


class ExactIndex:
    """Ids with exact byte values (md5, sha256); search returns the ids holding each value."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_length: dict[int, HammingIndex] = {}

    def __len__(self) -> int:
        return sum(len(index) for index in list(self._by_length.values()))

    def add(self, ids: Iterable[int], values: Iterable[bytes]) -> None:
        """Add or replace (an id holds one value at a time; the last one, within a call)."""
        ids_a = _ids(ids)
        values_l = [bytes(v) for v in values]
        if ids_a.size != len(values_l):
            raise ValueError(f"{ids_a.size} ids but {len(values_l)} values")
        lengths = np.array([len(v) for v in values_l], dtype=np.int64)
        if (lengths == 0).any():
            raise ValueError("values must not be empty")
        _, last = np.unique(ids_a[::-1], return_index=True)
        keep = np.sort(ids_a.size - 1 - last)
        with self._lock:
            for length in np.unique(lengths[keep]).tolist():
                chosen = keep[lengths[keep] == length]
                self._index(length).add(ids_a[chosen], _codes([values_l[i] for i in chosen]))
            for length, index in self._by_length.items():
                index.remove(ids_a[keep][lengths[keep] != length])

    def remove(self, ids: Iterable[int]) -> None:
        """Withdraw ids (unknown ones are ignored), at once."""
        ids_a = _ids(ids)
        with self._lock:
            for index in self._by_length.values():
                index.remove(ids_a)

    def search(self, values: Iterable[bytes]) -> list[list[int]]:
        """For each value, the ids holding exactly it, ascending."""
        values_l = [bytes(v) for v in values]
        out: list[list[int]] = [[] for _ in values_l]
        by_length: dict[int, list[int]] = {}
        for i, v in enumerate(values_l):
            by_length.setdefault(len(v), []).append(i)
        for length, where in by_length.items():
            index = self._by_length.get(length)
            if index is None:
                continue
            found = index.search(_codes([values_l[i] for i in where]), 0)
            for i, matches in zip(where, found, strict=True):
                out[i] = sorted(hit for hit, _ in matches)
        return out

    def _index(self, length: int) -> HammingIndex:
        index = self._by_length.get(length)
        if index is None:
            bits = -(-length // 8) * 64
            index = HammingIndex(bits, chunk_tables=min(EXACT_CHUNK_TABLES, bits // 16))
            self._by_length[length] = index
        return index


def _ids(ids: Iterable[int]) -> npt.NDArray[np.int64]:
    return as_ids(ids if isinstance(ids, np.ndarray) else np.array(list(ids)))


def _codes(values: list[bytes]) -> npt.NDArray[np.uint8]:
    length = len(values[0])
    codes = np.zeros((len(values), -(-length // 8) * 8), dtype=np.uint8)
    codes[:, :length] = np.frombuffer(b"".join(values), dtype=np.uint8).reshape(-1, length)
    return codes
