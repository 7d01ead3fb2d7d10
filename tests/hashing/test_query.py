"""The platform side: border removal finds the photo inside borders, bars and app chrome, leaves
borderless photos alone, and query_hashes gives at most 16 distinct PDQ hashes."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageOps

from hashstop.hashing import PdqHash, query_hashes
from hashstop.hashing.query import query_pdq, unletterbox
from hashstop.hashing.variants import pdq_dihedral
from tests.hashing.synthetic_photo import synthetic_photo

COLOURS = [(0, 0, 0), (255, 255, 255), (128, 128, 128), (200, 30, 40), (20, 60, 160)]


def jpeg(image: Image.Image, quality: int) -> Image.Image:
    buf = io.BytesIO()
    image.save(buf, format="JPEG", quality=quality)
    return Image.open(io.BytesIO(buf.getvalue())).convert("RGB")


def near(box: tuple[int, int, int, int], want: tuple[int, int, int, int], slack: int) -> bool:
    return all(abs(a - b) <= slack for a, b in zip(box, want, strict=True))


# A border thinner than a JPEG block (8 px) is all ringing after lossy coding, and too thin to
# change PDQ much: it is only required to be found in lossless images.
BORDERS = [((4, 4, 4, 4), None)] + [
    (border, quality)
    for border in [(40, 0, 40, 0), (0, 90, 0, 30), (12, 50, 70, 8), (8, 8, 8, 8)]
    for quality in (None, 40)
]


@pytest.mark.parametrize("colour", COLOURS)
@pytest.mark.parametrize(("border", "quality"), BORDERS)
def test_uniform_borders_are_removed(
    colour: tuple[int, int, int], border: tuple[int, int, int, int], quality: int | None
) -> None:
    photo = synthetic_photo(7, 320, 240)
    framed = ImageOps.expand(photo, border=border, fill=colour)
    if quality is not None:
        framed = jpeg(framed, quality)  # ringing at the photo's edge, noise in flat areas
    left, top, right, bottom = border
    want = (left, top, left + 320, top + 240)
    slack = 0 if quality is None else 3
    assert near(unletterbox(framed), want, slack), unletterbox(framed)
    assert near(unletterbox(framed, framing=True), want, slack + 1)


@pytest.mark.parametrize("seed", range(6))
def test_a_borderless_photo_is_left_alone(seed: int) -> None:
    photo = jpeg(synthetic_photo(seed, 400, 300), 70)
    assert unletterbox(photo) == (0, 0, 400, 300)
    assert unletterbox(photo, framing=True) == (0, 0, 400, 300)


def test_a_photo_of_one_colour_is_not_emptied() -> None:
    flat = Image.new("RGB", (200, 100), (10, 200, 30))
    assert unletterbox(flat) == (0, 0, 200, 100)
    assert unletterbox(flat, framing=True) == (0, 0, 200, 100)
    hashes = query_hashes(flat)
    assert 1 <= len(hashes) <= 16  # a flat photo has no keypoint: no local hash either


@pytest.mark.parametrize("bar", [(0, 0, 0), (255, 255, 255)])
def test_a_caption_bar_is_framing(bar: tuple[int, int, int]) -> None:
    photo = synthetic_photo(8, 400, 300)
    draw = ImageDraw.Draw(photo)
    draw.rectangle((0, 270, 400, 300), fill=bar)
    ink = tuple(255 - c for c in bar)
    draw.text((120, 278), "WHEN YOU SEE IT", fill=ink, font_size=16)
    captioned = jpeg(photo, 75)
    assert unletterbox(captioned)[3] > 275  # not uniform: the text stops uniform removal
    assert near(unletterbox(captioned, framing=True), (0, 0, 400, 270), 3)


@pytest.mark.parametrize("dark", [False, True])
def test_an_app_screenshot_is_reduced_to_the_photo(dark: bool) -> None:
    bg, fg, bar = (
        ((0, 0, 0), (230, 230, 230), (25, 25, 25)) if dark else ((255,) * 3, (0,) * 3, (242,) * 3)
    )
    canvas = Image.new("RGB", (360, 780), bg)
    draw = ImageDraw.Draw(canvas)
    draw.rectangle((0, 0, 360, 24), fill=bar)
    draw.text((10, 6), "9:41", fill=fg)
    draw.rectangle((300, 6, 340, 18), fill=fg)
    draw.ellipse((10, 34, 42, 66), fill=(200, 120, 40))
    draw.text((52, 44), "somebody", fill=fg)
    canvas.paste(synthetic_photo(9, 360, 270), (0, 80))
    for x in (10, 50, 90):
        draw.ellipse((x, 362, x + 24, 386), outline=fg, width=3)
    draw.text((10, 400), "what a view", fill=fg)
    shot = jpeg(canvas, 85)
    assert near(unletterbox(shot, framing=True), (0, 80, 360, 350), 3)


def test_query_hashes_are_the_upload_then_its_content_turned_every_way() -> None:
    photo = synthetic_photo(10, 400, 300)
    framed = ImageOps.expand(photo, border=30, fill=(255, 255, 255))
    hashes = query_hashes(framed, local=False)
    assert 9 <= len(hashes) <= 16
    assert all(algorithm == "pdq" for algorithm, _ in hashes)
    values = [PdqHash.from_hex(v) for _, v in hashes]
    assert len(set(values)) == len(values)
    assert values[0] == pdq_dihedral(np.asarray(framed))[0][0]  # the upload as it is
    inside, _ = pdq_dihedral(np.asarray(photo))
    mirrored = pdq_dihedral(np.asarray(ImageOps.mirror(photo)))[0][0]
    assert min(inside[0].distance(v) for v in values) <= 8
    # PDQ's one-pass dihedral hashes differ from hashing turned pixels by a few bits
    assert min(mirrored.distance(v) for v in values) <= 24


def test_query_pdq_accepts_arrays_and_refuses_what_is_not_rgb() -> None:
    photo = synthetic_photo(11, 200, 150)
    assert query_pdq(np.asarray(photo)) == query_pdq(photo)
    assert query_pdq(photo.convert("L")) == query_pdq(photo.convert("L").convert("RGB"))
    with pytest.raises(ValueError, match="RGB"):
        query_pdq(np.zeros((10, 10), dtype=np.uint8))


@pytest.mark.parametrize("shape", [(1, 1, 3), (2, 3, 3), (5, 200, 3), (200, 5, 3)])
def test_tiny_and_thin_images_are_hashed_without_error(shape: tuple[int, int, int]) -> None:
    rgb = np.random.default_rng(0).integers(0, 256, shape, dtype=np.uint8)
    assert 1 <= len(query_hashes(rgb, local=False)) <= 16
    box = unletterbox(rgb)
    assert 0 <= box[0] < box[2] <= shape[1] and 0 <= box[1] < box[3] <= shape[0]


def test_one_call_from_a_file_path_or_its_bytes(tmp_path) -> None:
    """The platform helper decodes a file as displayed: a path, bytes, a PIL image or an array
    give the same hashes; what is not an image is refused with one line."""
    from hashstop.hashing import HashingError, NotAnImageError, photo_variants

    photo = synthetic_photo(41, 500, 360)
    turned = photo.transpose(Image.Transpose.ROTATE_270)  # stored turned, shown upright via EXIF
    exif = Image.Exif()
    exif[0x0112] = 8  # rotate 90 counter-clockwise to display
    path = tmp_path / "upload.jpg"
    turned.save(path, quality=95, exif=exif)
    shown = ImageOps.exif_transpose(Image.open(path)).convert("RGB")
    expected = query_hashes(shown)
    assert shown.size == photo.size
    assert query_hashes(path) == query_hashes(str(path)) == expected
    assert query_hashes(path.read_bytes()) == expected
    assert query_hashes(np.asarray(shown)) == expected
    assert photo_variants(path) == photo_variants(shown)
    text = tmp_path / "notes.txt"
    text.write_text("not a picture")
    with pytest.raises(NotAnImageError) as refused:
        query_hashes(text)
    assert isinstance(refused.value, HashingError) and "\n" not in str(refused.value)
