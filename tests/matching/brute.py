"""The reference the index must equal: a brute-force scan, written as plainly as possible."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def brute_force(
    state: dict[int, bytes], queries: npt.NDArray[np.uint8], max_distance: int
) -> list[list[tuple[int, int]]]:
    """Every (id, distance) within max_distance of each query, nearest first, ties by id."""
    if not state:
        return [[] for _ in queries]
    ids = np.array(list(state), dtype=np.int64)
    codes = np.frombuffer(b"".join(state.values()), dtype=np.uint8).reshape(len(state), -1)
    out = []
    for query in queries:
        distance = np.unpackbits(codes ^ query, axis=1).sum(axis=1)
        near = np.flatnonzero(distance <= max_distance)
        hits = sorted(zip(distance[near].tolist(), ids[near].tolist(), strict=True))
        out.append([(id_, d) for d, id_ in hits])
    return out


def flip(code: npt.NDArray[np.uint8], bits: npt.ArrayLike) -> npt.NDArray[np.uint8]:
    """A copy of code with the given bit positions flipped."""
    out = code.copy()
    for b in np.asarray(bits, dtype=np.int64).tolist():
        out[b // 8] ^= np.uint8(1 << (b % 8))
    return out


def planted(
    rng: np.random.Generator, code: npt.NDArray[np.uint8], distance: int
) -> npt.NDArray[np.uint8]:
    """A code at exactly `distance` bits from `code`."""
    return flip(code, rng.choice(code.size * 8, size=distance, replace=False))


def spread(code: npt.NDArray[np.uint8], distance: int, rotate: int = 0) -> npt.NDArray[np.uint8]:
    """A code at exactly `distance` bits, the flips dealt round-robin over the 16-bit chunks: the
    case where every chunk is as far as the pigeonhole allows (a budget one short misses it)."""
    chunks = code.size // 2
    return flip(code, [((k + rotate) % chunks) * 16 + k // chunks for k in range(distance)])


def spread_over(
    code: npt.NDArray[np.uint8],
    distance: int,
    starts: tuple[int, ...],
    widths: tuple[int, ...],
    rotate: int = 0,
) -> npt.NDArray[np.uint8]:
    """Like `spread`, for any chunk layout: the flips dealt round-robin over its chunks."""
    chunks = len(starts)
    bits = []
    for k in range(distance):
        c = (k + rotate) % chunks
        bits.append(starts[c] + (k // chunks) % widths[c])
    return flip(code, bits)
