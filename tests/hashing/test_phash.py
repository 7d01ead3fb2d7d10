"""pHash: fixed expected values (an imagehash or Pillow upgrade that changes one fails here).

The values are `imagehash.phash` of the displayed image (EXIF orientation applied), computed
once with imagehash 4.3.2 and Pillow 13.0.0 and written down.
"""

from __future__ import annotations

import imagehash
import pytest
from PIL import Image, ImageOps

from hashstop.hashing import PHash, hash_file, open_image, phash_from_image
from tests.conftest import CONFORMANCE_DIR

EXPECTED = {
    "bridge-mods/aaa-orig.jpg": "aca29c1c33dc23d7",
    "dih/bridge-2-rotate-90.jpg": "e5f8cac2b44a4af4",
    "labelme-subset/q0122.jpg": "80807f275dfac565",
    "labelme-subset/q2821.jpg": "bdc8974817d815e9",
    "misc/pen-and-coaster.png": "b7cfd224d930c3c2",
    "misc-images/wee.jpg": "de5a3d2925256627",
    "misc-images/small.jpg": "f8f8f8f0f0f0e0c0",
    "misc-images/modes/P.png": "aca29c1c33dc23d7",
    "misc-images/modes/CMYK.jpg": "aca29c1c33dc23d7",
}
EXPECTED_12MP_ROTATED = (
    "exif-rotn/exif-rotn-6.jpg",
    "99cbdc976e8159a0",
)  # stored: f594094deac75929
FAST_PATH_MAX_DISTANCE = 4


@pytest.mark.parametrize(("name", "expected"), sorted(EXPECTED.items()))
def test_phash_is_constant(name: str, expected: str) -> None:
    path = CONFORMANCE_DIR / "images" / name
    assert phash_from_image(open_image(path)).hex == expected
    assert hash_file(path, full_resolution=True).phash == PHash.from_hex(expected)


def test_phash_of_a_rotated_photo_is_of_the_displayed_image() -> None:
    name, expected = EXPECTED_12MP_ROTATED
    assert phash_from_image(open_image(CONFORMANCE_DIR / "images" / name)).hex == expected


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_phash_equals_imagehash(name: str) -> None:
    with Image.open(CONFORMANCE_DIR / "images" / name) as image:
        theirs = str(imagehash.phash(ImageOps.exif_transpose(image).convert("RGB")))
    assert phash_from_image(open_image(CONFORMANCE_DIR / "images" / name)).hex == theirs


@pytest.mark.parametrize("name", ["bridge-mods/aaa-orig.jpg", "misc/pen-and-coaster.png"])
def test_default_path_phash_is_close(name: str) -> None:
    default = hash_file(CONFORMANCE_DIR / "images" / name).phash
    assert default is not None
    assert default.distance(PHash.from_hex(EXPECTED[name])) <= FAST_PATH_MAX_DISTANCE
