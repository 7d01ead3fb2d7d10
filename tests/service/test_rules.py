"""Input rules, checked against hashes of images generated here by the reference hashers.

The degenerate-hash rule is claimed to refuse what flat and two-tone images produce whatever
quality a client reports, and to refuse nothing that a photograph produces. Both claims are
tested on the reference PDQ (pdqhash, the C++ code) and imagehash's pHash.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from hashstop.hashing import Md5Hash, PdqHash, PHash, Sha256Hash
from hashstop.service.rules import SubmittedHash, check_hash, degenerate_reason, sort_submissions
from hashstop.storage.cases import NewHash
from tests import sample_hashes

pdqhash = pytest.importorskip("pdqhash")
imagehash = pytest.importorskip("imagehash")


def reference_pdq(rgb: np.ndarray) -> tuple[PdqHash, int]:
    bits, quality = pdqhash.compute(rgb)
    value = int("".join(str(int(b)) for b in bits), 2)
    return PdqHash(value.to_bytes(32, "big")), int(quality)


def reference_phash(rgb: np.ndarray) -> PHash:
    return PHash.from_hex(str(imagehash.phash(Image.fromarray(rgb))))


def flat(size: int, colour: tuple[int, int, int]) -> np.ndarray:
    image = np.zeros((size, size, 3), np.uint8)
    image[:] = colour
    return image


def two_tone(size: int, split: float, vertical: bool) -> np.ndarray:
    image = np.zeros((size, size, 3), np.uint8)
    image[:, int(size * split) :] = 200
    return image.transpose(1, 0, 2).copy() if vertical else image


def gradient(size: int, direction: str) -> np.ndarray:
    x = np.linspace(0, 255, size)
    h = np.repeat(x[None, :], size, 0)
    g = {"h": h, "v": h.T, "d": (h + h.T) / 2, "hr": 255 - h}[direction]
    return np.repeat(g[:, :, None], 3, 2).astype(np.uint8)


FLAT = [
    (size, colour)
    for size in (64, 256, 517)
    for colour in [(0, 0, 0), (255, 255, 255), (128, 128, 128), (30, 200, 90), (250, 10, 10)]
]


@pytest.mark.parametrize(("size", "colour"), FLAT)
def test_flat_images_are_degenerate_whatever_the_claimed_quality(size, colour):
    image = flat(size, colour)
    pdq, _ = reference_pdq(image)
    assert degenerate_reason(pdq) is not None
    assert degenerate_reason(reference_phash(image)) is not None
    claimed = SubmittedHash("pdq", pdq.hex, quality=100)  # a client lying about quality
    assert "degenerate" in str(check_hash(claimed))


@pytest.mark.parametrize("split", [0.25, 0.5, 0.75])
@pytest.mark.parametrize("vertical", [False, True])
def test_two_tone_images_pass_the_quality_rule_but_not_the_degenerate_rule(split, vertical):
    image = two_tone(300, split, vertical)
    pdq, quality = reference_pdq(image)
    assert quality >= 50  # so quality alone would let these through
    assert "degenerate" in str(check_hash(SubmittedHash("pdq", pdq.hex, quality=quality)))


@pytest.mark.parametrize("direction", ["h", "v", "d", "hr"])
def test_gradients_are_refused(direction):
    image = gradient(256, direction)
    pdq, quality = reference_pdq(image)
    assert isinstance(check_hash(SubmittedHash("pdq", pdq.hex, quality=quality)), str)
    if direction in ("h", "v", "hr"):
        assert degenerate_reason(reference_phash(image)) is not None


def test_no_photograph_of_the_conformance_set_is_degenerate(conformance):
    checked = 0
    for case in conformance["cases"]:
        if case["quality"] < 50:
            continue
        rgb = np.asarray(Image.open(case["path"]).convert("RGB"))
        assert degenerate_reason(PdqHash.from_hex(case["pdq"])) is None, case["file"]
        assert degenerate_reason(reference_phash(rgb)) is None, case["file"]
        result = check_hash(SubmittedHash("pdq", case["pdq"], quality=case["quality"]))
        assert isinstance(result, NewHash), (case["file"], result)
        checked += 1
    assert checked >= 40


def test_exact_hashes_of_nothing_are_refused():
    empty_md5 = "d41d8cd98f00b204e9800998ecf8427e"
    empty_sha = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert "empty file" in str(degenerate_reason(Md5Hash.from_hex(empty_md5)))
    assert "empty file" in str(degenerate_reason(Sha256Hash.from_hex(empty_sha)))
    assert degenerate_reason(Md5Hash(b"\0" * 16)) is not None
    assert degenerate_reason(Sha256Hash(b"\xff" * 32)) is not None
    assert degenerate_reason(Md5Hash.from_hex(sample_hashes.md5(1))) is None


@pytest.mark.parametrize(
    ("submitted", "reason"),
    [
        (SubmittedHash("pdq", sample_hashes.pdq(1)), "needs its quality"),
        (SubmittedHash("pdq", sample_hashes.pdq(1), quality=49), "below 50"),
        (SubmittedHash("pdq", sample_hashes.pdq(1), quality=101), "0-100"),
        (SubmittedHash("pdq", sample_hashes.pdq(1)[:-2], quality=90), "64 hex characters"),
        (SubmittedHash("phash", "zz" * 8), "found 'z'"),
        (SubmittedHash("sha1", "00" * 20), "unknown algorithm 'sha1'"),
        (SubmittedHash("md5", sample_hashes.md5(1), variant="Bad Variant"), "variant"),
        (SubmittedHash("md5", sample_hashes.md5(1), photo="tab\there"), "photo"),
    ],
)
def test_reasons_say_what_is_wrong(submitted, reason):
    result = check_hash(submitted)
    assert isinstance(result, str) and reason in result


def test_quality_50_is_accepted_and_variants_default_to_original():
    result = check_hash(SubmittedHash("pdq", sample_hashes.pdq(2), quality=50))
    assert isinstance(result, NewHash)
    assert result.variant == "original" and result.photo_key is None


def test_duplicates_collapse_within_the_request_and_against_the_case():
    a, b = sample_hashes.pdq(3), sample_hashes.pdq(4)
    stored = {("pdq", bytes.fromhex(b))}
    accepted, rejected, duplicates = sort_submissions(
        [
            SubmittedHash("pdq", a, quality=90),
            SubmittedHash("pdq", a.upper(), quality=80),
            SubmittedHash("pdq", b, quality=90),
            SubmittedHash("pdq", "00" * 32, quality=90),
        ],
        stored,
    )
    assert [h.value.hex() for h in accepted] == [a]
    assert duplicates == 2
    assert [(r.index, r.reason.split(" (")[0]) for r in rejected] == [
        (1, "duplicate of hashes[0]"),
        (2, "duplicate of a hash already in this case"),
        (3, "degenerate pdq hash"),
    ]
