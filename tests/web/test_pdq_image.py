"""pdq-image.js: which images take the exact path and which the fast path, on generated PNGs.

PNG is lossless, so Chromium decodes the very pixels Pillow wrote: on the exact path the browser
hash must equal the reference exactly; on the fast path it must stay close.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from tests.web.conftest import WebSite
from tests.web.reference import RGB, hamming, reference_pdq

pytestmark = pytest.mark.chromium

HASH_FILE = """async ([url, options]) => {
  const { hashImageFile } = await import("/static/js/pdq-image.js");
  return hashImageFile(await (await fetch(url)).blob(), options);
}"""


def smooth_image(seed: int, width: int, height: int) -> RGB:
    """Coarse random colour blobs, smoothly enlarged: a photo-like image with quality 100."""
    coarse = np.random.default_rng(seed).integers(0, 256, (24, 24, 3), dtype=np.uint8)
    resized = Image.fromarray(coarse).resize((width, height), Image.Resampling.BICUBIC)
    return np.asarray(resized, dtype=np.uint8)


def write_png(directory: Path, name: str, rgb: RGB) -> str:
    Image.fromarray(rgb).save(directory / name, compress_level=1)
    return name


def hash_file(page: Any, web_site: WebSite, name: str, **options: Any) -> dict[str, Any]:
    result: dict[str, Any] = page.evaluate(HASH_FILE, [web_site.fixture_url(name), options])
    return result


def test_exact_path_equals_reference(page: Any, web_site: WebSite) -> None:
    rgb = smooth_image(1, 1000, 1000)  # exactly 1 MP: the largest exact-path image
    name = write_png(web_site.fixtures_dir, "one-megapixel.png", rgb)
    result = hash_file(page, web_site, name, dihedral=True)
    assert (result["hashedWidth"], result["hashedHeight"]) == (1000, 1000)
    assert (result["hash"], result["quality"], result["dihedral"]) == reference_pdq(rgb)
    assert result["quality"] == 100


def test_long_side_up_to_2048_is_not_scaled(page: Any, web_site: WebSite) -> None:
    rgb = smooth_image(2, 2048, 1200)
    name = write_png(web_site.fixtures_dir, "wide.png", rgb)
    result = hash_file(page, web_site, name)
    assert (result["hashedWidth"], result["hashedHeight"]) == (2048, 1200)
    assert result["hash"] == reference_pdq(rgb)[0]


def test_thin_panorama_keeps_its_rows(page: Any, web_site: WebSite) -> None:
    rgb = smooth_image(3, 6000, 300)
    name = write_png(web_site.fixtures_dir, "panorama.png", rgb)
    result = hash_file(page, web_site, name)
    assert (result["hashedWidth"], result["hashedHeight"]) == (6000, 300)
    assert result["hash"] == reference_pdq(rgb)[0]


def test_large_image_takes_fast_path(page: Any, web_site: WebSite) -> None:
    rgb = smooth_image(4, 3000, 2250)
    name = write_png(web_site.fixtures_dir, "large.png", rgb)
    reference_hash, reference_quality, _ = reference_pdq(rgb)
    fast = hash_file(page, web_site, name)
    assert (fast["width"], fast["height"]) == (3000, 2250)
    assert (fast["hashedWidth"], fast["hashedHeight"]) == (1500, 1125)
    assert hamming(fast["hash"], reference_hash) <= 8
    assert fast["quality"] == reference_quality
    exact = hash_file(page, web_site, name, fastPath=False)
    assert (exact["hashedWidth"], exact["hashedHeight"]) == (3000, 2250)
    assert exact["hash"] == reference_hash


def test_not_an_image_is_refused_plainly(page: Any, web_site: WebSite) -> None:
    (web_site.fixtures_dir / "notes.txt").write_text("not an image")
    message = page.evaluate(
        """async (url) => {
          const { hashImageFile } = await import("/static/js/pdq-image.js");
          try { await hashImageFile(await (await fetch(url)).blob()); return "accepted"; }
          catch (error) { return error.message; }
        }""",
        web_site.fixture_url("notes.txt"),
    )
    assert message.startswith("this file could not be read as an image (")
