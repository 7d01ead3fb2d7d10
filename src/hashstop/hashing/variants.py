"""The variants of a photo that a victim's client stores: crops, mirror and rotations.

Plain PDQ misses a re-posted photo that was cropped by a few percent, mirrored or rotated. The
victim's side closes most of that gap by storing, for each photo, the PDQ hashes of a few edited
copies of it (the *variants*); a platform that sends one plain PDQ hash then still matches.

Which variants exist is data, not code: `variants.json` beside this module, read by this module
and by the JavaScript client alike, so both compute the same variants. Crops, covers, the
working copy and the dihedral transforms are exact integer operations with explicit rounding, so
two clients that decode a photo to the same pixels produce the same hashes; only the small turns
are resampled, and differ between Pillow and a browser canvas by a few bits.

This module refuses to store what cannot be matched safely: a variant whose PDQ quality is below
the quality floor (facts.json) is dropped, and the count never exceeds `max_stored` (24).
It talks to no service and reads a file only when given its path (or bytes) instead of pixels:
images in, hashes out.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt
from PIL import Image

from hashstop.hashing.decoding import open_image
from hashstop.hashing.pdq import pdq_dihedral_from_rgb, pdq_dihedral_many
from hashstop.hashing.types import PdqHash
from hashstop.hashing.variant_spec import DIHEDRAL, RGB, Crop, load_spec, variant_name


@dataclass(frozen=True, slots=True)
class Variant:
    """A stored hash of one photo: `name` says which edit of the photo it stands for."""

    name: str
    pdq: PdqHash
    quality: int


ImageSource: TypeAlias = str | os.PathLike[str] | bytes | Image.Image | npt.NDArray[Any]
"""A file path or the file's bytes (decoded as displayed: `open_image`), a decoded PIL image
(converted to RGB) or an (h, w, 3) uint8 RGB array."""


def as_rgb(image: ImageSource) -> RGB:
    """An image as a C-contiguous HxWx3 uint8 array: a path or bytes are decoded as displayed
    (`open_image`, which raises a HashingError with a one-line message), a PIL image is
    converted to RGB, an array is checked."""
    if isinstance(image, str | os.PathLike | bytes):
        image = open_image(image)
    if isinstance(image, Image.Image):
        arr = np.asarray(image if image.mode == "RGB" else image.convert("RGB"))
    else:
        arr = np.asarray(image)
    if arr.ndim != 3 or arr.shape[2] != 3 or arr.dtype != np.uint8:
        raise ValueError(f"expected an RGB uint8 image of shape (h, w, 3); got {arr.shape}")
    if arr.shape[0] < 1 or arr.shape[1] < 1:
        raise ValueError("the image is empty")
    return np.ascontiguousarray(arr)


def working_copy(rgb: RGB, max_side: int) -> RGB:
    """The image reduced by the smallest whole factor that brings its long side to at most
    `max_side`: the mean of each factor x factor block (partial blocks at the right and bottom
    edges average the pixels they have), rounded half up. Exact integer arithmetic, so a
    JavaScript client reproduces it; PDQ looks at a 64x64 reduction, so nothing it uses is lost.
    (Pillow's `reduce` approximates the division, hence our own.)

    The block sums add every factor-th row, then every factor-th column, as whole strided
    slices: a few vectorised adds instead of numpy's `reduceat`, which casts in small buffers
    (a tenth of the time on a 12 MP photo, the same integers)."""
    h, w = rgb.shape[:2]
    factor = -(-max(h, w) // max_side)
    if factor < 2:
        return rgb
    wide_enough = np.uint16 if factor <= 257 else np.uint32  # 255 * factor fits
    rows: npt.NDArray[np.unsignedinteger[Any]] = rgb[::factor].astype(wide_enough)
    for k in range(1, factor):
        part = rgb[k::factor]
        np.add(rows[: part.shape[0]], part, out=rows[: part.shape[0]])
    sums = rows[:, ::factor].astype(np.uint32)
    for k in range(1, factor):
        part = rows[:, k::factor]
        np.add(sums[:, : part.shape[1]], part, out=sums[:, : part.shape[1]])
    tall = np.minimum(factor, h - np.arange(0, h, factor)).astype(np.uint32)
    wide = np.minimum(factor, w - np.arange(0, w, factor)).astype(np.uint32)
    count = (tall[:, None] * wide[None, :])[:, :, None]
    sums *= 2
    sums += count
    sums //= 2 * count
    return np.ascontiguousarray(sums.astype(np.uint8))


def pdq_dihedral(rgb: RGB) -> tuple[list[PdqHash], int]:
    """The 8 dihedral PDQ hashes (in dihedral_order) and the quality, from one pass."""
    return pdq_dihedral_from_rgb(np.ascontiguousarray(rgb))


def photo_variants(image: ImageSource) -> list[Variant]:
    """The hashes a victim's client stores for one photo: a file path or bytes, or the photo
    decoded as displayed (PIL image or RGB array).

    The first is the plain PDQ hash of the photo; the others are hashed from its working copy
    (long side at most `working_size`, see `working_copy`). Every variant below `min_quality`
    is dropped (the service refuses those: too flat to match safely), and a photo that is
    itself below it yields none (the black corners of a turned copy would pass for detail).
    A hash equal to one already stored (a symmetric photo's mirror) is not stored twice.
    At most `max_stored` variants, names and hashes unique.
    """
    spec = load_spec()
    rgb = as_rgb(image)
    hashes, quality = pdq_dihedral(rgb)  # the photo's own hash, at full resolution
    if quality < spec.min_quality:
        return []  # the photo itself is too flat: its crops and turns would be noise
    out = [Variant("original", hashes[0], quality)]
    small = working_copy(rgb, spec.working_size)
    turns: dict[tuple[Crop, float], RGB] = {}
    candidates: list[tuple[str, RGB]] = []
    for stored in spec.stored:
        edited = stored.apply(small, turns)
        for transform in stored.dihedral:
            if stored.name == transform == "original":
                continue
            candidates.append((variant_name(stored.name, transform), DIHEDRAL[transform](edited)))
    # Hashed together, shape by shape (the same hashes, fewer numpy calls); kept in order.
    found = pdq_dihedral_many([np.ascontiguousarray(image) for _, image in candidates])
    for (name, _), (hashes, quality) in zip(candidates, found, strict=True):
        if quality >= spec.min_quality and all(v.pdq != hashes[0] for v in out):
            out.append(Variant(name, hashes[0], quality))
    return out[: spec.max_stored]
