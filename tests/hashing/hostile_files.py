"""Hostile image files for the clients: valid files, their mutations, and decompression bombs.

`seed_files()` generates one small valid file per format (JPEG, PNG, GIF, WebP, HEIC, TIFF) and
a JPEG and a PNG above 1 MP (the reduced-decode path). `mutants()` is a hypothesis strategy of
their corruptions: bit flips, bytes overwritten, truncations, runs deleted or repeated, and
structure-aware ones: the length field of a PNG chunk, JPEG segment, RIFF chunk or ISOBMFF box
set to another value, and the declared width and height (PNG IHDR with its CRC fixed, JPEG SOF,
GIF screen and frame, WebP VP8/VP8X, HEIC ispe) set to extremes. `check(data)` runs the client's
decoding paths on one file: `hash_file` (default and full resolution), `open_image`, and on a
decoded image `photo_variants` and `query_hashes`; each must succeed or raise one HashingError
with a one-line message. Anything else propagates, and the test fails with hypothesis's
smallest example.

`bombs()` are decompression bombs: huge declared dimensions in every format's header with almost
no data, and PNG and JPEG files of real, highly compressible pixels near the limits.
"""

from __future__ import annotations

import io
import struct
import tempfile
import zlib
from collections.abc import Callable
from functools import cache
from pathlib import Path

import numpy as np
from hypothesis import strategies as st
from PIL import Image

from hashstop.hashing import HashingError, hash_file, open_image, photo_variants, query_hashes
from tests.hashing.generated import scene

FORMATS = ("jpeg", "png", "gif", "webp", "heic", "tiff", "jpeg-large", "png-large")
EXTREMES = (0, 1, 2, 255, 256, 16383, 16384, 65535, 2**24 - 1, 2**31 - 1, 2**32 - 1)


@cache
def seed_files() -> dict[str, bytes]:
    rng = np.random.default_rng(7)
    small = Image.fromarray(scene(rng, 48, 64))
    large = Image.fromarray(scene(rng, 1000, 1200))
    out: dict[str, bytes] = {}
    for name, image, fmt, options in (
        ("jpeg", small, "JPEG", {"quality": 85}),
        ("png", small, "PNG", {}),
        ("gif", small.convert("P"), "GIF", {}),
        ("webp", small, "WEBP", {"quality": 80}),
        ("heic", small, "HEIF", {"quality": 80}),
        ("tiff", small, "TIFF", {"compression": "tiff_deflate"}),
        ("jpeg-large", large, "JPEG", {"quality": 85}),
        ("png-large", large, "PNG", {"compress_level": 1}),
    ):
        buffer = io.BytesIO()
        image.save(buffer, format=fmt, **options)
        out[name] = buffer.getvalue()
    return out


# --- the structure of each format: where lengths and dimensions are -------------------------


def png_chunks(data: bytes) -> list[tuple[int, bytes, int]]:
    """(offset of the length field, type, data length) of each PNG chunk."""
    out, pos = [], 8
    while pos + 8 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        out.append((pos, data[pos + 4 : pos + 8], length))
        pos += 12 + length
    return out


def jpeg_segments(data: bytes) -> list[tuple[int, int]]:
    """(offset of the marker, marker byte) of each JPEG segment with a length, up to SOS."""
    out, pos = [], 2
    while pos + 4 <= len(data) and data[pos] == 0xFF:
        marker = data[pos + 1]
        out.append((pos, marker))
        if marker == 0xDA:
            break
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        pos += 2 + length
    return out


def riff_chunks(data: bytes) -> list[tuple[int, bytes]]:
    """(offset of the fourcc, fourcc) of each chunk of a RIFF (WebP) file."""
    out, pos = [], 12
    while pos + 8 <= len(data):
        (size,) = struct.unpack("<I", data[pos + 4 : pos + 8])
        out.append((pos, data[pos : pos + 4]))
        pos += 8 + size + (size & 1)
    return out


def boxes(data: bytes, start: int = 0, end: int | None = None) -> list[tuple[int, bytes]]:
    """(offset, type) of the ISOBMFF boxes (HEIC), into meta, iprp and ipco."""
    end = len(data) if end is None else end
    out, pos = [], start
    while pos + 8 <= end:
        (size,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        out.append((pos, kind))
        if size < 8:
            break
        inner = pos + 8 + (4 if kind == b"meta" else 0)
        if kind in (b"meta", b"iprp", b"ipco"):
            out.extend(boxes(data, inner, min(pos + size, end)))
        pos += size
    return out


def length_fields(fmt: str, data: bytes) -> list[tuple[int, int, str]]:
    """(offset, width in bytes, byte order) of every length field the format has."""
    if fmt.startswith("png"):
        return [(pos, 4, ">") for pos, _, _ in png_chunks(data)]
    if fmt.startswith("jpeg"):
        return [(pos + 2, 2, ">") for pos, _ in jpeg_segments(data)]
    if fmt == "webp":
        return [(4, 4, "<")] + [(pos + 4, 4, "<") for pos, _ in riff_chunks(data)]
    if fmt == "heic":
        return [(pos, 4, ">") for pos, _ in boxes(data)]
    if fmt == "gif":  # the sub-block sizes after the first image descriptor's LZW code size
        start = data.find(b"\x2c")
        return [(start + 11, 1, ">")] if start > 0 else []
    return []


def set_dimensions(fmt: str, data: bytes, width: int, height: int) -> bytes:
    """`data` with its declared width and height replaced (each masked to its field's size);
    unchanged where an earlier mutation broke the structure that locates them."""
    try:
        return _set_dimensions(fmt, data, width, height)
    except (struct.error, IndexError, ValueError):
        return data


def _set_dimensions(fmt: str, data: bytes, width: int, height: int) -> bytes:
    out = bytearray(data)
    if fmt.startswith("png"):
        out[16:24] = struct.pack(">II", width & 0xFFFFFFFF, height & 0xFFFFFFFF)
        out[29:33] = struct.pack(">I", zlib.crc32(bytes(out[12:29])))
    elif fmt.startswith("jpeg"):
        for pos, marker in jpeg_segments(data):
            if marker in (0xC0, 0xC1, 0xC2):
                out[pos + 5 : pos + 9] = struct.pack(">HH", height & 0xFFFF, width & 0xFFFF)
    elif fmt == "gif":
        out[6:10] = struct.pack("<HH", width & 0xFFFF, height & 0xFFFF)
        frame = data.find(b"\x2c")
        if frame > 0:
            out[frame + 5 : frame + 9] = struct.pack("<HH", width & 0xFFFF, height & 0xFFFF)
    elif fmt == "webp":
        for pos, kind in riff_chunks(data):
            body = pos + 8
            if kind == b"VP8 ":
                out[body + 6 : body + 10] = struct.pack("<HH", width & 0x3FFF, height & 0x3FFF)
            elif kind == b"VP8X":
                w, h = (width - 1) & 0xFFFFFF, (height - 1) & 0xFFFFFF
                out[body + 4 : body + 10] = w.to_bytes(3, "little") + h.to_bytes(3, "little")
    elif fmt == "heic":
        pos = data.find(b"ispe")
        if pos > 0:
            out[pos + 8 : pos + 16] = struct.pack(">II", width & 0xFFFFFFFF, height & 0xFFFFFFFF)
    elif fmt == "tiff":  # little-endian TIFF: ImageWidth (256) and ImageLength (257) entries
        (ifd,) = struct.unpack("<I", data[4:8])
        (count,) = struct.unpack("<H", data[ifd : ifd + 2])
        for i in range(count):
            entry = ifd + 2 + 12 * i
            tag, kind = struct.unpack("<HH", data[entry : entry + 4])
            value = {256: width, 257: height}.get(tag)
            if value is not None:
                out[entry + 8 : entry + 12] = (
                    struct.pack("<I", value & 0xFFFFFFFF)
                    if kind == 4
                    else struct.pack("<HH", value & 0xFFFF, 0)
                )
    return bytes(out)


# --- mutations ------------------------------------------------------------------------------


@st.composite
def mutants(draw: st.DrawFn) -> tuple[str, bytes]:
    """(format, bytes): a valid seed file with 1-4 mutations applied."""
    fmt = draw(st.sampled_from(FORMATS))
    data = bytearray(seed_files()[fmt])
    for _ in range(draw(st.integers(1, 4))):
        n = len(data)
        if n < 4:
            break
        kind = draw(
            st.sampled_from(
                ("flip", "byte", "truncate", "delete", "repeat", "length", "dimensions")
            )
        )
        at = draw(st.integers(0, n - 1))
        if kind == "flip":
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "byte":
            data[at] = draw(st.integers(0, 255))
        elif kind == "truncate":
            del data[at:]
        elif kind == "delete":
            del data[at : at + draw(st.integers(1, 64))]
        elif kind == "repeat":
            run = bytes(data[at : at + draw(st.integers(1, 64))])
            data[at:at] = run * draw(st.integers(1, 8))
        elif kind == "length":
            fields = length_fields(fmt, bytes(data))
            fields = [f for f in fields if f[0] + f[1] <= len(data)]
            if fields:
                pos, size, order = draw(st.sampled_from(fields))
                value = draw(st.one_of(st.sampled_from(EXTREMES), st.integers(0, 2**32 - 1)))
                mask = (1 << (8 * size)) - 1
                data[pos : pos + size] = (value & mask).to_bytes(
                    size, "big" if order == ">" else "little"
                )
        else:
            dimension = st.one_of(st.sampled_from(EXTREMES), st.integers(0, 70_000))
            data = bytearray(set_dimensions(fmt, bytes(data), draw(dimension), draw(dimension)))
    return fmt, bytes(data)


def _one_line(error: HashingError) -> None:
    text = str(error)
    assert text and "\n" not in text and "Traceback" not in text, repr(text)


def check(data: bytes, directory: Path, paths: str = "all") -> str:
    """Run the client's decoding paths on `data`; 'ok' or 'refused'. Other exceptions escape.

    `paths="default"` is what `hashstop hash` and `hashstop submit` do (`hash_file`) and
    `open_image`; "all" adds the full-resolution hash with its dihedral hashes, and the
    victim's variants and a platform's query hashes of the decoded image."""
    path = directory / "upload"
    path.write_bytes(data)
    outcomes = []
    attempts = [lambda: hash_file(path)]
    if paths == "all":
        attempts.append(lambda: hash_file(path, full_resolution=True, dihedral=True))
    for attempt in attempts:
        try:
            attempt()
            outcomes.append("ok")
        except HashingError as error:
            _one_line(error)
            outcomes.append("refused")
    try:
        image = open_image(data)
    except HashingError as error:
        _one_line(error)
        return "refused"
    if paths == "all":
        for use in (photo_variants, query_hashes):
            try:
                use(image)
            except HashingError as error:
                _one_line(error)
    return "ok" if "ok" in outcomes else "refused"


# --- decompression bombs --------------------------------------------------------------------


def _png(width: int, height: int, rows: Callable[[int], bytes] | None, mode: int = 2) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    if rows is None:
        pixels = zlib.compress(b"\x00" * 64)
    else:
        packer = zlib.compressobj(9)
        pixels = b"".join(packer.compress(rows(y)) for y in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, mode, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def _zero_rows(width: int, channels: int) -> Callable[[int], bytes]:
    row = b"\x00" * (1 + width * channels)
    return lambda _y: row


def _jpeg_of(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (30, 60, 90)).save(buffer, format="JPEG", quality=50)
    return buffer.getvalue()


def bombs() -> dict[str, Callable[[], bytes]]:
    """name -> a function making the bomb's bytes (some take a second or two)."""
    seeds = seed_files()
    return {
        "png-declares-30000x30000": lambda: _png(30_000, 30_000, None),
        "png-declares-4Gx4G": lambda: _png(2**31 - 1, 2**31 - 1, None),
        "png-13000x13000-of-zeros": lambda: _png(13_000, 13_000, _zero_rows(13_000, 3)),
        "png-gray-16000x11000-of-zeros": lambda: _png(16_000, 11_000, _zero_rows(16_000, 1), 0),
        "png-10000x10000-of-zeros": lambda: _png(10_000, 10_000, _zero_rows(10_000, 3)),
        "gif-declares-65535x65535": lambda: set_dimensions("gif", seeds["gif"], 65535, 65535),
        "webp-declares-16383x16383": lambda: set_dimensions("webp", seeds["webp"], 16383, 16383),
        "jpeg-declares-65535x65535": lambda: set_dimensions("jpeg", seeds["jpeg"], 65535, 65535),
        "jpeg-13000x13000-flat": lambda: _jpeg_of(13_000, 13_000),
        "heic-declares-60000x60000": lambda: set_dimensions("heic", seeds["heic"], 60000, 60000),
        "tiff-declares-65535x65535": lambda: set_dimensions("tiff", seeds["tiff"], 65535, 65535),
    }


def scratch() -> Path:
    return Path(tempfile.mkdtemp(prefix="hashstop-hostile-"))
