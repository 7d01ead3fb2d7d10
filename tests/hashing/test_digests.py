"""MD5 and SHA-256 are of the file's bytes, streamed: equal to hashlib, without holding the file."""

from __future__ import annotations

import hashlib
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from hashstop.hashing import file_digests, hash_file
from hashstop.hashing.digests import CHUNK_SIZE


@pytest.mark.parametrize(
    "size", [1, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, 3 * CHUNK_SIZE + CHUNK_SIZE // 2]
)
def test_digests_equal_hashlib(tmp_path: Path, size: int) -> None:
    data = np.random.default_rng(size).bytes(size)
    path = tmp_path / "blob.bin"
    path.write_bytes(data)
    md5, sha256 = file_digests(path)
    assert md5.hex == hashlib.md5(data, usedforsecurity=False).hexdigest()
    assert sha256.hex == hashlib.sha256(data).hexdigest()
    hashes = hash_file(path)
    assert (hashes.kind, hashes.md5, hashes.sha256) == ("file", md5, sha256)


def test_a_large_file_is_never_held_in_memory(tmp_path: Path) -> None:
    path = tmp_path / "video.bin"
    chunk = np.random.default_rng(0).bytes(CHUNK_SIZE)
    with open(path, "wb") as out:
        for _ in range(48):
            out.write(chunk)
    tracemalloc.start()
    try:
        file_digests(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * CHUNK_SIZE  # a 48 MB file read with a few chunks at most in memory
