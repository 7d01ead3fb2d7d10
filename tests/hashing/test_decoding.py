"""Decoding as displayed: every mode to RGB, the 8 EXIF orientations, WebP, GIF, HEIC."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from hashstop.hashing import PdqHash, displayed_rgb, hash_file, open_image, pdq_from_rgb
from tests.hashing.generated import scene

# The transformation each EXIF orientation asks for, written from the EXIF specification.
DISPLAYED = {
    1: lambda a: a,
    2: np.fliplr,  # mirrored horizontally
    3: lambda a: np.rot90(a, 2),
    4: np.flipud,
    5: lambda a: np.rot90(np.fliplr(a), 1),  # mirror, then 270 clockwise
    6: lambda a: np.rot90(a, -1),  # 90 clockwise
    7: lambda a: np.rot90(np.fliplr(a), -1),  # mirror, then 90 clockwise
    8: lambda a: np.rot90(a, 1),  # 270 clockwise
}


@pytest.fixture
def picture() -> np.ndarray:
    return scene(np.random.default_rng(11), 60, 90)  # not square: rotations change its shape


def _exif(orientation: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    return exif.tobytes()


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_exif_orientation_is_applied(
    tmp_path: Path, picture: np.ndarray, orientation: int
) -> None:
    path = tmp_path / f"o{orientation}.png"  # lossless, so pixels compare exactly
    Image.fromarray(picture).save(path, exif=_exif(orientation))
    shown = np.asarray(open_image(path))
    assert np.array_equal(shown, DISPLAYED[orientation](picture))


@pytest.mark.parametrize("orientation", [0, 9, 65535])
def test_invalid_orientations_are_ignored(
    tmp_path: Path, picture: np.ndarray, orientation: int
) -> None:
    path = tmp_path / "odd.png"
    Image.fromarray(picture).save(path, exif=_exif(orientation))
    assert np.array_equal(np.asarray(open_image(path)), picture)


SAVED_MODES = [
    ("1", "png"), ("L", "png"), ("LA", "png"), ("P", "png"), ("RGBA", "png"), ("I;16", "png"),
    ("I", "tiff"), ("CMYK", "jpg"), ("CMYK", "tiff"), ("YCbCr", "tiff"), ("F", "tiff"),
    ("LAB", "tiff"), ("RGB", "bmp"), ("RGB", "tiff"), ("L", "jpg"),
]  # fmt: skip


@pytest.mark.parametrize(("mode", "extension"), SAVED_MODES)
def test_files_in_every_mode_decode_as_pillow_converts_them(
    tmp_path: Path, picture: np.ndarray, mode: str, extension: str
) -> None:
    source = Image.fromarray(picture)
    image = source.convert(mode)
    if mode in ("I", "I;16"):
        image = Image.fromarray((np.asarray(source.convert("L"), dtype=np.int32) * 3), "I")
        image = image.convert(mode) if mode == "I;16" else image
    path = tmp_path / f"picture.{extension}"
    image.save(path)
    with Image.open(path) as stored:
        expected = np.asarray(stored.convert("RGB"))
    shown = open_image(path)
    assert shown.mode == "RGB"
    assert np.array_equal(np.asarray(shown), expected)
    assert hash_file(path).kind == "image"


@pytest.mark.parametrize("mode", ["HSV", "RGBa", "La", "PA", "RGBX", "I;16B", "F", "LAB"])
def test_in_memory_modes_convert_to_rgb(picture: np.ndarray, mode: str) -> None:
    source = Image.fromarray(picture)
    if mode == "La":
        image = source.convert("LA").convert("La")
        expected = np.asarray(image.convert("LA").convert("RGB"))
    else:
        image = source.convert("L").convert(mode) if mode == "I;16B" else source.convert(mode)
        expected = np.asarray(image.convert("RGB"))
    shown = displayed_rgb(image)
    assert shown.mode == "RGB" and np.array_equal(np.asarray(shown), expected)


def test_lossless_webp_decodes_exactly(tmp_path: Path, picture: np.ndarray) -> None:
    path = tmp_path / "picture.webp"
    Image.fromarray(picture).save(path, lossless=True)
    assert np.array_equal(np.asarray(open_image(path)), picture)


def test_animated_webp_and_gif_give_their_first_frame(tmp_path: Path, picture: np.ndarray) -> None:
    first = Image.fromarray(picture)
    second = Image.fromarray(255 - picture)
    webp = tmp_path / "animated.webp"
    first.save(webp, save_all=True, append_images=[second], lossless=True, duration=100)
    assert np.array_equal(np.asarray(open_image(webp)), picture)

    gif = tmp_path / "animated.gif"
    paletted = [f.quantize(64) for f in (first, second)]
    paletted[0].save(gif, save_all=True, append_images=paletted[1:], duration=100)
    assert np.array_equal(np.asarray(open_image(gif)), np.asarray(paletted[0].convert("RGB")))
    with Image.open(gif) as check:
        assert getattr(check, "n_frames", 1) == 2


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L"])
def test_heic_phone_photos_decode(tmp_path: Path, picture: np.ndarray, mode: str) -> None:
    path = tmp_path / "photo.heic"
    Image.fromarray(picture).convert(mode).save(path, quality=95)
    with open(path, "rb") as stream:
        assert stream.read(12)[4:8] == b"ftyp"  # a real HEIF container, not a renamed file
    shown = np.asarray(open_image(path))
    assert shown.shape == picture.shape
    hashes = hash_file(path)
    assert hashes.kind == "image" and hashes.pdq is not None
    assert hashes.pdq == pdq_from_rgb(shown)[0]
    original = pdq_from_rgb(np.asarray(Image.fromarray(picture).convert(mode).convert("RGB")))[0]
    assert hashes.pdq.distance(original) <= 40  # lossy, but the same picture


def test_heic_rotation_is_applied_once(tmp_path: Path, picture: np.ndarray) -> None:
    path = tmp_path / "rotated.heic"
    Image.fromarray(picture).save(path, exif=_exif(6), quality=95)
    with Image.open(path) as stored:  # stored with a rotation that libheif applies
        assert stored.format == "HEIF" and stored.info.get("original_orientation") == 6
    shown = open_image(path)
    assert shown.size == (picture.shape[0], picture.shape[1])  # rotated once, not twice
    pixels = np.asarray(shown, dtype=int)
    error = {turn: np.abs(pixels - DISPLAYED[turn](picture)).mean() for turn in (5, 6, 7, 8)}
    assert min(error, key=lambda turn: error[turn]) == 6 and error[6] < 8  # lossy, but upright


def test_bytes_decode_like_the_file(tmp_path: Path, picture: np.ndarray) -> None:
    path = tmp_path / "picture.png"
    Image.fromarray(picture).save(path)
    assert np.array_equal(np.asarray(open_image(path.read_bytes())), picture)


def test_the_decoded_image_hashes_like_the_reference_array(tmp_path: Path) -> None:
    rgb = scene(np.random.default_rng(3), 200, 300)
    path = tmp_path / "scene.png"
    Image.fromarray(rgb).save(path)
    assert hash_file(path).pdq == pdq_from_rgb(rgb)[0]
    assert isinstance(hash_file(path).pdq, PdqHash)
