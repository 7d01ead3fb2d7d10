"""pdq.js in Chromium equals the C++ reference bit for bit when given the same RGB pixels.

Python decodes (Pillow) or generates the pixels, writes them as raw RGB files served over the
loopback server, and the page fetches and hashes them with pdq.js loaded as an ES module. Every
hash, quality and dihedral hash must equal `pdqhash`'s, and for the conformance images also
expected.json's.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pytest

from tests.web.conftest import WebSite
from tests.web.reference import RGB, displayed_rgb, reference_dct_matrix, reference_pdq

pytestmark = pytest.mark.chromium

# Hash raw RGB files in the page: [[url, width, height], ...] -> [{hash, quality, dihedral}].
HASH_RAW_RGB = """async (items) => {
  const { pdqFromRGB } = await import("/static/js/pdq.js");
  const results = [];
  for (const [url, width, height] of items) {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`${url}: ${response.status}`);
    const pixels = new Uint8Array(await response.arrayBuffer());
    results.push(pdqFromRGB(pixels, width, height, { dihedral: true }));
  }
  return results;
}"""


def random_rgb(rng: np.random.Generator, height: int, width: int) -> RGB:
    return rng.integers(0, 256, size=(height, width, 3), dtype=np.uint8)


def generated_images() -> dict[str, RGB]:
    """Seeded random images of odd shapes, plus flat and smooth ones that stress the median."""
    rng = np.random.default_rng(20240611)
    shapes = [(1, 1), (2, 3), (3, 2), (4, 9), (5, 5), (6, 5), (7, 300), (250, 17), (17, 250)]
    shapes += [(63, 65), (64, 64), (65, 64), (127, 129), (480, 640), (999, 1001), (1, 1000)]
    images = {f"random-{h}x{w}": random_rgb(rng, h, w) for h, w in shapes}
    images["flat-grey-100x80"] = np.full((100, 80, 3), 128, dtype=np.uint8)
    images["flat-black-64x64"] = np.zeros((64, 64, 3), dtype=np.uint8)
    ramp = np.linspace(0, 255, 300, dtype=np.float64)
    gradient = np.add.outer(ramp, ramp[:200]) / 2
    images["gradient-300x200"] = np.repeat(gradient[:, :, None], 3, axis=2).astype(np.uint8)
    checker = (np.indices((96, 96)).sum(axis=0) // 8 % 2 * 255).astype(np.uint8)
    images["checker-96x96"] = np.stack([checker, 255 - checker, checker], axis=2)
    return images


def hash_in_browser(page: Any, web_site: WebSite, images: dict[str, RGB]) -> dict[str, Any]:
    items = []
    for name, rgb in images.items():
        path = web_site.fixtures_dir / f"{name}.rgb"
        path.write_bytes(np.ascontiguousarray(rgb).tobytes())
        items.append([web_site.fixture_url(path.name), rgb.shape[1], rgb.shape[0]])
    results = page.evaluate(HASH_RAW_RGB, items)
    return dict(zip(images, results, strict=True))


def assert_equals_reference(name: str, rgb: RGB, result: dict[str, Any]) -> None:
    hash_hex, quality, dihedral = reference_pdq(rgb)
    assert result["hash"] == hash_hex, name
    assert result["quality"] == quality, name
    assert result["dihedral"] == dihedral, name


def test_generated_images_equal_reference(page: Any, web_site: WebSite) -> None:
    images = generated_images()
    results = hash_in_browser(page, web_site, images)
    for name, rgb in images.items():
        assert_equals_reference(name, rgb, results[name])
    # Under 5 pixels on a side the reference answers zero; everything else must be a real hash,
    # or the comparison above would pass vacuously.
    hashable = [n for n, rgb in images.items() if min(rgb.shape[:2]) >= 5 and "flat" not in n]
    assert results["random-4x9"]["hash"] == "0" * 64
    assert len({results[n]["hash"] for n in hashable} - {"0" * 64}) == len(hashable)
    assert page.console_errors == []


def test_conformance_pixels_equal_reference_and_expected(
    page: Any, web_site: WebSite, conformance: dict[str, Any]
) -> None:
    cases = conformance["cases"]
    assert len(cases) == 49
    exact = 0
    # The reference runs in a thread while Chromium hashes (2 cores); batches bound the memory
    # (a 12 MP image is 36 MB of RGB).
    with ThreadPoolExecutor(max_workers=1) as executor:
        for start in range(0, len(cases), 8):
            batch = cases[start : start + 8]
            images = {
                f"conformance-{start + i}": displayed_rgb(c["path"]) for i, c in enumerate(batch)
            }
            references = [executor.submit(reference_pdq, rgb) for rgb in images.values()]
            results = hash_in_browser(page, web_site, images)
            for case, name, reference in zip(batch, images, references, strict=True):
                result = results[name]
                assert (result["hash"], result["quality"], result["dihedral"]) == reference.result()
                assert result["hash"] == case["pdq"], case["file"]
                assert result["quality"] == case["quality"], case["file"]
                assert result["dihedral"] == case["pdq_dihedral"], case["file"]
                exact += 1
                (web_site.fixtures_dir / f"{name}.rgb").unlink()
    assert exact == 49


def test_dct_matrix_equals_reference(page: Any) -> None:
    matrix = page.evaluate("async () => Array.from((await import('/static/js/pdq.js')).DCT_MATRIX)")
    expected = reference_dct_matrix().ravel()
    assert np.array_equal(np.asarray(matrix, dtype=np.float32), expected)


def test_rgba_ignores_alpha_like_pillow(page: Any, web_site: WebSite) -> None:
    rng = np.random.default_rng(7)
    rgba = rng.integers(0, 256, size=(90, 70, 4), dtype=np.uint8)
    (web_site.fixtures_dir / "rgba.bin").write_bytes(rgba.tobytes())
    result = page.evaluate(
        """async (url) => {
          const { pdqFromRGBA } = await import("/static/js/pdq.js");
          const pixels = new Uint8ClampedArray(await (await fetch(url)).arrayBuffer());
          return pdqFromRGBA(pixels, 70, 90);
        }""",
        web_site.fixture_url("rgba.bin"),
    )
    hash_hex, quality, _ = reference_pdq(rgba[:, :, :3])
    assert (result["hash"], result["quality"]) == (hash_hex, quality)
    assert "dihedral" not in result


@pytest.mark.parametrize(
    ("length", "width", "height", "message"),
    [
        (10, 4, 4, "RangeError: expected 48 bytes, got 10"),
        (48, 4.5, 4, "RangeError: bad image size 4.5x4"),
        (48, -4, 4, "RangeError: bad image size -4x4"),
    ],
)
def test_bad_pixel_buffers_are_refused(
    page: Any, length: int, width: float, height: int, message: str
) -> None:
    got = page.evaluate(
        """async ([length, width, height]) => {
          const { pdqFromRGB } = await import("/static/js/pdq.js");
          try { pdqFromRGB(new Uint8Array(length), width, height); return "accepted"; }
          catch (error) { return `${error.name}: ${error.message}`; }
        }""",
        [length, width, height],
    )
    assert got == message
