"""The variants of a photo that a victim's client stores: crops, mirror and rotations.

Plain PDQ misses a re-posted photo that was cropped by a few percent, mirrored or rotated. The
victim's side closes most of that gap by storing, for each photo, the PDQ hashes of a few edited
copies of it (the *variants*); a platform that sends one plain PDQ hash then still matches.

Which variants exist is data, not code: `variants.json` beside this module, read by this module
and by the JavaScript client alike, so both compute the same variants. Crops are whole-pixel
boxes with an explicit rounding rule, and the dihedral transforms are exact, so two clients that
decode a photo to the same pixels produce the same hashes.

This module refuses to store what cannot be matched safely: a variant whose PDQ quality is below
the service's minimum (50) is dropped, and the count never exceeds `max_stored` (24).
It reads no files and talks to no service: images in, hashes out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import numpy.typing as npt
from PIL import Image

from hashstop.hashing.types import PdqHash

RGB = npt.NDArray[np.uint8]
SIDES = ("left", "top", "right", "bottom")


@dataclass(frozen=True, slots=True)
class Crop:
    """Fractions of the width (left, right) and height (top, bottom) removed from each side."""

    left: float
    top: float
    right: float
    bottom: float

    def box(self, width: int, height: int) -> tuple[int, int, int, int]:
        """The pixel box (x0, y0, x1, y1) kept, rounding half up as variants.json says."""
        x0 = int(np.floor(width * self.left + 0.5))
        y0 = int(np.floor(height * self.top + 0.5))
        x1 = width - int(np.floor(width * self.right + 0.5))
        y1 = height - int(np.floor(height * self.bottom + 0.5))
        return x0, y0, max(x1, x0 + 1), max(y1, y0 + 1)

    def apply(self, rgb: RGB) -> RGB:
        x0, y0, x1, y1 = self.box(rgb.shape[1], rgb.shape[0])
        return rgb[y0:y1, x0:x1]

    @property
    def is_whole(self) -> bool:
        return self.left == self.top == self.right == self.bottom == 0


@dataclass(frozen=True, slots=True)
class Rotation:
    """A small turn (a tilted re-post): degrees counter-clockwise, and what happens to the
    corners the turn uncovers ("corners": filled black; "inside": cropped away)."""

    degrees: float
    fit: str

    def apply(self, rgb: RGB) -> RGB:
        h, w = rgb.shape[:2]
        turned = Image.fromarray(rgb).rotate(
            self.degrees, resample=Image.Resampling.BICUBIC, expand=False, fillcolor=(0, 0, 0)
        )
        out = np.asarray(turned)
        if self.fit == "inside":
            a = np.radians(abs(self.degrees))
            zoom = float(np.cos(a) + max(w / h, h / w) * np.sin(a))
            cw, ch = max(1, int(w / zoom)), max(1, int(h / zoom))
            x0 = int(np.floor((w - cw) / 2 + 0.5))
            y0 = int(np.floor((h - ch) / 2 + 0.5))
            out = out[y0 : y0 + ch, x0 : x0 + cw]
        return np.ascontiguousarray(out)


@dataclass(frozen=True, slots=True)
class StoredVariantSpec:
    """One crop (and turn) of the photo and the dihedral transforms of it that are stored."""

    name: str
    crop: Crop
    rotation: Rotation | None
    dihedral: tuple[str, ...]

    def apply(self, rgb: RGB) -> RGB:
        cropped = self.crop.apply(rgb)
        return cropped if self.rotation is None else self.rotation.apply(cropped)


@dataclass(frozen=True, slots=True)
class Variant:
    """A stored hash of one photo: `name` says which edit of the photo it stands for."""

    name: str
    pdq: PdqHash
    quality: int


@dataclass(frozen=True, slots=True)
class VariantSpec:
    """The parsed variants.json."""

    version: int
    min_quality: int
    max_stored: int
    max_query: int
    dihedral_order: tuple[str, ...]
    stored: tuple[StoredVariantSpec, ...]
    query: dict[str, Any]

    def variant_names(self) -> list[str]:
        """Every stored variant name, in the order photo_variants returns them."""
        return [_variant_name(s.name, d) for s in self.stored for d in s.dihedral]


def _variant_name(crop_name: str, transform: str) -> str:
    if transform == "original":
        return crop_name
    if crop_name == "original":
        return transform
    return f"{crop_name}+{transform}"


def _parse_crop(raw: dict[str, Any]) -> Crop:
    if set(raw) != set(SIDES):
        raise ValueError(f"a crop names exactly {', '.join(SIDES)}; got {sorted(raw)}")
    values = [float(raw[side]) for side in SIDES]
    if any(not 0 <= v < 0.5 for v in values):
        raise ValueError(f"crop fractions must be in [0, 0.5); got {raw}")
    return Crop(*values)


def parse_spec(data: dict[str, Any]) -> VariantSpec:
    """Check and parse the variants definition; ValueError saying what is wrong."""
    order = tuple(data["dihedral_order"])
    if len(order) != 8 or len(set(order)) != 8:
        raise ValueError("dihedral_order names the 8 dihedral transforms once each")
    stored = []
    for raw in data["stored"]:
        dihedral = tuple(raw["dihedral"])
        unknown = set(dihedral) - set(order)
        if unknown:
            raise ValueError(f"variant {raw['name']!r}: unknown transforms {sorted(unknown)}")
        rotation = None
        if "rotate" in raw:
            fit = str(raw["rotate"]["fit"])
            if fit not in ("corners", "inside"):
                raise ValueError(f"variant {raw['name']!r}: fit is 'corners' or 'inside'")
            degrees = float(raw["rotate"]["degrees"])
            if not 0 < abs(degrees) < 45:
                raise ValueError(f"variant {raw['name']!r}: a turn is between 0 and 45 degrees")
            rotation = Rotation(degrees, fit)
        crop = _parse_crop(raw["crop"])
        stored.append(StoredVariantSpec(str(raw["name"]), crop, rotation, dihedral))
    first = stored[0] if stored else None
    if first is None or first.name != "original" or not first.crop.is_whole or first.rotation:
        raise ValueError("the first stored variant is the uncropped original")
    if stored[0].dihedral[0] != "original":
        raise ValueError("the first stored hash is the plain PDQ hash of the photo")
    spec = VariantSpec(
        version=int(data["version"]),
        min_quality=int(data["min_quality"]),
        max_stored=int(data["max_stored"]),
        max_query=int(data["max_query"]),
        dihedral_order=order,
        stored=tuple(stored),
        query=dict(data["query"]),
    )
    names = spec.variant_names()
    if len(names) != len(set(names)):
        raise ValueError("stored variant names must be unique")
    if len(names) > spec.max_stored:
        raise ValueError(f"{len(names)} stored variants, more than max_stored {spec.max_stored}")
    unknown_query = set(spec.query["dihedral"]) - set(order)
    if unknown_query:
        raise ValueError(f"query: unknown transforms {sorted(unknown_query)}")
    return spec


@cache
def load_spec() -> VariantSpec:
    """The variants definition shipped with the package (variants.json)."""
    text = resources.files("hashstop.hashing").joinpath("variants.json").read_text("utf-8")
    return parse_spec(json.loads(text))


def as_rgb(image: Image.Image | npt.NDArray[Any]) -> RGB:
    """A decoded image as a C-contiguous HxWx3 uint8 array (PIL images converted to RGB)."""
    if isinstance(image, Image.Image):
        arr = np.asarray(image if image.mode == "RGB" else image.convert("RGB"))
    else:
        arr = np.asarray(image)
    if arr.ndim != 3 or arr.shape[2] != 3 or arr.dtype != np.uint8:
        raise ValueError(f"expected an RGB uint8 image of shape (h, w, 3); got {arr.shape}")
    if arr.shape[0] < 1 or arr.shape[1] < 1:
        raise ValueError("the image is empty")
    return np.ascontiguousarray(arr)


def pdq_dihedral(rgb: RGB) -> tuple[list[PdqHash], int]:
    """The 8 dihedral PDQ hashes (in dihedral_order) and the quality, from one pass.

    Interim backend: the C++ reference through `pdqhash` until hashstop's own PDQ lands in
    `hashstop.hashing`; switching is this one function.
    """
    import pdqhash  # noqa: PLC0415 -- interim, test-only dependency; see the docstring

    vectors, quality = pdqhash.compute_dihedral(np.ascontiguousarray(rgb))
    return [PdqHash(np.packbits(np.asarray(v, dtype=np.uint8)).tobytes()) for v in vectors], int(
        quality
    )


def photo_variants(image: Image.Image | npt.NDArray[Any]) -> list[Variant]:
    """The hashes a victim's client stores for one photo (decoded, as displayed, RGB).

    The first is the plain PDQ hash of the photo. Every variant below `min_quality` is dropped
    (the service refuses those: too flat to match safely), and a photo that is itself below it
    yields none (the black corners of a turned copy would otherwise pass for detail).
    At most `max_stored` variants, names unique.
    """
    spec = load_spec()
    rgb = as_rgb(image)
    out: list[Variant] = []
    for index, stored in enumerate(spec.stored):
        hashes, quality = pdq_dihedral(stored.apply(rgb))
        if index == 0 and quality < spec.min_quality:
            return []  # the photo itself is too flat: its crops and turns would be noise
        for transform in stored.dihedral:
            name = _variant_name(stored.name, transform)
            if quality < spec.min_quality:
                continue
            pdq = hashes[spec.dihedral_order.index(transform)]
            out.append(Variant(name, pdq, quality))
    return out[: spec.max_stored]
