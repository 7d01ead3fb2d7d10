"""The stored variants against an independent reference: Pillow's operations and Meta's C++ PDQ.

`tests/data/variants-expected.json` is a regression snapshot: it was recorded from this
package's own code (`tests/hashing/variants_expected.py`), so agreeing with it shows only that
nothing changed (the JavaScript client is compared with it for the same reason). This test
computes the variants a second way, sharing no code with `hashstop.hashing`: the working copy
by `Image.reduce` (box averages), crops by `Image.crop` with the definition's rounding, turns
and mirrors by `Image.transpose`, and each hash by `pdqhash` (Meta's C++ through its Python
binding). Every stored variant without resampling (all but the rotated and covered ones) must
be equal, bit for bit, to the reference's hash and to the snapshot's.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pdqhash
import pytest
from PIL import Image, ImageOps

from hashstop.hashing import photo_variants
from tests.conftest import CONFORMANCE_DIR
from tests.hashing.variants_expected import EXPECTED, IMAGES

SPEC = json.loads(
    (CONFORMANCE_DIR.parents[2] / "src" / "hashstop" / "hashing" / "variants.json").read_text()
)
PILLOW = {
    "original": None,
    "mirror": Image.Transpose.FLIP_LEFT_RIGHT,
    "rotate90": Image.Transpose.ROTATE_90,
    "rotate180": Image.Transpose.ROTATE_180,
    "rotate270": Image.Transpose.ROTATE_270,
}


def reference_hash(image: Image.Image) -> str:
    bits, _quality = pdqhash.compute(np.ascontiguousarray(np.asarray(image)))
    return bytes(np.packbits(np.asarray(bits, dtype=np.uint8))).hex()


def working_copy(image: Image.Image, size: int) -> Image.Image:
    factor = math.ceil(max(image.size) / size)
    return image if factor <= 1 else image.reduce(factor)


def crop(image: Image.Image, sides: dict[str, float]) -> Image.Image:
    w, h = image.size

    def r(x: float) -> int:
        return math.floor(x + 0.5)

    box = (r(w * sides["left"]), r(h * sides["top"]))
    return image.crop((*box, w - r(w * sides["right"]), h - r(h * sides["bottom"])))


def reference_variants(image: Image.Image) -> dict[str, str]:
    work = working_copy(image, SPEC["working_size"])
    out: dict[str, str] = {}
    for entry in SPEC["stored"]:
        if "rotate" in entry or "cover" in entry:
            continue
        for transform in entry["dihedral"]:
            if entry["name"] == "original":
                name = transform
                source = image if transform == "original" else work  # the first: full size
            else:
                name = entry["name"] if transform == "original" else f"{entry['name']}+{transform}"
                source = work
            edited = crop(
                source, entry.get("crop") or dict.fromkeys(("left", "top", "right", "bottom"), 0)
            )
            turn = PILLOW[transform]
            if turn is not None:
                edited = edited.transpose(turn)
            out[name] = reference_hash(edited)
    return out


@pytest.mark.parametrize("name", IMAGES)
def test_variants_equal_an_independent_reference(name: str) -> None:
    with Image.open(CONFORMANCE_DIR / name) as im:
        image = ImageOps.exif_transpose(im).convert("RGB")
    reference = reference_variants(image)
    ours = {v.name: v.pdq.hex for v in photo_variants(image)}
    snapshot: dict[str, Any] = next(
        c for c in json.loads(EXPECTED.read_text())["cases"] if c["file"] == name
    )
    recorded = {v["name"]: v["pdq"] for v in snapshot["variants"]}
    compared = [n for n in reference if n in ours]
    assert len(compared) >= 8, (name, sorted(ours))
    for variant in compared:
        assert ours[variant] == reference[variant], (name, variant)
        assert recorded[variant] == reference[variant], (name, variant)
