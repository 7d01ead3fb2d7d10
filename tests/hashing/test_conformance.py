"""The PDQ conformance set (49 images, reference values from the C++ reference through pdqhash).

`--full-resolution` must equal the reference exactly, file by file: hash, quality and the 8
dihedral hashes of the displayed image, and the hash of the stored pixels (EXIF orientation
ignored). The default path must be exact up to 1 MP and within 6 bits above it (quality >= 80).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from hashstop.hashing import EXACT_PATH_MAX_PIXELS, PdqHash, hash_file, pdq_from_rgb
from tests.conftest import CONFORMANCE_DIR

FAST_PATH_MAX_DISTANCE = 6


def _cases() -> list[str]:
    import json

    data = json.loads((CONFORMANCE_DIR / "expected.json").read_text())
    return [case["file"] for case in data["cases"]]


CASES = _cases()


@pytest.fixture
def case(conformance: dict[str, Any], request: pytest.FixtureRequest) -> dict[str, Any]:
    found: dict[str, Any] = next(c for c in conformance["cases"] if c["file"] == request.param)
    return found


def test_the_set_is_complete(conformance: dict[str, Any]) -> None:
    assert len(conformance["cases"]) == 49
    assert all(Path(c["path"]).is_file() for c in conformance["cases"])


@pytest.mark.parametrize("case", CASES, indirect=True)
def test_full_resolution_equals_reference(case: dict[str, Any]) -> None:
    hashes = hash_file(case["path"], full_resolution=True, dihedral=True)
    assert hashes.kind == "image"
    assert hashes.md5.hex == case["md5"]
    assert hashes.pdq is not None and hashes.pdq.hex == case["pdq"]
    assert hashes.pdq_quality == case["quality"]
    assert hashes.pdq_dihedral is not None
    assert [h.hex for h in hashes.pdq_dihedral] == case["pdq_dihedral"]


@pytest.mark.parametrize("case", CASES, indirect=True)
def test_stored_pixels_equal_reference(case: dict[str, Any]) -> None:
    with Image.open(case["path"]) as image:
        rgb = np.asarray(image.convert("RGB"))  # no EXIF orientation: the "raw" values
    pdq, quality = pdq_from_rgb(rgb)
    assert (pdq.hex, quality) == (case["pdq_raw"], case["quality_raw"])


@pytest.mark.parametrize("case", CASES, indirect=True)
def test_default_path_is_exact_or_close(case: dict[str, Any]) -> None:
    hashes = hash_file(case["path"])
    assert hashes.pdq is not None
    distance = hashes.pdq.distance(PdqHash.from_hex(case["pdq"]))
    with Image.open(case["path"]) as image:
        pixels = image.width * image.height
    if pixels <= EXACT_PATH_MAX_PIXELS:
        assert distance == 0 and hashes.pdq_quality == case["quality"]
    elif case["quality"] >= 80:
        assert distance <= FAST_PATH_MAX_DISTANCE
        assert hashes.pdq_quality is not None and hashes.pdq_quality >= 80
