"""Local hashes: 64-bit hashes of patches anchored on the photo's own structure (issue 14).

Why: the stored PDQ variants match the edits they enumerate (a 5% crop on every side, a 3 degree
turn) and little between them; a re-poster who crops 7% off one side and 2% off another, or
tilts by 6 degrees, walks through. A patch found by the image itself (a blob at some scale, its
orientation read from the pixels around it) is found again wherever the frame is, so its hash
survives any crop that keeps it, a small turn, a stretch, a border or a sticker elsewhere. One
patch is weak evidence; an upload matches a photo only when several patches agree on one
geometric transform (`hashstop.matching.geometry`), which is what keeps unrelated photos apart.

The pipeline (`variants.json`, section "local", words every step for other implementations):
1. luma of the working copy, area-averaged to a canonical size (long side 256);
2. a Gaussian scale space (octaves halved by 2x2 means, integer Gaussian kernels) and its
   difference of Gaussians; keypoints are strict extrema over space and scale, strong enough and
   not on an edge, refined to a fraction of a pixel and of a scale step;
3. orientation from the intensity centroid of a disc around the keypoint;
4. a 32x32 patch sampled on the turned square around it (6 sigmas), the 63 lowest DCT
   coefficients but the constant one against their median: 64 bits.

Deterministic so that a browser reproduces it bit for bit: every step is integer arithmetic or
element-wise float64 in the order the definition gives (never BLAS, pairwise sums or `np.sum`),
and the tables that would need `exp` or `cos` are integers in variants.json. One libm call
remains, `atan2` for the 6-bit angle of the frame; it can only matter when an angle lies within
an ulp of a bin edge.

What it refuses: it never stores more than `stored` features (48: 576 bytes, within the 4 KB per
photo with the PDQ variants; the number is set by the matching cost, see
benchmarks/local_cost.py), and it hashes no patch of a flat image (no keypoint, no feature).
It decides nothing about matching.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import numpy.typing as npt

from hashstop.hashing.variant_spec import RGB, load_spec
from hashstop.hashing.variants import ImageSource, as_rgb, working_copy

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
ALGORITHM = "local"
CODE_BYTES = 8
FRAME_BYTES = 4
VALUE_BYTES = CODE_BYTES + FRAME_BYTES


@dataclass(frozen=True, slots=True)
class LocalSpec:
    working_size: int
    canonical_size: int
    octaves: int
    levels: int
    sigmas: tuple[float, ...]
    kernels: tuple[tuple[int, ...], ...]
    contrast: float
    edge_ratio: float
    orientation_radius: float
    orientation_grid: int
    patch_radius: float
    patch_size: int
    dct: I64
    stored: int
    query: int


@cache
def local_spec() -> LocalSpec:
    raw: dict[str, Any] = load_spec().local
    return LocalSpec(
        working_size=int(raw["working_size"]),
        canonical_size=int(raw["canonical_size"]),
        octaves=int(raw["octaves"]),
        levels=int(raw["levels"]),
        sigmas=tuple(float(s) for s in raw["sigmas"]),
        kernels=tuple(tuple(int(k) for k in row) for row in raw["kernels"]),
        contrast=float(raw["contrast"]),
        edge_ratio=float(raw["edge_ratio"]),
        orientation_radius=float(raw["orientation_radius"]),
        orientation_grid=int(raw["orientation_grid"]),
        patch_radius=float(raw["patch_radius"]),
        patch_size=int(raw["patch_size"]),
        dct=np.array(raw["dct"], dtype=np.int64),
        stored=int(raw["stored"]),
        query=int(raw["query"]),
    )


@dataclass(frozen=True, slots=True)
class Frame:
    """Where a patch is: canonical pixels (x, y), scale (log2 of sigma over sigma0, in twelfths
    of an octave) and orientation (in 64ths of a turn), as quantised for the wire."""

    x: int  # quarter pixels, 0..1023
    y: int
    scale: int  # 0..63
    angle: int  # 0..63

    def pack(self) -> bytes:
        word = (self.x << 22) | (self.y << 12) | (self.scale << 6) | self.angle
        return word.to_bytes(FRAME_BYTES, "big")

    @classmethod
    def unpack(cls, data: bytes) -> Frame:
        word = int.from_bytes(data, "big")
        return cls(word >> 22, (word >> 12) & 1023, (word >> 6) & 63, word & 63)


@dataclass(frozen=True, slots=True)
class LocalHash:
    """One local hash: the patch's 64 bits and its frame. `value` is what travels and is stored
    (12 bytes: hash, then frame); the index holds the first 8."""

    code: bytes
    frame: Frame

    @property
    def value(self) -> bytes:
        return self.code + self.frame.pack()

    @property
    def hex(self) -> str:
        return self.value.hex()

    @classmethod
    def from_value(cls, value: bytes) -> LocalHash:
        if len(value) != VALUE_BYTES:
            raise ValueError(f"a local hash is {VALUE_BYTES} bytes, got {len(value)}")
        return cls(value[:CODE_BYTES], Frame.unpack(value[CODE_BYTES:]))


def _luma(rgb: RGB) -> F64:
    total = rgb[:, :, 0].astype(np.int64) * 299
    total += rgb[:, :, 1].astype(np.int64) * 587
    total += rgb[:, :, 2].astype(np.int64) * 114
    total += 500
    total //= 1000
    return total.astype(np.float64)


def _area_axis(img: F64, n_out: int, axis: int) -> F64:
    """Area average along one axis (the definition's `canonical` step)."""
    n_in = img.shape[axis]
    ratio = n_in / n_out
    taps = int(math.ceil(ratio)) + 1
    idx = np.zeros((taps, n_out), np.int64)
    weight = np.zeros((taps, n_out), np.float64)
    for j in range(n_out):
        a, b = j * n_in / n_out, (j + 1) * n_in / n_out
        first = int(math.floor(a))
        for t in range(taps):
            i = first + t
            if i < n_in:
                lo, hi = max(a, float(i)), min(b, float(i + 1))
                if hi > lo:
                    idx[t, j] = i
                    weight[t, j] = (hi - lo) / ratio
    out = np.zeros(img.shape[:axis] + (n_out,) + img.shape[axis + 1 :], np.float64)
    for t in range(taps):
        w = weight[t][None, :] if axis == 1 else weight[t][:, None]
        out = out + np.take(img, idx[t], axis=axis) * w
    return out


def canonical(luma: F64, size: int) -> F64:
    h, w = luma.shape
    if max(h, w) <= size:
        return luma
    if w >= h:
        nw, nh = size, max(1, int(math.floor(h * size / w + 0.5)))
    else:
        nw, nh = max(1, int(math.floor(w * size / h + 0.5))), size
    return _area_axis(_area_axis(luma, nw, 1), nh, 0)


def _blur_axis(img: F64, kernel: tuple[int, ...], axis: int) -> F64:
    r = (len(kernel) - 1) // 2
    n = img.shape[axis]
    pad = [(0, 0), (0, 0)]
    pad[axis] = (r, r)
    padded = np.pad(img, pad, mode="edge")
    out = np.zeros_like(img)
    for t, k in enumerate(kernel):
        part = padded[:, t : t + n] if axis == 1 else padded[t : t + n, :]
        out = out + part * float(k)
    return out / float(sum(kernel))


def _half(img: F64) -> F64:
    h2, w2 = img.shape[0] // 2, img.shape[1] // 2
    a = img[0 : 2 * h2 : 2, 0 : 2 * w2 : 2] + img[1 : 2 * h2 : 2, 0 : 2 * w2 : 2]
    b = img[0 : 2 * h2 : 2, 1 : 2 * w2 : 2] + img[1 : 2 * h2 : 2, 1 : 2 * w2 : 2]
    return (a + b) * 0.25


def _parabola(m: F64, c: F64, p: F64) -> F64:
    den = (m - 2 * c) + p
    safe = np.where(den == 0, 1.0, den)
    off = np.where(den == 0, 0.0, (m - p) / (2 * safe))
    return np.clip(off, -0.5, 0.5)


@dataclass(frozen=True, slots=True)
class _Keypoints:
    octave: I64
    level: I64
    y: F64  # octave pixels, refined
    x: F64
    offset: F64  # scale offset in steps
    response: F64


def _extrema(dog: F64, spec: LocalSpec) -> tuple[I64, I64, I64, F64, F64, F64, F64]:
    """Strict extrema of the DoG stack (levels 1..levels), not on an edge; with refinement."""
    n, h, w = dog.shape
    core = dog[1 : n - 1, 1 : h - 1, 1 : w - 1]
    is_max = np.ones(core.shape, bool)
    is_min = np.ones(core.shape, bool)
    for ds in (-1, 0, 1):
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                if ds == dy == dx == 0:
                    continue
                nb = dog[1 + ds : n - 1 + ds, 1 + dy : h - 1 + dy, 1 + dx : w - 1 + dx]
                is_max &= core > nb
                is_min &= core < nb
    ls, ys, xs = np.nonzero((is_max | is_min) & (np.abs(core) > spec.contrast))
    ls, ys, xs = ls + 1, ys + 1, xs + 1
    c = dog[ls, ys, xs]
    dxx = (dog[ls, ys, xs + 1] + dog[ls, ys, xs - 1]) - 2 * c
    dyy = (dog[ls, ys + 1, xs] + dog[ls, ys - 1, xs]) - 2 * c
    dxy = (
        ((dog[ls, ys + 1, xs + 1] - dog[ls, ys + 1, xs - 1]) - dog[ls, ys - 1, xs + 1])
        + dog[ls, ys - 1, xs - 1]
    ) / 4
    tr, det = dxx + dyy, dxx * dyy - dxy * dxy
    r = spec.edge_ratio
    keep = (det > 0) & (tr * tr * r < (r + 1) ** 2 * det)
    ls, ys, xs, c = ls[keep], ys[keep], xs[keep], c[keep]
    ox = _parabola(dog[ls, ys, xs - 1], c, dog[ls, ys, xs + 1])
    oy = _parabola(dog[ls, ys - 1, xs], c, dog[ls, ys + 1, xs])
    os_ = _parabola(dog[ls - 1, ys, xs], c, dog[ls + 1, ys, xs])
    return ls, ys, xs, ox, oy, os_, np.abs(c)


def _scale_space(luma: F64, spec: LocalSpec) -> tuple[list[list[F64]], _Keypoints]:
    base = canonical(luma, spec.canonical_size)
    pyramid: list[list[F64]] = []
    found: list[tuple[I64, ...] | tuple[Any, ...]] = []
    for o in range(spec.octaves):
        if o > 0:
            if min(base.shape) < 16:
                break
            base = _half(base)
        if min(base.shape) < 8:
            break
        levels = [_blur_axis(_blur_axis(base, k, 1), k, 0) for k in spec.kernels]
        pyramid.append(levels)
        dog = np.stack([levels[i + 1] - levels[i] for i in range(len(levels) - 1)])
        ls, ys, xs, ox, oy, os_, resp = _extrema(dog, spec)
        found.append((np.full(ls.shape, o, np.int64), ls, ys + oy, xs + ox, os_, resp))
    parts = list(zip(*found, strict=True)) if found else [()] * 6
    cat = [np.concatenate(p) if p else np.zeros(0) for p in parts]
    kp = _Keypoints(
        cat[0].astype(np.int64),
        np.asarray(cat[1]).astype(np.int64),
        cat[2].astype(np.float64),
        cat[3].astype(np.float64),
        cat[4].astype(np.float64),
        cat[5].astype(np.float64),
    )
    return pyramid, kp


def _bilinear(img: F64, ys: F64, xs: F64) -> F64:
    h, w = img.shape
    xs = np.minimum(np.maximum(xs, 0.0), w - 1.000001)
    ys = np.minimum(np.maximum(ys, 0.0), h - 1.000001)
    x0 = np.floor(xs).astype(np.int64)
    y0 = np.floor(ys).astype(np.int64)
    fx, fy = xs - x0, ys - y0
    top = img[y0, x0] * (1 - fx) + img[y0, x0 + 1] * fx
    bottom = img[y0 + 1, x0] * (1 - fx) + img[y0 + 1, x0 + 1] * fx
    result: F64 = top * (1 - fy) + bottom * fy
    return result


LN2_THIRD = 0.23104906018664842  # ln(2) / 3


def _exp2_third(offset: F64) -> F64:
    """2 ** (offset / 3) for offsets in [-0.5, 0.5], by its Taylor polynomial to the 5th
    power (error under 2e-7): `pow` is not correctly rounded in every libm, this is."""
    u = offset * LN2_THIRD
    result: F64 = 1 + u * (1 + (u / 2) * (1 + (u / 3) * (1 + (u / 4) * (1 + u / 5))))
    return result


def _sequential_sum(terms: F64) -> F64:
    """The sum over the last axis, left to right, one add at a time (what a JavaScript loop
    does; `np.sum` adds pairwise and would round differently)."""
    total: F64 = np.add.accumulate(terms, axis=-1)[..., -1]
    return total


def _grid(n: int) -> F64:
    return ((np.arange(n, dtype=np.float64) + 0.5) / n) * 2 - 1


def _describe(img: F64, y: F64, x: F64, sigma: F64, spec: LocalSpec) -> tuple[F64, F64, F64]:
    """Orientation (cos, sin) and the DCT coefficients (k, 8, 8) of keypoints on one level."""
    g = _grid(spec.orientation_grid)
    gj, gi = np.meshgrid(g, g, indexing="ij")
    inside = gi * gi + gj * gj <= 1  # row order: j, then i
    gi, gj = gi[inside], gj[inside]
    radius = (spec.orientation_radius * sigma)[:, None]
    v = _bilinear(img, y[:, None] + radius * gj[None, :], x[:, None] + radius * gi[None, :])
    m10 = _sequential_sum(gi[None, :] * v)
    m01 = _sequential_sum(gj[None, :] * v)
    norm = np.sqrt(m10 * m10 + m01 * m01)
    zero = norm == 0
    safe = np.where(zero, 1.0, norm)
    cos = np.where(zero, 1.0, m10 / safe)
    sin = np.where(zero, 0.0, m01 / safe)
    n = spec.patch_size
    g = _grid(n)
    big = (spec.patch_radius * sigma)[:, None, None]
    gi, gj = g[None, None, :], g[None, :, None]
    c, s = cos[:, None, None], sin[:, None, None]
    px = x[:, None, None] + big * (gi * c - gj * s)
    py = y[:, None, None] + big * (gi * s + gj * c)
    patch = _bilinear(img, py, px)  # (k, j, i)
    dct = spec.dct.astype(np.float64)
    t = _sequential_sum(patch[:, :, None, :] * dct[None, None, :, :])  # (k, j, u)
    coeffs = _sequential_sum(dct[None, :, None, :] * t.transpose(0, 2, 1)[:, None, :, :])
    return cos, sin, coeffs


# Bit k of the hash is value (k * 29) % 64: neighbouring frequencies, whose signs go together in
# photographs, land in different 16-bit chunks of the index. The distance is the same under any
# fixed order; the index's candidates are not: measured on the robustness photos, two real local
# hashes share a chunk 4.5 times as often as uniform codes do in frequency order, 2.1 times in
# this one (the index's cost per query grows with that factor).
BIT_ORDER = np.array([(k * 29) % 64 for k in range(64)])


def _bits(coeffs: F64) -> npt.NDArray[np.uint8]:
    flat = coeffs.reshape(len(coeffs), 64)[:, 1:]
    median = np.sort(flat, axis=1)[:, 31]
    values = np.concatenate([flat, coeffs[:, 7, 7, None]], axis=1)
    above = values > median[:, None]
    packed: npt.NDArray[np.uint8] = np.packbits(above[:, BIT_ORDER], axis=1)
    return packed


def local_hashes_of_rgb(rgb: RGB, limit: int) -> list[LocalHash]:
    """The first `limit` local hashes of an RGB image (strongest keypoints first)."""
    spec = local_spec()
    small = working_copy(np.ascontiguousarray(rgb), spec.working_size)
    pyramid, kp = _scale_space(_luma(small), spec)
    order = np.lexsort((kp.x, kp.y, kp.level, kp.octave, -kp.response))[:limit]
    out: list[LocalHash] = []
    if not len(order):
        return out
    o_all, l_all = kp.octave[order], kp.level[order]
    y_all, x_all, off_all = kp.y[order], kp.x[order], kp.offset[order]
    codes = np.zeros((len(order), CODE_BYTES), np.uint8)
    cos = np.zeros(len(order))
    sin = np.zeros(len(order))
    for o, lvl in sorted({(int(a), int(b)) for a, b in zip(o_all, l_all, strict=True)}):
        sel = np.flatnonzero((o_all == o) & (l_all == lvl))
        sigma = spec.sigmas[lvl] * _exp2_third(off_all[sel])
        c, s, coeffs = _describe(pyramid[o][lvl], y_all[sel], x_all[sel], sigma, spec)
        codes[sel] = _bits(coeffs)
        cos[sel], sin[sel] = c, s
    for k in range(len(order)):
        o = int(o_all[k])
        scale = 2.0**o
        qx = min(1023, max(0, int(math.floor(4 * (x_all[k] * scale) + 0.5))))
        qy = min(1023, max(0, int(math.floor(4 * (y_all[k] * scale) + 0.5))))
        qs = min(
            63, max(0, int(math.floor(12 * (o + (l_all[k] + off_all[k]) / spec.levels) + 0.5)))
        )
        qa = int(math.floor(math.atan2(sin[k], cos[k]) * 64 / (2 * math.pi) + 0.5)) % 64
        out.append(LocalHash(codes[k].tobytes(), Frame(qx, qy, qs, qa)))
    return out


def local_hashes(image: ImageSource, *, query: bool = False) -> list[LocalHash]:
    """The local hashes a victim's client stores for a photo (`stored`, 48 at most), or with
    `query=True` those a platform sends for an upload (`query`, 48 at most). Decoded as
    displayed when given a path or bytes (see `as_rgb`)."""
    spec = local_spec()
    return local_hashes_of_rgb(as_rgb(image), spec.query if query else spec.stored)
