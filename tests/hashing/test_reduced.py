"""The fast path for large photos: decoded reduced, hashed within a few bits of every pixel."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps

from hashstop.hashing import hash_file, open_image
from hashstop.hashing.decoding import opened_image
from hashstop.hashing.pdq import downsample, luma_from_rgb
from hashstop.hashing.reduced import decode_reduced, pdq_block
from tests.conftest import CONFORMANCE_DIR
from tests.hashing.generated import scene


def _exif(orientation: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    return exif.tobytes()


def blocky(rng: np.random.Generator, rows: int, cols: int, factor: int) -> np.ndarray:
    """An image constant on factor x factor blocks from the top-left (partial at the far edges),
    so a reduced decode is exactly the block means and the fast path's estimate can be exact."""
    small = scene(rng, -(-rows // factor), -(-cols // factor))
    return np.repeat(np.repeat(small, factor, axis=0), factor, axis=1)[:rows, :cols]


@pytest.mark.parametrize("orientation", range(1, 9))
def test_block_estimate_equals_the_reference_block(tmp_path: Path, orientation: int) -> None:
    # 1203 x 1011: neither side a multiple of the factor, so the partial blocks must land on
    # the right edge after every rotation and flip.
    rgb = blocky(np.random.default_rng(orientation), 1011, 1203, factor=3)
    path = tmp_path / "blocky.png"
    Image.fromarray(rgb).save(path, exif=_exif(orientation), compress_level=1)
    with opened_image(path) as image:
        reduced = decode_reduced(image)
    assert reduced is not None and reduced.factor == 3
    exact = downsample(luma_from_rgb(np.ascontiguousarray(np.asarray(open_image(path)))))
    estimate = pdq_block(reduced)
    assert np.abs(estimate - exact).max() < 0.02  # float32 vs float64 sums, nothing more


@pytest.mark.parametrize("orientation", range(1, 9))
def test_reduced_pixels_are_displayed_like_pillow(tmp_path: Path, orientation: int) -> None:
    rgb = scene(np.random.default_rng(0), 1100, 1300)
    path = tmp_path / "photo.jpg"
    Image.fromarray(rgb).save(path, exif=_exif(orientation), quality=92)
    with opened_image(path) as image:
        reduced = decode_reduced(image)
    assert reduced is not None
    with Image.open(path) as image:
        image.draft("RGB", (image.width // reduced.factor, image.height // reduced.factor))
        expected = np.asarray(ImageOps.exif_transpose(image))
    assert np.array_equal(np.asarray(reduced.displayed()), expected)


PHOTOS = ["bridge-mods/sharpen-a-lot.jpg", "misc/pen-and-coaster.png", "misc-images/c.png"]


@pytest.mark.parametrize("orientation", range(1, 9))
def test_fast_path_is_within_six_bits(tmp_path: Path, orientation: int) -> None:
    # Photos re-cut to odd sizes (enlarged when under 1 MP), rotated by EXIF, as JPEG or PNG.
    with Image.open(CONFORMANCE_DIR / "images" / PHOTOS[orientation % 3]) as source:
        photo = source.convert("RGB")
    width, height = photo.width * (9 + orientation) // 10, photo.height * (13 - orientation) // 10
    photo = photo.resize((width | 1, height | 1), Image.Resampling.BICUBIC)
    path = tmp_path / ("photo.jpg" if orientation % 2 else "photo.png")
    if orientation % 2:
        photo.save(path, exif=_exif(orientation), quality=90)
    else:
        photo.save(path, exif=_exif(orientation), compress_level=1)
    fast, full = (
        hash_file(path, dihedral=True),
        hash_file(path, full_resolution=True, dihedral=True),
    )
    assert fast.pdq is not None and full.pdq is not None
    assert fast.pdq.distance(full.pdq) <= 6
    assert fast.pdq_dihedral is not None and full.pdq_dihedral is not None
    assert all(
        a.distance(b) <= 6 for a, b in zip(fast.pdq_dihedral, full.pdq_dihedral, strict=True)
    )
    assert fast.phash is not None and full.phash is not None
    assert fast.phash.distance(full.phash) <= 4


def test_phone_photos_decode_at_an_eighth() -> None:
    with opened_image(CONFORMANCE_DIR / "images" / "exif-rotn" / "exif-rotn-6.jpg") as image:
        reduced = decode_reduced(image)
    assert reduced is not None
    assert (reduced.factor, reduced.pixels.mode, reduced.orientation) == (8, "RGB", 6)
    assert reduced.pixels.size == (504, 378)


def test_images_up_to_a_megapixel_take_the_exact_path(tmp_path: Path) -> None:
    path = tmp_path / "mp.jpg"
    Image.fromarray(scene(np.random.default_rng(2), 1000, 1000)).save(path)
    with opened_image(path) as image:
        assert decode_reduced(image) is None


def test_thin_images_are_not_reduced(tmp_path: Path) -> None:
    path = tmp_path / "strip.png"
    Image.fromarray(scene(np.random.default_rng(2), 300, 4000)).save(path)
    with opened_image(path) as image:
        assert decode_reduced(image) is None  # 1.2 MP, but its short side is already small
