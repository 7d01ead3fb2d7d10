"""Our numpy PDQ against the C++ reference (`pdqhash`), on seeded random images of every shape."""

from __future__ import annotations

import numpy as np
import pdqhash
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from hashstop.hashing import (
    DIHEDRAL_ORDER,
    PdqHash,
    pdq_dihedral_from_rgb,
    pdq_from_rgb,
    pdq_with_dihedral_from_rgb,
)
from tests.hashing.generated import KINDS

SHAPES = [
    (1, 1), (1, 9), (2, 3), (4, 4), (4, 5), (5, 4), (5, 5), (6, 9), (7, 7), (17, 3), (3, 17),
    (31, 1000), (1000, 31), (63, 63), (64, 64), (64, 65), (65, 64), (100, 100), (127, 129),
    (128, 128), (129, 129), (255, 257), (333, 517), (517, 333), (480, 640), (997, 1003),
]  # fmt: skip
LARGE = [
    ((1201, 1601), "scene"),
    ((2001, 1499), "noise"),
    ((12, 4000), "blocks"),
    ((3000, 9), "scene"),
]


def reference_hex(bits: np.ndarray) -> str:
    """pdqhash's bit vector (most significant first) as hex."""
    return np.packbits(np.asarray(bits, dtype=np.uint8)).tobytes().hex()


def assert_matches_reference(rgb: np.ndarray, every_entry_point: bool = True) -> None:
    rgb = np.ascontiguousarray(rgb)  # pdqhash reads the buffer as row-major
    bits, quality = pdqhash.compute(rgb)
    all_bits, dihedral_quality = pdqhash.compute_dihedral(rgb)
    expected_dihedral = [reference_hex(b) for b in all_bits]

    if every_entry_point:
        ours, our_quality = pdq_from_rgb(rgb)
        assert (ours.hex, our_quality) == (reference_hex(bits), quality)
        turns, turns_quality = pdq_dihedral_from_rgb(rgb)
        assert [t.hex for t in turns] == expected_dihedral
        assert turns_quality == dihedral_quality
    one_pass = pdq_with_dihedral_from_rgb(rgb)
    assert one_pass[0].hex == reference_hex(bits) and one_pass[1] == quality
    assert [t.hex for t in one_pass[2]] == expected_dihedral


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("shape", SHAPES, ids=[f"{r}x{c}" for r, c in SHAPES])
def test_seeded_images_equal_reference(shape: tuple[int, int], kind: str) -> None:
    rng = np.random.default_rng([shape[0], shape[1], sorted(KINDS).index(kind)])
    assert_matches_reference(KINDS[kind](rng, *shape))


@pytest.mark.parametrize(("shape", "kind"), LARGE, ids=[f"{r}x{c}" for (r, c), _ in LARGE])
def test_large_images_equal_reference(shape: tuple[int, int], kind: str) -> None:
    rng = np.random.default_rng([shape[0], shape[1]])
    assert_matches_reference(KINDS[kind](rng, *shape), every_entry_point=False)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(
    hnp.arrays(
        np.uint8,
        st.tuples(st.integers(1, 90), st.integers(1, 90), st.just(3)),
        elements=st.integers(0, 255),
    )
)
def test_arbitrary_small_images_equal_reference(rgb: np.ndarray) -> None:
    assert_matches_reference(rgb)


def test_views_hash_like_their_contents() -> None:
    rng = np.random.default_rng(7)
    base = KINDS["scene"](rng, 300, 200)
    view = base.transpose(1, 0, 2)[::-1]  # neither contiguous nor positive strides
    assert pdq_from_rgb(view) == pdq_from_rgb(np.ascontiguousarray(view))
    assert_matches_reference(view)


def test_tiny_images_hash_to_zero_with_quality_zero() -> None:
    zero = PdqHash(bytes(32))
    assert pdq_from_rgb(np.zeros((4, 100, 3), np.uint8)) == (zero, 0)
    assert pdq_dihedral_from_rgb(np.zeros((100, 4, 3), np.uint8)) == ([zero] * 8, 0)


def test_dihedral_order_is_the_references() -> None:
    assert DIHEDRAL_ORDER[0] == "original" and len(DIHEDRAL_ORDER) == 8


@pytest.mark.parametrize(
    "bad", [np.zeros((8, 8), np.uint8), np.zeros((8, 8, 4), np.uint8), np.zeros((8, 8, 3))]
)
def test_only_rgb_bytes_are_accepted(bad: np.ndarray) -> None:
    with pytest.raises(ValueError, match="uint8 RGB"):
        pdq_from_rgb(bad)
