"""Checks at the index's boundary: one clear ValueError/TypeError instead of a wrong answer.

numpy would happily reshape a 31-byte code into something, or wrap 300 into 44; the index
refuses instead, and says what it expected.
"""

from __future__ import annotations

import numbers

import numpy as np
import numpy.typing as npt


def as_ids(ids: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """A 1-D int64 array of ids (integers that fit in int64)."""
    a = np.asarray(ids)
    if a.size == 0:
        return np.empty(0, dtype=np.int64)
    if a.ndim != 1:
        raise ValueError(f"ids must be one-dimensional, got shape {a.shape}")
    if a.dtype.kind not in "iu":
        raise TypeError(f"ids must be integers, got {a.dtype}")
    if a.dtype.kind == "u" and a.dtype.itemsize == 8 and int(a.max()) > np.iinfo(np.int64).max:
        raise ValueError("ids must fit in int64")
    return np.ascontiguousarray(a, dtype=np.int64)


def as_codes(codes: npt.ArrayLike, width: int, name: str) -> npt.NDArray[np.uint8]:
    """A C-contiguous (n, width) uint8 array; (0, width) for an empty input."""
    a = np.asarray(codes)
    if a.size == 0:
        return np.empty((0, width), dtype=np.uint8)
    if a.ndim != 2 or a.shape[1] != width:
        raise ValueError(f"{name} must have shape (n, {width}) (bytes per code), got {a.shape}")
    if a.dtype != np.uint8:
        if a.dtype.kind not in "iu":
            raise TypeError(f"{name} must be uint8 bytes, got {a.dtype}")
        if int(a.min()) < 0 or int(a.max()) > 255:
            raise ValueError(f"{name} must be bytes (0..255)")
    return np.ascontiguousarray(a, dtype=np.uint8)


def as_max_distance(max_distance: object) -> int:
    if isinstance(max_distance, bool) or not isinstance(max_distance, numbers.Integral):
        raise TypeError(f"max_distance must be an integer, got {max_distance!r}")
    if max_distance < 0:
        raise ValueError(f"max_distance must be >= 0, got {max_distance}")
    return int(max_distance)
