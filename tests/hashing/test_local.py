"""Local hashes (issue 14): found again after edits off any grid, apart between photos.

Real photographs of the conformance set, edited with Pillow the way a re-poster does (an
asymmetric crop, a tilt, a stretch, a border, then JPEG): the upload's local hashes must hit
the photo's stored ones with at least MIN_AGREEING hits agreeing on one transform, and hits
between different photos must not agree.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageOps

from hashstop.hashing import LocalHash, local_hashes
from hashstop.hashing.local import Frame, local_spec
from hashstop.matching.geometry import LOCAL_MAX_DISTANCE, MIN_AGREEING, agreeing
from tests.conftest import CONFORMANCE_DIR

PHOTOS = [
    "images/bridge-mods/aaa-orig.jpg",
    "images/labelme-subset/q1050.jpg",
    "images/labelme-subset/q0746.jpg",
    "images/misc/pen-and-coaster.png",
]


def load(name: str) -> Image.Image:
    with Image.open(CONFORMANCE_DIR / name) as im:
        return ImageOps.exif_transpose(im).convert("RGB")


def jpeg(image: Image.Image, quality: int = 80) -> Image.Image:
    buf = io.BytesIO()
    image.save(buf, format="JPEG", quality=quality)
    return Image.open(io.BytesIO(buf.getvalue())).convert("RGB")


def agree(stored: list[LocalHash], query: list[LocalHash]) -> int:
    def arrays(hs: list[LocalHash]) -> tuple[np.ndarray, np.ndarray]:
        codes = np.array([np.frombuffer(h.code, np.uint8) for h in hs]).reshape(-1, 8)
        frames = np.array([(h.frame.x, h.frame.y, h.frame.scale, h.frame.angle) for h in hs])
        return codes, frames.reshape(-1, 4)

    sc, sf = arrays(stored)
    qc, qf = arrays(query)
    d = np.bitwise_count(qc[:, None, :] ^ sc[None, :, :]).sum(axis=2)
    qi, si = np.nonzero(d <= LOCAL_MAX_DISTANCE)
    return agreeing(qf[qi], sf[si], qi, si)


EDITS = {
    "crop 7/3/2/5%": lambda im: im.crop(
        (
            round(im.width * 0.07),
            round(im.height * 0.03),
            round(im.width * 0.98),
            round(im.height * 0.95),
        )  # fmt: skip
    ),
    "crop 12% each side": lambda im: im.crop(
        (
            round(im.width * 0.12),
            round(im.height * 0.12),
            round(im.width * 0.88),
            round(im.height * 0.88),
        )  # fmt: skip
    ),
    "tilt -5 degrees": lambda im: im.rotate(-5, resample=Image.Resampling.BICUBIC),
    "stretch 1.12 and crop": lambda im: im.resize(
        (round(im.width * 1.12), im.height), Image.Resampling.BICUBIC
    ).crop((30, 10, round(im.width * 1.12) - 5, im.height - 20)),
    "grey border 8%": lambda im: ImageOps.expand(
        im, border=round(im.width * 0.08), fill=(128, 128, 128)
    ),
}


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_an_edit_off_the_grid_is_found(edit: str) -> None:
    found = 0
    for name in PHOTOS:
        photo = load(name)
        stored = local_hashes(photo)
        upload = jpeg(EDITS[edit](photo))
        found += agree(stored, local_hashes(upload, query=True)) >= MIN_AGREEING
    assert found == len(PHOTOS)


def test_different_photos_do_not_agree() -> None:
    stored = {name: local_hashes(load(name)) for name in PHOTOS}
    worst = 0
    for a in PHOTOS:
        for b in PHOTOS:
            if a != b:
                upload = jpeg(EDITS["crop 7/3/2/5%"](load(b)))
                worst = max(worst, agree(stored[a], local_hashes(upload, query=True)))
    assert worst < MIN_AGREEING


def test_counts_and_wire_form() -> None:
    photo = load(PHOTOS[0])
    stored, query = local_hashes(photo), local_hashes(photo, query=True)
    assert len(stored) == local_spec().stored == 48 and len(query) == local_spec().query
    assert [h.hex for h in query] == [h.hex for h in stored[: len(query)]]  # strongest first
    for h in stored:
        assert len(h.value) == 12 and LocalHash.from_value(h.value) == h
        assert Frame.unpack(h.frame.pack()) == h.frame
        assert 24 <= sum(b.bit_count() for b in h.code) <= 40


def test_a_flat_image_has_no_local_hash() -> None:
    assert local_hashes(np.full((300, 400, 3), 90, np.uint8)) == []


def test_the_same_pixels_give_the_same_hashes() -> None:
    photo = np.asarray(load(PHOTOS[1]))
    assert [h.hex for h in local_hashes(photo)] == [h.hex for h in local_hashes(photo.copy())]
