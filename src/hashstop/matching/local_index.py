"""The index of local hashes: their 64-bit codes in an exact Hamming index, and beside each id
the photo it belongs to and its frame, so that hits can be grouped by photo and checked for
geometric agreement without a database round trip.

Why not the database: an upload's 48 local hashes meet thousands of chance hits among tens of
millions of stored patches (textures repeat), nearly all on photos with one or two hits; the
geometric check must see them all, in memory, to keep the one photo whose hits agree.

Storage beside the codes is two flat arrays indexed by hash id (hash ids are the database's
dense primary keys): 12 bytes per id up to the largest id. A writer fills an id's photo and
frame before the id reaches the Hamming index, so a reader that finds an id finds its data;
growing replaces the arrays whole (readers keep the ones they started with). Removal is the
Hamming index's; stale side data of a removed id is never read.

Pure numpy; exact for whatever it indexes. It refuses values that are not 12 bytes.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from hashstop.matching.geometry import agreement
from hashstop.matching.hamming import HammingIndex

VALUE_BYTES = 12  # 8 bytes of code, 4 of frame
CODE_BYTES = 8


def frames_of(values: npt.NDArray[np.uint8]) -> npt.NDArray[np.int64]:
    """(n, 4) x, y, scale, angle from (n, 12) values: the frame word is big-endian, x << 22 |
    y << 12 | scale << 6 | angle (see `hashstop.hashing.local.Frame`)."""
    word = values[:, CODE_BYTES:].astype(np.uint32)
    w = (word[:, 0] << 24) | (word[:, 1] << 16) | (word[:, 2] << 8) | word[:, 3]
    w64 = w.astype(np.int64)
    return np.stack([w64 >> 22, (w64 >> 12) & 1023, (w64 >> 6) & 63, w64 & 63], axis=1)


@dataclass(frozen=True, slots=True)
class LocalHit:
    """A stored local hash that belongs to a set of hits agreeing on one transform."""

    hash_id: int
    photo: int
    distance: int


class LocalIndex:
    """Local hashes by id, with their photo (any integer key) and frame."""

    def __init__(self, *, engine: str = "auto") -> None:
        self.codes = HammingIndex(64, engine=engine)  # type: ignore[arg-type]
        self._photo = np.zeros(0, np.int64)
        self._frame = np.zeros(0, np.uint32)
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.codes)

    def memory_bytes(self) -> int:
        return self.codes.memory_bytes() + self._photo.nbytes + self._frame.nbytes

    def add(self, ids: Sequence[int], values: Sequence[bytes], photos: Sequence[int]) -> None:
        if not len(ids):
            return
        if any(len(v) != VALUE_BYTES for v in values):
            raise ValueError(f"a local hash is {VALUE_BYTES} bytes")
        id_a = np.asarray(ids, dtype=np.int64)
        raw = np.frombuffer(b"".join(values), np.uint8).reshape(-1, VALUE_BYTES)
        word = raw[:, CODE_BYTES:].astype(np.uint32)
        frame = (word[:, 0] << 24) | (word[:, 1] << 16) | (word[:, 2] << 8) | word[:, 3]
        with self._lock:
            top = int(id_a.max()) + 1
            if top > self._photo.size:
                size = max(top, int(self._photo.size * 1.25) + 1024)
                photo = np.zeros(size, np.int64)
                photo[: self._photo.size] = self._photo
                frames = np.zeros(size, np.uint32)
                frames[: self._frame.size] = self._frame
                self._photo, self._frame = photo, frames
            self._photo[id_a] = np.asarray(photos, dtype=np.int64)
            self._frame[id_a] = frame
            self.codes.add(id_a, np.ascontiguousarray(raw[:, :CODE_BYTES]))

    def remove(self, ids: Sequence[int]) -> None:
        self.codes.remove(np.asarray(ids, dtype=np.int64))

    def search(
        self, values: Sequence[bytes], max_distance: int, min_agreeing: int
    ) -> list[LocalHit]:
        """The stored hashes of every photo on which at least `min_agreeing` of the query's
        hits agree on one transform (`geometry.agreement`); one query = one upload."""
        if not values or not len(self.codes):
            return []
        raw = np.frombuffer(b"".join(values), np.uint8).reshape(-1, VALUE_BYTES)
        found = self.codes.search(np.ascontiguousarray(raw[:, :CODE_BYTES]), max_distance)
        rows = np.array([q for q, hits in enumerate(found) for _ in hits], dtype=np.int64)
        if rows.size < min_agreeing:
            return []
        ids = np.array([i for hits in found for i, _ in hits], dtype=np.int64)
        dist = np.array([d for hits in found for _, d in hits], dtype=np.int64)
        photo_of, frame_of = self._photo, self._frame  # one consistent pair of arrays
        photos = photo_of[ids]
        order = np.lexsort((ids, photos))
        rows, ids, dist, photos = rows[order], ids[order], dist[order], photos[order]
        starts = np.flatnonzero(np.r_[True, photos[1:] != photos[:-1]])
        ends = np.r_[starts[1:], photos.size]
        query_frames = frames_of(raw)
        out: list[LocalHit] = []
        for a, b in zip(starts, ends, strict=True):
            if b - a < min_agreeing:
                continue
            stored = frames_of(_frame_bytes(frame_of[ids[a:b]]))
            count, agree = agreement(query_frames[rows[a:b]], stored, rows[a:b], ids[a:b])
            if count >= min_agreeing:
                out += [
                    LocalHit(int(i), int(photos[a]), int(d))
                    for i, d in zip(ids[a:b][agree], dist[a:b][agree], strict=True)
                ]
        return out


def _frame_bytes(words: npt.NDArray[np.uint32]) -> npt.NDArray[np.uint8]:
    """(n, 12) values whose frame part holds `words` (the code part is not read)."""
    out = np.zeros((words.size, VALUE_BYTES), np.uint8)
    out[:, CODE_BYTES:] = words.astype(">u4").view(np.uint8).reshape(-1, 4)
    return out
