"""PDQ in numpy, bit for bit the hash of Meta's C++ reference as the `pdqhash` binding runs it.

A victim hashes on their own laptop and a platform hashes the re-upload with the reference
(ThreatExchange, HMA, StopNCII): if the two differ by even a bit on the same pixels, we have
moved the match threshold for no reason. So this module reproduces the reference's float32
arithmetic in the reference's operation order, and the tests check it against `pdqhash`:

- luma as `pdqhash.compute` makes it: `R*0.299 + G*0.587 + B*0.114` in float64, cast to float32;
- two passes of the Jarosz tent filter (a box filter along rows, then along columns), each a
  *running* float32 sum with adds and subtracts in the reference's order. Every row (or column)
  is independent, so the sequence of adds and subtracts is laid out along one axis of an array
  and accumulated step by step (plain float32 adds, never pairwise summation): numpy works
  across all lines at once and every line gets the reference's roundings;
- decimation to 64x64 by sampling pixel centres; the quality metric from the gradient sum;
- the 16x64 and 16x16 DCT products accumulated term by term in float32 (never BLAS, whose
  summation order is not the reference's). The DCT matrix is rounded to float32 from double
  cosines that lie millions of double ulps from any float32 rounding boundary, so any libm
  gives the reference's matrix;
- the median by value (Torben's algorithm returns the 128th smallest of the 256 coefficients),
  and the reference's bit order in the hex.

Two quirks of the reference are kept on purpose: images smaller than 5 pixels on a side hash to
zero with quality 0, and a 64x64 image skips the blur in `compute` but not in the dihedral
variant. The second pair of filter passes only computes the lines decimation samples.

The reference's compiler evaluates float32 without fused multiply-adds (x86-64 baseline); numpy
does the same. This module refuses anything but an (H, W, 3) uint8 array.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from hashstop.hashing.types import PdqHash

MIN_HASHABLE_DIMENSION = 5
"""The reference hashes anything smaller to zero, with quality 0."""

DIHEDRAL_ORDER = (
    "original",
    "rot90",
    "rot180",
    "rot270",
    "flipx",
    "flipy",
    "flipplus1",
    "flipminus1",
)
"""The order of `pdq_dihedral_from_rgb`'s hashes, the reference's."""

_DOWNSAMPLED = 64
_FILTER_PASSES = 2

FloatArray = npt.NDArray[np.float32]
RgbArray = npt.NDArray[np.uint8]


def _dct_matrix() -> FloatArray:
    # As the reference: a float scale factor times a double cosine, rounded to float.
    scale = float(np.float32(math.sqrt(2.0 / 64.0)))
    rows = [
        [scale * math.cos((math.pi / 2.0 / 64.0) * (i + 1) * (2 * j + 1)) for j in range(64)]
        for i in range(16)
    ]
    return np.array(rows, dtype=np.float64).astype(np.float32)


_DCT = _dct_matrix()
_DCT_COLUMNS = np.ascontiguousarray(_DCT.T)  # _DCT_COLUMNS[k] is column k of the DCT matrix
_ODD = (np.arange(16) & 1).astype(bool)
_SIGN_ODD_POSITIVE = np.where(_ODD, np.float32(1), np.float32(-1))
_CHECKER = np.where((np.arange(16)[:, None] + np.arange(16)[None, :]) & 1, -1, 1).astype(np.float32)


_LUMA_WEIGHTS = (0.299, 0.587, 0.114)
_LUMA_CHUNK_ROWS = 32  # float64 scratch of a few rows stays in cache


def luma_from_rgb(rgb: RgbArray) -> FloatArray:
    """Luma exactly as `pdqhash.compute` makes it: float64 weighted sum, then float32.

    Computed a few rows at a time: the same operations in the same order, without 100 MB of
    float64 temporaries for a phone photo.
    """
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError(f"PDQ needs an (H, W, 3) uint8 RGB array, got {rgb.shape} {rgb.dtype}")
    rows, cols = rgb.shape[:2]
    luma = np.empty((rows, cols), dtype=np.float32)
    chunk = min(rows, _LUMA_CHUNK_ROWS)
    total = np.empty((chunk, cols), dtype=np.float64)
    term = np.empty((chunk, cols), dtype=np.float64)
    for start in range(0, rows, chunk):
        stop = min(rows, start + chunk)
        acc, tmp = total[: stop - start], term[: stop - start]
        np.multiply(rgb[start:stop, :, 0], _LUMA_WEIGHTS[0], out=acc)
        np.multiply(rgb[start:stop, :, 1], _LUMA_WEIGHTS[1], out=tmp)
        acc += tmp
        np.multiply(rgb[start:stop, :, 2], _LUMA_WEIGHTS[2], out=tmp)
        acc += tmp
        luma[start:stop] = acc
    return luma


def window_size(old_dimension: int, new_dimension: int = _DOWNSAMPLED) -> int:
    """The reference's box-filter window: half of old/new, rounded up."""
    return (old_dimension + 2 * new_dimension - 1) // (2 * new_dimension)


_NARROW = 256  # fewer lines than this: one cumsum over laid-out operations beats a loop


def _box_filter(lines: FloatArray, window: int, wanted: list[int] | None = None) -> FloatArray:
    """One box-filter pass down axis 0 of `lines` (each column is one line), as the reference.

    The reference walks a line adding the value entering the window, then subtracting the one
    leaving it, and writes the running sum divided by the current window size. Here a row of
    running sums walks down axis 0 doing exactly those adds and subtracts, one numpy call each
    across all columns at once: every column gets the reference's sequence of float32
    roundings. `lines` may be a transposed view. `wanted` limits the output to some positions
    (and the walk stops after the last of them).
    """
    lines = _c_contiguous(lines)
    if lines.shape[1] < _NARROW:
        return _box_filter_laid_out(lines, window, wanted)
    if wanted is not None:
        unique, inverse = np.unique(np.asarray(wanted), return_inverse=True)
        if len(unique) < len(wanted):  # a short side: several samples share a position
            return _box_filter(lines, window, [int(i) for i in unique])[inverse]
    n, width = lines.shape
    half = (window + 2) // 2
    steady = n - window
    slot = np.arange(n) if wanted is None else np.full(n, -1)
    if wanted is not None:
        slot[wanted] = np.arange(len(wanted))
    last = n - 1 if wanted is None else max(wanted)
    out = np.empty((n if wanted is None else len(wanted), width), dtype=np.float32)
    total = np.zeros(width, dtype=np.float32)  # 0 + x is x: the reference's start
    # (add, subtract, divisor) per output, in the reference's four phases.
    steps: list[tuple[int | None, int | None, int]] = [
        (i, None, i + 1) for i in range(half - 1, window)
    ]
    steps += [(window + j, j, window) for j in range(steady)]
    steps += [(None, steady + j, window - 1 - j) for j in range(half - 1)]
    for i in range(half - 1):
        np.add(total, lines[i], out=total)
    for k, (enter, leave, size) in enumerate(steps[: last + 1]):
        if enter is not None:
            np.add(total, lines[enter], out=total)
        if leave is not None:
            np.subtract(total, lines[leave], out=total)
        if slot[k] >= 0:
            np.divide(total, np.float32(size), out=out[slot[k]])
    return out


def _box_filter_laid_out(
    lines: FloatArray, window: int, wanted: list[int] | None = None
) -> FloatArray:
    """`_box_filter` for few, long lines: the same adds and subtracts laid out in order along
    axis 0 of one array and accumulated with one cumsum (strictly in order, in float32)."""
    n, width = lines.shape
    half = (window + 2) // 2
    steady = n - window
    tail = half - 1
    ops = np.empty((window + 2 * steady + tail, width), dtype=np.float32)
    ops[:window] = lines[:window]
    ops[window : window + 2 * steady : 2] = lines[window:]
    np.negative(lines[:steady], out=ops[window + 1 : window + 2 * steady : 2])
    np.negative(lines[steady : steady + tail], out=ops[window + 2 * steady :])

    # Where each output's running sum sits in `ops`, and what it is divided by.
    position = np.concatenate(
        [
            np.arange(half - 1, window),
            np.arange(window + 1, window + 2 * steady, 2),
            np.arange(window + 2 * steady, len(ops)),
        ]
    )
    divisor = np.concatenate(
        [
            np.arange(half, window + 1),
            np.full(steady, window),
            np.arange(window - 1, window - half, -1),
        ]
    ).astype(np.float32)
    if wanted is not None:
        position, divisor = position[wanted], divisor[wanted]
    _accumulate(ops[: int(position.max()) + 1])
    out: FloatArray = ops[position]
    out /= divisor[:, None]
    return out


def _c_contiguous(lines: FloatArray, tile: int = 256) -> FloatArray:
    """A C-contiguous copy of a transposed view, tile by tile (about twice numpy's speed)."""
    if lines.flags.c_contiguous:
        return lines
    source = lines.T
    if not source.flags.c_contiguous:
        return np.ascontiguousarray(lines)
    out = np.empty(lines.shape, dtype=lines.dtype)
    rows, cols = source.shape
    for i in range(0, rows, tile):
        for j in range(0, cols, tile):
            out[j : j + tile, i : i + tile] = source[i : i + tile, j : j + tile].T
    return out


def _accumulate(ops: FloatArray) -> None:
    """Running sums down axis 0, in place, strictly in order (float32 rounding at each step)."""
    np.cumsum(ops, axis=0, out=ops)


def sample_indices(size: int) -> list[int]:
    """The reference's decimation: the pixel under each of 64 output centres."""
    return [int(((k + 0.5) * size) / _DOWNSAMPLED) for k in range(_DOWNSAMPLED)]


def downsample(luma: FloatArray) -> FloatArray:
    """Blur with two Jarosz passes (rows, columns, rows, columns) and decimate to 64x64.

    Lines alternate between the two layouts so each pass reads the previous one's output as a
    (transposed) view. The second pass pair only computes what decimation samples.
    """
    rows, cols = luma.shape
    along_rows = window_size(cols)
    along_cols = window_size(rows)
    sample_rows = sample_indices(rows)
    sample_cols = sample_indices(cols)
    by_columns = _box_filter(luma.T, along_rows)  # (cols, rows)
    by_rows = _box_filter(by_columns.T, along_cols)  # (rows, cols)
    by_columns = _box_filter(by_rows.T, along_rows, wanted=sample_cols)  # (64, rows)
    block = _box_filter(by_columns.T, along_cols, wanted=sample_rows)  # (64, 64)
    return np.ascontiguousarray(block)


def downsample_many(luma: FloatArray) -> FloatArray:
    """`downsample` of k images of one shape at once, (k, rows, cols) -> (k, 64, 64).

    Every line of every image is still filtered on its own, in the reference's order; the
    images' lines only sit side by side, so each numpy call does k times the work (a photo's
    variants are many images of few shapes, each small enough for call overhead to matter).
    """
    k, rows, cols = luma.shape
    along_rows = window_size(cols)
    along_cols = window_size(rows)
    sample_rows = sample_indices(rows)
    sample_cols = sample_indices(cols)
    # Lines along x: (cols, k * rows); lines along y: (rows, k * cols).
    by_columns = _box_filter(luma.transpose(2, 0, 1).reshape(cols, k * rows), along_rows)
    across = by_columns.reshape(cols, k, rows).transpose(2, 1, 0).reshape(rows, k * cols)
    by_rows = _box_filter(across, along_cols)
    along = by_rows.reshape(rows, k, cols).transpose(2, 1, 0).reshape(cols, k * rows)
    sampled = _box_filter(along, along_rows, wanted=sample_cols)  # (64, k * rows)
    down = sampled.reshape(64, k, rows).transpose(2, 1, 0).reshape(rows, k * 64)
    block = _box_filter(down, along_cols, wanted=sample_rows)  # (64, k * 64)
    return np.ascontiguousarray(block.reshape(64, k, 64).transpose(1, 0, 2))


def pdq_dihedral_many(images: list[RgbArray]) -> list[tuple[list[PdqHash], int]]:
    """`pdq_dihedral_from_rgb` of each image, the same results; images of one shape are
    filtered together (`downsample_many`)."""
    out: list[tuple[list[PdqHash], int] | None] = [None] * len(images)
    shapes: dict[tuple[int, ...], list[int]] = {}
    for i, rgb in enumerate(images):
        shapes.setdefault(rgb.shape, []).append(i)
    for shape, members in shapes.items():
        if len(members) == 1 or min(shape[:2]) < MIN_HASHABLE_DIMENSION:
            for i in members:
                out[i] = pdq_dihedral_from_rgb(images[i])
            continue
        luma = np.stack([luma_from_rgb(images[i]) for i in members])
        for i, block in zip(members, downsample_many(luma), strict=True):
            coefficients = dct16(block)
            hashes = [hash_from_coefficients(c) for c in dihedral_coefficients(coefficients)]
            out[i] = (hashes, quality(block))
    return [found for found in out if found is not None]


def quality(block: FloatArray) -> int:
    """The reference's quality: the sum of quantised gradients of the 64x64 block, /90, <=100."""
    hundred = np.float32(100)
    full = np.float32(255)
    vertical = (((block[:-1, :] - block[1:, :]) * hundred) / full).astype(np.int32)
    horizontal = (((block[:, :-1] - block[:, 1:]) * hundred) / full).astype(np.int32)
    gradient_sum = int(np.abs(vertical).sum()) + int(np.abs(horizontal).sum())
    return min(gradient_sum // 90, 100)


def dct16(block: FloatArray) -> FloatArray:
    """The 16x16 low-frequency DCT of a 64x64 block, summed in the reference's order."""
    partial = np.zeros((16, 64), dtype=np.float32)
    for k in range(64):
        partial += np.multiply.outer(_DCT_COLUMNS[k], block[k])
    coefficients = np.zeros((16, 16), dtype=np.float32)
    for k in range(64):
        coefficients += np.multiply.outer(partial[:, k], _DCT_COLUMNS[k])
    return coefficients


def hash_from_coefficients(coefficients: FloatArray) -> PdqHash:
    """One bit per coefficient above the median, packed in the reference's order."""
    flat = coefficients.ravel()
    median = np.partition(flat, 127)[127]
    bits = flat > median
    return PdqHash(np.packbits(bits[::-1]).tobytes())


def dihedral_coefficients(c: FloatArray) -> list[FloatArray]:
    """The DCT of each rotation and flip, from the original's (the reference's sign rules)."""
    rows_odd = _SIGN_ODD_POSITIVE[:, None]
    cols_odd = _SIGN_ODD_POSITIVE[None, :]
    return [
        c,
        (c * cols_odd).T,
        c * _CHECKER,
        (c * rows_odd).T,
        c * rows_odd,
        c * cols_odd,
        c.T,
        (c * _CHECKER).T,
    ]


def _zero_hash() -> PdqHash:
    return PdqHash(bytes(32))


def pdq_from_luma(luma: FloatArray) -> tuple[PdqHash, int]:
    """PDQ hash and quality of a float32 luma plane, as the reference `pdqHash256FromFloatLuma`."""
    rows, cols = luma.shape
    if rows < MIN_HASHABLE_DIMENSION or cols < MIN_HASHABLE_DIMENSION:
        return _zero_hash(), 0
    if rows == _DOWNSAMPLED and cols == _DOWNSAMPLED:
        block = np.ascontiguousarray(luma, dtype=np.float32)  # the reference skips the blur
    else:
        block = downsample(luma)
    return hash_from_coefficients(dct16(block)), quality(block)


def pdq_dihedral_from_luma(luma: FloatArray) -> tuple[list[PdqHash], int]:
    """The 8 dihedral hashes and quality, as the reference's `pdqDihedralHash256esFromFloatLuma`."""
    rows, cols = luma.shape
    if rows < MIN_HASHABLE_DIMENSION or cols < MIN_HASHABLE_DIMENSION:
        return [_zero_hash() for _ in DIHEDRAL_ORDER], 0
    block = downsample(luma)  # no 64x64 shortcut here, as in the reference
    coefficients = dct16(block)
    hashes = [hash_from_coefficients(c) for c in dihedral_coefficients(coefficients)]
    return hashes, quality(block)


def pdq_from_rgb(rgb: RgbArray) -> tuple[PdqHash, int]:
    """PDQ hash and quality (0-100) of an (H, W, 3) uint8 RGB array; equals `pdqhash.compute`."""
    return pdq_from_luma(luma_from_rgb(rgb))


def pdq_dihedral_from_rgb(rgb: RgbArray) -> tuple[list[PdqHash], int]:
    """The 8 dihedral PDQ hashes (DIHEDRAL_ORDER) and quality; equals `pdqhash.compute_dihedral`."""
    return pdq_dihedral_from_luma(luma_from_rgb(rgb))


def pdq_with_dihedral_from_rgb(rgb: RgbArray) -> tuple[PdqHash, int, list[PdqHash]]:
    """Hash, quality and the 8 dihedral hashes in one pass; each equals its `pdqhash` function.

    They share one blur, except for a 64x64 image, where the reference's `compute` skips the
    blur and `compute_dihedral` does not.
    """
    luma = luma_from_rgb(rgb)
    dihedral, dihedral_quality = pdq_dihedral_from_luma(luma)
    if luma.shape == (_DOWNSAMPLED, _DOWNSAMPLED):
        pdq, quality = pdq_from_luma(luma)
        return pdq, quality, dihedral
    return dihedral[0], dihedral_quality, dihedral
