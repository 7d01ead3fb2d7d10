"""variants.js computes the stored variants exactly as Python's photo_variants does.

Given the same RGB pixels (Python decodes or generates them and serves them raw), every variant
name, hash and quality must be equal: the crops, covers and working copy are integer
operations, and the small turns follow Pillow's bicubic rotate in float64. Given a file, the
browser decodes it itself: then each variant must stay within a few bits of Python's.
The definition is variants.json, served from the Python package's copy.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from PIL import Image

from hashstop.hashing import photo_variants
from tests.conftest import CONFORMANCE_DIR
from tests.hashing.synthetic_photo import synthetic_photo
from tests.hashing.variants_expected import EXPECTED
from tests.web.conftest import WebSite
from tests.web.reference import RGB, displayed_rgb, hamming

pytestmark = pytest.mark.chromium

VARIANTS_OF_RAW_RGB = """async (items) => {
  const { loadVariantSpec, photoVariants } = await import("/static/js/variants.js");
  const spec = await loadVariantSpec();
  const results = [];
  for (const [url, width, height] of items) {
    const pixels = new Uint8Array(await (await fetch(url)).arrayBuffer());
    results.push(photoVariants(spec, pixels, width, height, 3));
  }
  return results;
}"""

VARIANTS_OF_FILE = """async (url) => {
  const { loadVariantSpec, photoVariants } = await import("/static/js/variants.js");
  const { decodeImage, pixelsOf } = await import("/static/js/pdq-image.js");
  const bitmap = await decodeImage(await (await fetch(url)).blob());
  try {
    const spec = await loadVariantSpec();
    return photoVariants(spec, pixelsOf(bitmap), bitmap.width, bitmap.height, 4);
  } finally {
    bitmap.close();
  }
}"""


def python_variants(rgb: RGB) -> list[dict[str, Any]]:
    return [
        {"name": v.name, "pdq": v.pdq.hex, "pdq_quality": v.quality} for v in photo_variants(rgb)
    ]


def variants_in_browser(page: Any, web_site: WebSite, images: dict[str, RGB]) -> list[Any]:
    items = []
    for name, rgb in images.items():
        path = web_site.fixtures_dir / f"{name}.rgb"
        path.write_bytes(np.ascontiguousarray(rgb).tobytes())
        items.append([web_site.fixture_url(path.name), rgb.shape[1], rgb.shape[0]])
    results: list[Any] = page.evaluate(VARIANTS_OF_RAW_RGB, items)
    return results


def test_generated_photos_give_exactly_pythons_variants(page: Any, web_site: WebSite) -> None:
    images = {
        "small": np.asarray(synthetic_photo(1, 320, 240)),
        "portrait": np.asarray(synthetic_photo(2, 301, 497)),  # odd sizes: rounding of crops
        # above the working size, not a multiple of the factor: partial blocks at the edges
        "large": np.asarray(synthetic_photo(3, 2111, 1403)),
        "flat": np.full((200, 300, 3), 127, dtype=np.uint8),  # too flat: no variants at all
    }
    results = variants_in_browser(page, web_site, images)
    for (name, rgb), result in zip(images.items(), results, strict=True):
        assert result == python_variants(rgb), name
    assert results[3] == []
    names = [v["name"] for v in results[2]]
    assert len(names) >= 15 and {"tilt-left3", "straighten-right3", "crop5+mirror"} <= set(names)
    assert page.console_errors == []


def test_conformance_pixels_give_the_expected_variants(page: Any, web_site: WebSite) -> None:
    expected = json.loads(EXPECTED.read_text())
    images = {
        f"case-{i}": displayed_rgb(CONFORMANCE_DIR / case["file"])
        for i, case in enumerate(expected["cases"])
    }
    results = variants_in_browser(page, web_site, images)
    for case, result in zip(expected["cases"], results, strict=True):
        assert result == case["variants"], case["file"]


def test_browser_decoded_files_stay_within_a_few_bits(page: Any, web_site: WebSite) -> None:
    files = [
        "images/misc/pen-and-coaster.png",
        "images/bridge-mods/aaa-orig.jpg",
        "images/labelme-subset/q1050.jpg",
        "images/exif-rotn/exif-rotn-6.jpg",  # EXIF-rotated: the browser turns it too
    ]
    worst = 0
    for name in files:
        url = f"{web_site.url}/conformance/{name}"
        browser = {v["name"]: v for v in page.evaluate(VARIANTS_OF_FILE, url)}
        python = {v["name"]: v for v in python_variants(displayed_rgb(CONFORMANCE_DIR / name))}
        shared = browser.keys() & python.keys()
        assert len(shared) >= len(python) - 1, name  # a variant near quality 50 may differ
        for variant in shared:
            distance = hamming(browser[variant]["pdq"], python[variant]["pdq"])
            assert distance <= 8, (name, variant, distance)
            worst = max(worst, distance)
        if name.endswith(".png"):  # lossless: the very same pixels
            assert browser == python, name
    assert worst <= 8


def test_the_service_serves_the_packaged_definition(page: Any, web_site: WebSite) -> None:
    from hashstop.hashing.variant_spec import load_spec

    spec = page.evaluate(
        """async () => (await import("/static/js/variants.js")).loadVariantSpec()"""
    )
    assert spec["version"] == load_spec().version
    assert [s["name"] for s in spec["stored"]] == [s.name for s in load_spec().stored]
    # The quality floor comes from facts.json, the file Python's rules read too.
    assert spec["min_quality"] == load_spec().min_quality


def test_a_turn_equals_pillows_rotate(page: Any, web_site: WebSite) -> None:
    rng = np.random.default_rng(9)
    rgb = rng.integers(0, 256, size=(37, 53, 3), dtype=np.uint8)
    (web_site.fixtures_dir / "turn.rgb").write_bytes(rgb.tobytes())
    for degrees in (3, -3, 10.5):
        got = page.evaluate(
            """async ([url, degrees]) => {
              const { turn } = await import("/static/js/variants.js");
              const data = new Uint8Array(await (await fetch(url)).arrayBuffer());
              return Array.from(turn({ data, width: 53, height: 37 }, degrees).data);
            }""",
            [web_site.fixture_url("turn.rgb"), degrees],
        )
        pillow = Image.fromarray(rgb).rotate(
            degrees, resample=Image.Resampling.BICUBIC, fillcolor=(0, 0, 0)
        )
        turned = np.asarray(got, dtype=np.uint8).reshape(37, 53, 3)
        assert np.array_equal(turned, np.asarray(pillow)), degrees
