"""The definition of the stored variants and the query hashes, parsed from variants.json.

variants.json is the one definition that the Python package and the JavaScript client both read,
so that they compute the same variants. This module turns it into checked values: crops with
their rounding rule, small turns, caption-bar covers, the dihedral transforms as exact pixel
operations. It refuses a definition that would store more hashes than the service takes, names a
variant twice, or does not start with the photo itself; it computes no hash.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import numpy.typing as npt
from PIL import Image

from hashstop.hashing.facts import FACTS

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

    def apply(self, rgb: RGB, turned: RGB | None = None) -> RGB:
        """The turned image; `turned` is `turn(rgb)` when the caller already has it (a turn
        by the same angle with the other fit)."""
        h, w = rgb.shape[:2]
        out = self.turn(rgb) if turned is None else turned
        if self.fit == "inside":
            a = np.radians(abs(self.degrees))
            zoom = float(np.cos(a) + max(w / h, h / w) * np.sin(a))
            cw, ch = max(1, int(w / zoom)), max(1, int(h / zoom))
            x0 = int(np.floor((w - cw) / 2 + 0.5))
            y0 = int(np.floor((h - ch) / 2 + 0.5))
            out = out[y0 : y0 + ch, x0 : x0 + cw]
        return np.ascontiguousarray(out)

    def turn(self, rgb: RGB) -> RGB:
        """The whole image turned, canvas kept, uncovered corners black (before the fit)."""
        turned = Image.fromarray(rgb).rotate(
            self.degrees, resample=Image.Resampling.BICUBIC, expand=False, fillcolor=(0, 0, 0)
        )
        return np.asarray(turned)


@dataclass(frozen=True, slots=True)
class Cover:
    """A solid bar over one side (a caption bar): `fraction` of the height or width."""

    side: str
    fraction: float
    colour: tuple[int, int, int]

    def apply(self, rgb: RGB) -> RGB:
        out = rgb.copy()
        h, w = rgb.shape[:2]
        n = int(np.floor((h if self.side in ("top", "bottom") else w) * self.fraction + 0.5))
        if n:
            region = {
                "top": out[:n],
                "bottom": out[h - n :],
                "left": out[:, :n],
                "right": out[:, w - n :],
            }[self.side]
            region[...] = self.colour
        return out


# The dihedral transforms as exact pixel operations (what a platform hashes when it gets a
# mirrored or turned copy); PDQ's one-pass dihedral hashes can differ from these by many bits.
DIHEDRAL: dict[str, Callable[[RGB], RGB]] = {
    "original": lambda a: a,
    "rotate90": lambda a: np.rot90(a, 1),
    "rotate180": lambda a: np.rot90(a, 2),
    "rotate270": lambda a: np.rot90(a, 3),
    "flip": lambda a: a[::-1],
    "mirror": lambda a: a[:, ::-1],
    "transpose": lambda a: a.transpose(1, 0, 2),
    "transverse": lambda a: np.rot90(a, 2).transpose(1, 0, 2),
}


@dataclass(frozen=True, slots=True)
class StoredVariantSpec:
    """One edit of the photo (crop, then turn, then cover) and its transforms that are stored."""

    name: str
    crop: Crop
    rotation: Rotation | None
    cover: Cover | None
    dihedral: tuple[str, ...]

    def apply(self, rgb: RGB, turns: dict[tuple[Crop, float], RGB] | None = None) -> RGB:
        """The edited image. `turns` keeps each turned crop for the other variants of one photo
        that turn the same crop by the same angle (only the fit differs): same pixels, once."""
        out = self.crop.apply(rgb)
        if self.rotation is not None:
            key = (self.crop, self.rotation.degrees)
            turned = None if turns is None else turns.get(key)
            if turned is None:
                turned = self.rotation.turn(out)
                if turns is not None:
                    turns[key] = turned
            out = self.rotation.apply(out, turned)
        if self.cover is not None:
            out = self.cover.apply(out)
        return out


@dataclass(frozen=True, slots=True)
class VariantSpec:
    """The parsed variants.json (and the quality floor of facts.json, which it follows)."""

    version: int
    min_quality: int
    working_size: int
    max_stored: int
    max_query: int
    dihedral_order: tuple[str, ...]
    stored: tuple[StoredVariantSpec, ...]
    query: dict[str, Any]
    local: dict[str, Any]

    def variant_names(self) -> list[str]:
        """Every stored variant name, in the order photo_variants returns them."""
        return [variant_name(s.name, d) for s in self.stored for d in s.dihedral]


def variant_name(crop_name: str, transform: str) -> str:
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


def _parse_cover(raw: dict[str, Any]) -> Cover | None:
    if "cover" not in raw:
        return None
    cover = raw["cover"]
    colour = tuple(int(c) for c in cover["colour"])
    if cover["side"] not in SIDES or not 0 < float(cover["fraction"]) < 0.5:
        raise ValueError(f"variant {raw['name']!r}: a cover is on a side, less than half")
    if len(colour) != 3 or not all(0 <= c <= 255 for c in colour):
        raise ValueError(f"variant {raw['name']!r}: a cover's colour is [r, g, b] in 0-255")
    return Cover(str(cover["side"]), float(cover["fraction"]), (colour[0], colour[1], colour[2]))


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
        crop = _parse_crop(raw.get("crop", dict.fromkeys(SIDES, 0)))
        stored.append(
            StoredVariantSpec(str(raw["name"]), crop, rotation, _parse_cover(raw), dihedral)
        )
    first = stored[0] if stored else None
    edited = first is not None and (first.rotation or first.cover or not first.crop.is_whole)
    if first is None or first.name != "original" or edited:
        raise ValueError("the first stored variant is the uncropped original")
    if stored[0].dihedral[0] != "original":
        raise ValueError("the first stored hash is the plain PDQ hash of the photo")
    spec = VariantSpec(
        version=int(data["version"]),
        min_quality=FACTS.min_pdq_quality,
        working_size=int(data["working_size"]),
        max_stored=int(data["max_stored"]),
        max_query=int(data["max_query"]),
        dihedral_order=order,
        stored=tuple(stored),
        query=dict(data["query"]),
        local=dict(data.get("local", {})),
    )
    names = spec.variant_names()
    if len(names) != len(set(names)):
        raise ValueError("stored variant names must be unique")
    if len(names) > spec.max_stored:
        raise ValueError(f"{len(names)} stored variants, more than max_stored {spec.max_stored}")
    if int(spec.query["working_size"]) < 64 or spec.working_size < 64:
        raise ValueError("a working size below 64 px would lose what PDQ looks at")
    unknown_query = set(spec.query["dihedral"]) - set(order)
    if unknown_query:
        raise ValueError(f"query: unknown transforms {sorted(unknown_query)}")
    return spec


@cache
def load_spec() -> VariantSpec:
    """The variants definition shipped with the package (variants.json)."""
    text = resources.files("hashstop.hashing").joinpath("variants.json").read_text("utf-8")
    return parse_spec(json.loads(text))
