"""Corrupt and hostile input: one clear HashingError, never another exception, never a hang."""

from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from hashstop.hashing import (
    PIXEL_LIMIT,
    EmptyFileError,
    FileAccessError,
    HashingError,
    ImageDecodeError,
    NotAnImageError,
    hash_file,
    open_image,
)
from hashstop.hashing.digests import describe_os_error
from tests.conftest import CONFORMANCE_DIR
from tests.hashing.generated import scene

SMALL_JPEG = CONFORMANCE_DIR / "images" / "labelme-subset" / "q0122.jpg"
LARGE_JPEG = CONFORMANCE_DIR / "images" / "bridge-mods" / "aaa-orig.jpg"  # 1.6 MP: fast path


def png_header(width: int, height: int) -> bytes:
    """A PNG that declares `width` x `height` but carries almost no pixel data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00" * 64)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def test_a_decompression_bomb_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bomb.png"
    path.write_bytes(png_header(30_000, 30_000))  # 900 MP declared in 100 bytes
    with pytest.raises(ImageDecodeError, match="refused"):
        hash_file(path)
    with pytest.raises(ImageDecodeError, match="refused"):
        open_image(path.read_bytes())


def test_the_pixel_limit_holds_whatever_pillow_is_set_to(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)  # a caller switched Pillow's check off
    width = 15_000
    height = PIXEL_LIMIT // width + 1
    path = tmp_path / "big.png"
    path.write_bytes(png_header(width, height))
    with pytest.raises(ImageDecodeError, match="pixel limit"):
        hash_file(path)


@pytest.mark.parametrize("source", [SMALL_JPEG, LARGE_JPEG], ids=["exact-path", "fast-path"])
def test_truncated_jpeg(tmp_path: Path, source: Path) -> None:
    data = source.read_bytes()
    path = tmp_path / "cut.jpg"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageDecodeError, match="truncated"):
        hash_file(path)
    with pytest.raises(ImageDecodeError, match="truncated"):
        hash_file(path, full_resolution=True)


def test_truncated_png(tmp_path: Path) -> None:
    path = tmp_path / "scene.png"
    Image.fromarray(scene(np.random.default_rng(1), 300, 300)).save(path)
    path.write_bytes(path.read_bytes()[:-4000])
    with pytest.raises(ImageDecodeError):
        open_image(path)


def test_random_bytes_are_a_file_not_an_image(tmp_path: Path) -> None:
    path = tmp_path / "video.mp4"
    path.write_bytes(np.random.default_rng(5).bytes(200_000))
    hashes = hash_file(path)
    assert hashes.kind == "file" and hashes.pdq is None and hashes.phash is None
    with pytest.raises(NotAnImageError, match="not an image"):
        open_image(path)


def test_an_image_named_like_a_video_is_an_image(tmp_path: Path) -> None:
    path = tmp_path / "clip.mp4"
    path.write_bytes(SMALL_JPEG.read_bytes())
    assert hash_file(path).kind == "image"


MAGIC = {
    "jpeg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00",
    "png": b"\x89PNG\r\n\x1a\n",
    "gif": b"GIF89a",
    "webp": b"RIFF\x00\x10\x00\x00WEBPVP8 ",
    "tiff": b"II*\x00\x08\x00\x00\x00",
    "heic": b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic",
    "bmp": b"BM",
}


@pytest.mark.parametrize("kind", sorted(MAGIC))
@pytest.mark.parametrize("seed", range(3))
def test_magic_bytes_then_garbage(tmp_path: Path, kind: str, seed: int) -> None:
    path = tmp_path / "garbage"
    path.write_bytes(MAGIC[kind] + np.random.default_rng(seed).bytes(5000))
    try:
        hash_file(path)
    except HashingError as error:
        assert "\n" not in str(error) and str(error)


def _mutations() -> list[tuple[str, int]]:
    return [
        (kind, seed) for kind in ("jpg", "png", "gif", "webp", "tiff", "heic") for seed in range(6)
    ]


@pytest.mark.parametrize(("extension", "seed"), _mutations())
def test_corrupted_files_fail_cleanly(tmp_path: Path, extension: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    path = tmp_path / f"picture.{extension}"
    Image.fromarray(scene(rng, 64, 96)).save(path)
    data = bytearray(path.read_bytes())
    for position in rng.integers(len(data) // 8, len(data), 12):
        data[position] = int(rng.integers(0, 256))
    path.write_bytes(bytes(data[: int(rng.integers(len(data) // 2, len(data) + 1))]))
    try:
        hashes = hash_file(path)
    except HashingError as error:
        assert "\n" not in str(error)
    else:
        assert hashes.kind in ("image", "file")


def test_empty_files(tmp_path: Path) -> None:
    path = tmp_path / "empty.jpg"
    path.write_bytes(b"")
    with pytest.raises(EmptyFileError, match="empty"):
        hash_file(path)
    with pytest.raises(EmptyFileError):
        open_image(path)
    with pytest.raises(EmptyFileError):
        open_image(b"")


def test_paths_that_are_not_readable_files(tmp_path: Path) -> None:
    with pytest.raises(FileAccessError, match="no such file"):
        hash_file(tmp_path / "missing.jpg")
    with pytest.raises(FileAccessError, match="is a directory"):
        hash_file(tmp_path)
    with pytest.raises(FileAccessError, match="is a directory"):
        open_image(tmp_path)
    afile = tmp_path / "a.txt"
    afile.write_text("x")
    with pytest.raises(FileAccessError, match="cannot read"):
        hash_file(afile / "child.jpg")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_named_pipe_is_refused_without_blocking(tmp_path: Path) -> None:
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    with pytest.raises(FileAccessError, match="not a regular file"):
        hash_file(pipe)


def test_permission_errors_are_explained(tmp_path: Path) -> None:
    # As root (CI) a chmod cannot make a file unreadable, so the message is checked directly.
    error = PermissionError(13, "Permission denied")
    assert (
        describe_os_error(tmp_path / "x.jpg", error) == f"permission denied: {tmp_path / 'x.jpg'}"
    )
