"""digest.js (streamed MD5 and SHA-256 of a File/Blob) equals hashlib, in Chromium.

Sizes cover the padding edges (55/56 bytes leave no room / exactly no room for the length, 63/64/65
straddle a block) and chunk edges (a chunk ending mid-block, exactly on a block, one byte past).
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import pytest

from tests.web.conftest import WebSite

pytestmark = pytest.mark.chromium

MIB = 1 << 20
BLOCK_EDGES = [0, 1, 2, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 1000]
CHUNK_EDGES = [4 * MIB - 1, 4 * MIB, 4 * MIB + 1, 9 * MIB + 13]

# [[url, chunkSize|null], ...] -> [{md5, sha256, progress: [[done, total], ...]}]
DIGEST_FILES = """async (items) => {
  const { digestFile } = await import("/static/js/digest.js");
  const results = [];
  for (const [url, chunkSize] of items) {
    const blob = await (await fetch(url)).blob();
    const progress = [];
    const options = { onProgress: (done, total) => progress.push([done, total]) };
    if (chunkSize !== null) options.chunkSize = chunkSize;
    results.push({ ...(await digestFile(blob, options)), progress });
  }
  return results;
}"""


def write_data(web_site: WebSite, size: int) -> tuple[str, bytes]:
    data = np.random.default_rng(size).integers(0, 256, size, dtype=np.uint8).tobytes()
    name = f"data-{size}.bin"
    (web_site.fixtures_dir / name).write_bytes(data)
    return web_site.fixture_url(name), data


def expected_digests(data: bytes) -> tuple[str, str]:
    return hashlib.md5(data).hexdigest(), hashlib.sha256(data).hexdigest()  # noqa: S324


@pytest.mark.parametrize("chunk_size", [None, 64, 1000, 1])
def test_block_edges(page: Any, web_site: WebSite, chunk_size: int | None) -> None:
    files = [write_data(web_site, size) for size in BLOCK_EDGES]
    results = page.evaluate(DIGEST_FILES, [[url, chunk_size] for url, _ in files])
    for size, (_, data), result in zip(BLOCK_EDGES, files, results, strict=True):
        assert (result["md5"], result["sha256"]) == expected_digests(data), size
        assert result["progress"][0] == [0, size]
        assert result["progress"][-1] == [size, size]


def test_chunk_edges_with_default_chunks(page: Any, web_site: WebSite) -> None:
    files = [write_data(web_site, size) for size in CHUNK_EDGES]
    results = page.evaluate(DIGEST_FILES, [[url, None] for url, _ in files])
    for size, (_, data), result in zip(CHUNK_EDGES, files, results, strict=True):
        assert (result["md5"], result["sha256"]) == expected_digests(data), size
        done = [d for d, _ in result["progress"]]
        expected_done = [0, *range(4 * MIB, size, 4 * MIB), size]
        assert done == expected_done, size


@pytest.mark.parametrize(
    ("size", "chunk_size"), [(5_003, 7), (20_011, 63), (20_011, 65), (300_007, 4093)]
)
def test_odd_chunk_sizes(page: Any, web_site: WebSite, size: int, chunk_size: int) -> None:
    url, data = write_data(web_site, size)
    [result] = page.evaluate(DIGEST_FILES, [[url, chunk_size]])
    assert (result["md5"], result["sha256"]) == expected_digests(data)
    assert len(result["progress"]) == 1 + -(-size // chunk_size)


def test_known_answers(page: Any) -> None:
    # RFC 1321 and FIPS 180-2 test vectors, independent of hashlib.
    results = page.evaluate(
        """async () => {
          const { digestBytes } = await import("/static/js/digest.js");
          const text = (s) => digestBytes(new TextEncoder().encode(s));
          return [text("abc"), text("a".repeat(1000000))];
        }"""
    )
    assert results[0] == {
        "md5": "900150983cd24fb0d6963f7d28e17f72",
        "sha256": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    }
    assert results[1] == {
        "md5": "7707d6ae4e027c70eea2a935c2296f21",
        "sha256": "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
    }


def test_digest_cannot_be_finished_twice(page: Any) -> None:
    message = page.evaluate(
        """async () => {
          const { Sha256 } = await import("/static/js/sha256.js");
          const digest = new Sha256().update(new Uint8Array([1, 2, 3]));
          digest.hex();
          try { digest.update(new Uint8Array(1)); return "accepted"; }
          catch (error) { return error.message; }
        }"""
    )
    assert message == "this digest is already finished"
