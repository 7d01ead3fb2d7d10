"""local.js computes the local hashes (issue 14) exactly as Python's `local_hashes` does.

Given the same RGB pixels (Python generates or decodes them and serves them raw), the browser's
hex strings must equal Python's, value for value and in order: every step is integer or float64
arithmetic in the order variants.json gives, in both languages. The images cover the canonical
resize (larger than 256, odd sizes, portrait), the working copy (above 512), a real photograph
and a flat image (no keypoint, no hash).
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from hashstop.hashing import local_hashes
from tests.conftest import CONFORMANCE_DIR
from tests.hashing.synthetic_photo import synthetic_photo
from tests.hashing.variants_expected import EXPECTED
from tests.web.conftest import WebSite
from tests.web.reference import RGB, displayed_rgb

pytestmark = pytest.mark.chromium

LOCAL_OF_RAW_RGB = """async ([items, query]) => {
  const { loadVariantSpec } = await import("/static/js/variants.js");
  const { localHashes } = await import("/static/js/local.js");
  const spec = await loadVariantSpec();
  const results = [];
  for (const [url, width, height] of items) {
    const pixels = new Uint8Array(await (await fetch(url)).arrayBuffer());
    results.push(localHashes(spec, pixels, width, height, 3, query));
  }
  return results;
}"""


def local_in_browser(
    page: Any, web_site: WebSite, images: dict[str, RGB], query: bool = False
) -> list[list[str]]:
    items = []
    for name, rgb in images.items():
        path = web_site.fixtures_dir / f"local-{name}.rgb"
        path.write_bytes(np.ascontiguousarray(rgb).tobytes())
        items.append([web_site.fixture_url(path.name), rgb.shape[1], rgb.shape[0]])
    results: list[list[str]] = page.evaluate(LOCAL_OF_RAW_RGB, [items, query])
    return results


def test_generated_photos_give_exactly_pythons_local_hashes(page: Any, web_site: WebSite) -> None:
    images = {
        "small": np.asarray(synthetic_photo(1, 240, 180)),  # under the canonical size: kept
        "portrait": np.asarray(synthetic_photo(2, 301, 497)),
        "large": np.asarray(synthetic_photo(3, 1311, 703)),  # the working copy, then area
        "flat": np.full((200, 300, 3), 127, dtype=np.uint8),
    }
    results = local_in_browser(page, web_site, images)
    for (name, rgb), result in zip(images.items(), results, strict=True):
        assert result == [h.hex for h in local_hashes(rgb)], name
    assert results[3] == []
    assert all(len(r) >= 20 for r in results[:3])
    queries = local_in_browser(page, web_site, {"q": images["large"]}, query=True)
    assert queries[0] == [h.hex for h in local_hashes(images["large"], query=True)]
    assert page.console_errors == []


def test_conformance_pixels_give_the_expected_local_hashes(page: Any, web_site: WebSite) -> None:
    expected = json.loads(EXPECTED.read_text())
    images = {
        f"case-{i}": displayed_rgb(CONFORMANCE_DIR / case["file"])
        for i, case in enumerate(expected["cases"])
    }
    results = local_in_browser(page, web_site, images)
    for case, result, rgb in zip(expected["cases"], results, images.values(), strict=True):
        python = [h.hex for h in local_hashes(rgb)]
        assert result == python == case["local_hashes"], case["file"]
