"""Decode an image as a person sees it, or refuse it with a clear error.

A victim's copy and the copy re-uploaded to a platform must hash alike, so we hash what is
displayed: the first frame (GIF, animated WebP, multi-picture JPEG), the EXIF orientation
applied (all eight), any Pillow mode converted with `Image.convert("RGB")` (as the conformance
set's reference and Pillow-based platform pipelines do: alpha is dropped, 16-bit and float
pixels are clipped, not rescaled). HEIC/HEIF phone photos are read through pillow-heif, which
applies their rotation itself.

It refuses, with `ImageDecodeError` and never a traceback: formats outside `IMAGE_FORMATS`
(identified by their magic bytes, never by extension), images above `PIXEL_LIMIT` pixels
or whose decode would take over `DECODED_BYTES_LIMIT` bytes (decompression bombs), truncated or
corrupt data. It does not rescale colours or composite
transparency, and it never writes or keeps image bytes anywhere.
"""

from __future__ import annotations

import io
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import BinaryIO

import pillow_heif
from PIL import Image, ImageFile, UnidentifiedImageError

from hashstop.hashing.digests import open_regular_file
from hashstop.hashing.errors import EmptyFileError, ImageDecodeError, NotAnImageError

pillow_heif.register_heif_opener()

Source = str | os.PathLike[str] | bytes
"""A path, or the bytes of a file already in memory."""

PIXEL_LIMIT = 178_956_970
"""Largest image decoded, in pixels: Pillow's default hard limit (2 x MAX_IMAGE_PIXELS),
enforced here whatever a caller set Pillow's global to. It admits 12-108 MP phone photos; a
200 MP sensor's full-size output is refused."""

DECODED_BYTES_LIMIT = 512 * 2**20
"""Largest decode held in memory, in bytes, checked before decoding: Pillow keeps most modes at
4 bytes a pixel, so a PNG of zeros declaring 13000x13000 pixels, 0.5 MB on disk, would take
676 MB. It admits a 108 MP RGB photo (432 MB); a JPEG hashed from a reduced decode counts only
the reduced pixels. Found by the hostile-file fuzzing (`tests/hashing/test_hostile_fuzz.py`)."""

_BYTES_PER_PIXEL = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16L": 2, "I;16B": 2, "I;16N": 2}
"""Pillow's storage per pixel for the modes below 4 bytes (all others take 4)."""

IMAGE_FORMATS = ("JPEG", "PNG", "GIF", "WEBP", "TIFF", "BMP", "AVIF", "HEIF", "JPEG2000")
"""Formats decoded as images, recognised by magic bytes. Formats Pillow also guesses at
(TGA has no magic; MPEG is video) are left out so that other files are never mistaken for one."""


@dataclass(frozen=True)
class Transposition:
    """How to turn stored pixels into displayed ones: transpose first, then flip."""

    transpose: bool
    flip_rows: bool  # reverse the order of rows (top becomes bottom)
    flip_columns: bool  # reverse the order of columns (left becomes right)


ORIENTATIONS: dict[int, Transposition] = {
    1: Transposition(False, False, False),
    2: Transposition(False, False, True),  # mirrored
    3: Transposition(False, True, True),  # rotated 180
    4: Transposition(False, True, False),  # mirrored vertically
    5: Transposition(True, False, False),  # transposed
    6: Transposition(True, False, True),  # rotated 90 clockwise
    7: Transposition(True, True, True),  # transversed
    8: Transposition(True, True, False),  # rotated 90 counter-clockwise
}
"""EXIF orientation -> transposition, the same as Pillow's `ImageOps.exif_transpose`."""

_PILLOW_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def _registered_formats() -> tuple[str, ...]:
    Image.init()
    return tuple(name for name in IMAGE_FORMATS if name in Image.OPEN)


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return text or type(error).__name__


@contextmanager
def decoding(what: str) -> Iterator[None]:
    """Turn whatever a decoder raises on hostile input into one ImageDecodeError.

    Decoder warnings (corrupt EXIF, the pixel count between Pillow's warning and error limits)
    are silenced: the image either decodes, or fails here with one line.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    except ImageDecodeError:
        raise
    except UnidentifiedImageError as error:
        formats = ", ".join(IMAGE_FORMATS)
        raise NotAnImageError(
            f"{what}: not an image in a format hashstop reads ({formats})"
        ) from error
    except Image.DecompressionBombError as error:
        raise ImageDecodeError(f"{what}: refused, {_one_line(error)}") from error
    except MemoryError as error:
        raise ImageDecodeError(f"{what}: too large to decode in memory") from error
    except OSError as error:
        if "truncated" in str(error):
            raise ImageDecodeError(f"{what}: the image data is truncated") from error
        raise ImageDecodeError(f"{what}: cannot decode the image ({_one_line(error)})") from error
    except Exception as error:  # noqa: BLE001 - decoders raise many types on corrupt data
        reason = f"{type(error).__name__}: {_one_line(error)}"
        raise ImageDecodeError(f"{what}: corrupt image data ({reason})") from error


def _stream(source: Source) -> tuple[BinaryIO, str]:
    if isinstance(source, bytes):
        if not source:
            raise EmptyFileError("the image is empty (0 bytes)")
        return io.BytesIO(source), "image bytes"
    return open_regular_file(source), os.fspath(source)


@contextmanager
def opened_image(source: Source) -> Iterator[ImageFile.ImageFile]:
    """The image at `source`, identified and size-checked but not yet decoded.

    Raises NotAnImageError when the bytes are in none of IMAGE_FORMATS, ImageDecodeError when
    the header is corrupt or the image is above PIXEL_LIMIT, FileAccessError / EmptyFileError
    for the file itself. Decode inside the `with` block (the file is closed after it).
    """
    stream, name = _stream(source)
    with stream:
        with decoding(name):
            image = Image.open(stream, formats=_registered_formats())
            width, height = image.size
            if width * height > PIXEL_LIMIT:
                raise ImageDecodeError(
                    f"{name}: refused, {width}x{height} is {width * height:,} pixels, "
                    f"above the {PIXEL_LIMIT:,}-pixel limit (possible decompression bomb)"
                )
        yield image


def check_decoded_size(image: Image.Image, name: str, *, convert: bool = True) -> None:
    """Refuse to decode `image` at its current size if that needs over DECODED_BYTES_LIMIT
    (counting the RGB copy a conversion to RGB makes when `convert`)."""
    width, height = image.size
    per_pixel = _BYTES_PER_PIXEL.get(image.mode, 4)
    if convert and image.mode != "RGB":
        per_pixel += 4
    needed = width * height * per_pixel
    if needed > DECODED_BYTES_LIMIT:
        raise ImageDecodeError(
            f"{name}: refused, decoding {width}x{height} pixels ({image.mode}) needs "
            f"{needed / 2**20:,.0f} MB, above the {DECODED_BYTES_LIMIT // 2**20} MB limit "
            "(possible decompression bomb)"
        )


def orientation(image: Image.Image) -> int:
    """The EXIF orientation (1-8) Pillow's exif_transpose would apply; 1 if none or invalid."""
    value = image.getexif().get(0x0112, 1)
    return value if isinstance(value, int) and value in ORIENTATIONS else 1


def to_rgb(image: Image.Image) -> Image.Image:
    """Any Pillow mode to RGB, as `Image.convert("RGB")` does (via LA for premultiplied La)."""
    if image.mode == "RGB":
        return image
    if image.mode == "La":
        image = image.convert("LA")
    return image.convert("RGB")


def displayed_rgb(image: Image.Image, name: str = "image") -> Image.Image:
    """Decode `image` fully, apply its EXIF orientation and convert it to RGB."""
    with decoding(name):
        check_decoded_size(image, name)
        image.load()
        method = _PILLOW_TRANSPOSE.get(orientation(image))
        shown = image.transpose(method) if method is not None else image
        return to_rgb(shown)


def open_image(source: Source) -> Image.Image:
    """The image at `source` (a path or bytes) as displayed: decoded, oriented, RGB."""
    name = "image bytes" if isinstance(source, bytes) else os.fspath(source)
    with opened_image(source) as image:
        return displayed_rgb(image, name)
