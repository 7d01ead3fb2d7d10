"""Exact matching of hashes, pure: numpy only, no web framework, no database.

INTERIM: a brute-force reference implementation that fixes the interface; the fast index
replaces it (issue 3). Results are exact, only slow.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence

import numpy as np
import numpy.typing as npt


class HammingIndex:
    """Ids with fixed-width binary codes; search returns every id within a Hamming distance."""

    def __init__(self, bits: int = 256) -> None:
        if bits % 64:
            raise ValueError("bits must be a multiple of 64")
        self.bits = bits
        self._lock = threading.Lock()
        self._ids = np.empty(0, dtype=np.int64)
        self._codes = np.empty((0, bits // 8), dtype=np.uint8)

    def __len__(self) -> int:
        return int(self._ids.size)

    def add(self, ids: npt.ArrayLike, codes: npt.ArrayLike) -> None:
        ids_a = np.asarray(ids, dtype=np.int64).reshape(-1)
        codes_a = np.asarray(codes, dtype=np.uint8).reshape(-1, self.bits // 8)
        if ids_a.size != codes_a.shape[0]:
            raise ValueError("ids and codes differ in length")
        with self._lock:
            keep = ~np.isin(self._ids, ids_a)
            self._ids = np.concatenate([self._ids[keep], ids_a])
            self._codes = np.concatenate([self._codes[keep], codes_a])

    def remove(self, ids: npt.ArrayLike) -> None:
        ids_a = np.asarray(ids, dtype=np.int64).reshape(-1)
        with self._lock:
            keep = ~np.isin(self._ids, ids_a)
            self._ids, self._codes = self._ids[keep], self._codes[keep]

    def search(self, queries: npt.ArrayLike, max_distance: int) -> list[Sequence[tuple[int, int]]]:
        q = np.asarray(queries, dtype=np.uint8).reshape(-1, self.bits // 8)
        ids, codes = self._ids, self._codes
        out: list[Sequence[tuple[int, int]]] = []
        for row in q:
            d = np.bitwise_count(np.bitwise_xor(codes, row)).sum(axis=1)
            hit = np.flatnonzero(d <= max_distance)
            order = hit[np.lexsort((ids[hit], d[hit]))]
            out.append([(int(ids[i]), int(d[i])) for i in order])
        return out


class ExactIndex:
    """Ids with exact byte values (md5, sha256); search returns the ids holding each value."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_value: dict[bytes, set[int]] = {}
        self._by_id: dict[int, bytes] = {}

    def __len__(self) -> int:
        return len(self._by_id)

    def add(self, ids: Iterable[int], values: Iterable[bytes]) -> None:
        with self._lock:
            for i, v in zip(ids, values, strict=True):
                self._discard(int(i))
                self._by_id[int(i)] = bytes(v)
                self._by_value.setdefault(bytes(v), set()).add(int(i))

    def remove(self, ids: Iterable[int]) -> None:
        with self._lock:
            for i in ids:
                self._discard(int(i))

    def search(self, values: Iterable[bytes]) -> list[list[int]]:
        return [sorted(self._by_value.get(bytes(v), ())) for v in values]

    def _discard(self, i: int) -> None:
        v = self._by_id.pop(i, None)
        if v is not None:
            s = self._by_value[v]
            s.discard(i)
            if not s:
                del self._by_value[v]


__all__ = ["ExactIndex", "HammingIndex"]
