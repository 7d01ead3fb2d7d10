"""The stored side: variants.json is a valid definition, photo_variants does what it says, and an
edited copy of a photo is found by the stored variants and the query hashes together."""

from __future__ import annotations

import copy
import io
import json
import math
from collections.abc import Callable
from importlib import resources
from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageOps

from hashstop.hashing import PdqHash, photo_variants, query_hashes
from hashstop.hashing.variant_spec import load_spec, parse_spec
from hashstop.hashing.variants import pdq_dihedral, working_copy
from tests.conftest import CONFORMANCE_DIR
from tests.hashing.synthetic_photo import synthetic_photo
from tests.hashing.variants_expected import EXPECTED, compute

THRESHOLD = 31
SIDES = {"left": 0, "top": 0, "right": 0, "bottom": 0}


def raw_spec() -> dict[str, Any]:
    text = resources.files("hashstop.hashing").joinpath("variants.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def plain_pdq(image: Image.Image | np.ndarray) -> PdqHash:
    return pdq_dihedral(np.asarray(image))[0][0]


def test_the_definition_is_valid_and_within_the_limits() -> None:
    data = raw_spec()
    spec = parse_spec(data)
    assert spec.min_quality == 50
    assert spec.max_stored <= 24 and spec.max_query <= 16
    names = spec.variant_names()
    assert len(names) == len(set(names)) <= spec.max_stored
    assert names[0] == "original"
    assert set(spec.query["dihedral"]) <= set(spec.dihedral_order)
    for entry in data["stored"]:  # every field a JavaScript reader needs is there, as data
        assert set(entry) <= {"name", "crop", "rotate", "cover", "dihedral"}
        assert set(entry.get("crop", SIDES)) == set(SIDES)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["stored"][1]["dihedral"].append("spin"), "unknown transforms"),
        (lambda d: d["stored"][1]["crop"].update(left=0.6), "crop fractions"),
        (lambda d: d["stored"][1]["crop"].pop("left"), "a crop names exactly"),
        (lambda d: d["stored"].pop(0), "uncropped original"),
        (lambda d: d["stored"].append(copy.deepcopy(d["stored"][1])), "unique"),
        (lambda d: d.update(max_stored=3), "more than max_stored"),
        (lambda d: d["stored"][-1]["rotate"].update(fit="stretch"), "fit is"),
        (lambda d: d["dihedral_order"].pop(), "8 dihedral"),
        (lambda d: d["query"].update(working_size=32), "working size"),
    ],
)
def test_a_broken_definition_is_refused(change: Any, message: str) -> None:
    data = raw_spec()
    change(data)
    with pytest.raises(ValueError, match=message):
        parse_spec(data)


def crop_from_json(rgb: np.ndarray, crop: dict[str, float]) -> np.ndarray:
    """The crop as variants.json words it, written out independently of the package."""
    h, w = rgb.shape[:2]
    x0, y0 = math.floor(w * crop["left"] + 0.5), math.floor(h * crop["top"] + 0.5)
    x1, y1 = w - math.floor(w * crop["right"] + 0.5), h - math.floor(h * crop["bottom"] + 0.5)
    return np.ascontiguousarray(rgb[y0:y1, x0:x1])


def cover_from_json(rgb: np.ndarray, cover: dict[str, Any]) -> np.ndarray:
    out = rgb.copy()
    h = out.shape[0]
    assert cover["side"] == "bottom"  # the only side the definition uses today
    out[h - math.floor(h * cover["fraction"] + 0.5) :] = cover["colour"]
    return out


TRANSFORMS = {
    "original": lambda a: a,
    "mirror": lambda a: a[:, ::-1],
    "flip": lambda a: a[::-1],
    "rotate90": lambda a: np.rot90(a, 1),
    "rotate180": lambda a: np.rot90(a, 2),
    "rotate270": lambda a: np.rot90(a, 3),
    "transpose": lambda a: a.transpose(1, 0, 2),
    "transverse": lambda a: np.rot90(a, 2).transpose(1, 0, 2),
}


def test_variants_are_what_the_definition_says() -> None:
    image = synthetic_photo(1)
    rgb = np.asarray(image)
    variants = photo_variants(image)
    spec = load_spec()
    names = [v.name for v in variants]
    assert names == [n for n in spec.variant_names() if n in names]  # in the definition's order
    assert variants[0].pdq == plain_pdq(rgb)
    by_name = {v.name: v for v in variants}
    checked = 0
    for entry in raw_spec()["stored"]:
        if "rotate" in entry:
            continue  # resampled: checked by the edit tests below
        edited = crop_from_json(rgb, entry.get("crop", SIDES))
        if "cover" in entry:
            edited = cover_from_json(edited, entry["cover"])
        for transform in entry["dihedral"]:
            name = entry["name"] if transform == "original" else f"{entry['name']}+{transform}"
            name = transform if entry["name"] == "original" and transform != "original" else name
            expected = plain_pdq(np.ascontiguousarray(TRANSFORMS[transform](edited)))
            if name in by_name:
                assert by_name[name].pdq == expected, name
                assert by_name[name].quality >= spec.min_quality
                checked += 1
            else:  # left out only as a duplicate of a hash stored before it
                order = spec.variant_names()
                earlier = set(order[: order.index(name)])
                assert expected in {v.pdq for v in variants if v.name in earlier}, name
    assert checked >= 10


def test_variants_below_the_minimum_quality_are_dropped() -> None:
    flat = Image.new("RGB", (300, 200), (90, 120, 150))
    assert photo_variants(flat) == []
    # detail only in the leftmost eighth: the variant that cuts 15% off the left is flat
    image = Image.new("RGB", (400, 300), (128, 128, 128))
    draw = ImageDraw.Draw(image)
    for y in range(0, 300, 12):
        draw.rectangle((0, y, 50, y + 5), fill=(255, 255, 255))
        draw.rectangle((0, y + 6, 50, y + 11), fill=(0, 0, 0))
    variants = photo_variants(image)
    names = [v.name for v in variants]
    assert "original" in names and "edge-right15" in names and "edge-left15" not in names
    assert all(v.quality >= 50 for v in variants)


def test_count_limits_hold_for_any_image() -> None:
    for seed in range(3):
        variants = photo_variants(synthetic_photo(seed, 200 + 90 * seed, 150))
        assert len(variants) <= 24
        assert len({v.name for v in variants}) == len(variants)
        hashes = query_hashes(synthetic_photo(seed))
        pdq = [h for h in hashes if h[0] == "pdq"]
        local = [h for h in hashes if h[0] == "local"]
        assert 1 <= len(pdq) <= 16 and len(local) <= 64 and len(pdq) + len(local) == len(hashes)
        assert hashes[0] == pdq[0]  # the plain PDQ hash stays first


def jpeg(image: Image.Image, quality: int) -> Image.Image:
    buf = io.BytesIO()
    image.save(buf, format="JPEG", quality=quality)
    return Image.open(io.BytesIO(buf.getvalue())).convert("RGB")


def crop(image: Image.Image, left: float, top: float, right: float, bottom: float) -> Image.Image:
    w, h = image.size
    return image.crop(
        (round(w * left), round(h * top), w - round(w * right), h - round(h * bottom))
    )


def caption(image: Image.Image) -> Image.Image:
    out = image.copy()
    w, h = out.size
    draw = ImageDraw.Draw(out)
    draw.rectangle((0, h - h // 10, w, h), fill=(0, 0, 0))
    draw.text((w // 3, h - h // 20), "LOOK AT THIS", fill=(255, 255, 255))
    return out


def straighten(image: Image.Image) -> Image.Image:
    w, h = image.size
    turned = image.rotate(3, resample=Image.Resampling.BICUBIC)
    zoom = math.cos(math.radians(3)) + max(w / h, h / w) * math.sin(math.radians(3))
    cw, ch = w / zoom, h / zoom
    box = (round((w - cw) / 2), round((h - ch) / 2), round((w + cw) / 2), round((h + ch) / 2))
    return turned.crop(box).resize((w, h), Image.Resampling.BICUBIC)


def screenshot(image: Image.Image) -> Image.Image:
    canvas = Image.new("RGB", (400, 900), (255, 255, 255))
    draw = ImageDraw.Draw(canvas)
    draw.rectangle((0, 0, 400, 30), fill=(240, 240, 240))
    draw.text((10, 10), "9:41", fill=(0, 0, 0))
    photo = image.resize((400, round(image.height * 400 / image.width)))
    canvas.paste(photo, (0, 90))
    draw.text((10, 120 + photo.height), "nice picture lol", fill=(0, 0, 0))
    return canvas


EDITS: dict[str, Callable[[Image.Image], Image.Image]] = {
    "jpeg q30": lambda im: jpeg(im, 30),
    "scale 20%": lambda im: im.resize((im.width // 5, im.height // 5)),
    "crop 5%": lambda im: crop(im, 0.05, 0.05, 0.05, 0.05),
    "crop 10%": lambda im: crop(im, 0.1, 0.1, 0.1, 0.1),
    "edge crop left": lambda im: crop(im, 0.15, 0, 0, 0),
    "edge crop top": lambda im: crop(im, 0, 0.15, 0, 0),
    "edge crop right": lambda im: crop(im, 0, 0, 0.15, 0),
    "edge crop bottom": lambda im: crop(im, 0, 0, 0, 0.15),
    "rotate 3 degrees": straighten,
    "rotate 3 degrees, corners": lambda im: im.rotate(3, resample=Image.Resampling.BICUBIC),
    "caption bar": caption,
    "white border": lambda im: jpeg(ImageOps.expand(im, border=(48, 36), fill="white"), 80),
    "black letterbox": lambda im: ImageOps.expand(im, border=(0, 60), fill="black"),
    "screenshot": screenshot,
    "mirror": ImageOps.mirror,
    "rotate 90": lambda im: im.transpose(Image.Transpose.ROTATE_90),
    "mirror and crop 10%": lambda im: ImageOps.mirror(crop(im, 0.1, 0.1, 0.1, 0.1)),
}


def best_distance(stored: list[PdqHash], image: Image.Image) -> int:
    query = [PdqHash.from_hex(value) for _, value in query_hashes(image, local=False)]
    return min(s.distance(q) for s in stored for q in query)


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_an_edited_copy_is_found(edit: str) -> None:
    image = synthetic_photo(3)
    stored = [v.pdq for v in photo_variants(image)]
    edited = EDITS[edit](image)
    assert best_distance(stored, edited) <= THRESHOLD
    # and plain PDQ alone misses the geometric edits, or this test would prove nothing
    if edit not in ("jpeg q30", "scale 20%"):
        assert plain_pdq(image).distance(plain_pdq(edited.convert("RGB"))) > THRESHOLD


def test_a_different_photo_is_not_found() -> None:
    stored = [v.pdq for v in photo_variants(synthetic_photo(3))]
    for seed in (4, 5, 6):
        other = synthetic_photo(seed)
        for edit in ("crop 10%", "mirror", "white border", "caption bar"):
            assert best_distance(stored, EDITS[edit](other)) > THRESHOLD + 20


def working_copy_from_json(rgb: np.ndarray, max_side: int) -> np.ndarray:
    """The working copy as variants.json words it, written out independently of the package."""
    h, w = rgb.shape[:2]
    factor = math.ceil(max(h, w) / max_side)
    out = np.zeros((math.ceil(h / factor), math.ceil(w / factor), 3), dtype=np.uint8)
    for y in range(out.shape[0]):
        for x in range(out.shape[1]):
            block = rgb[y * factor : (y + 1) * factor, x * factor : (x + 1) * factor]
            total, count = (
                block.reshape(-1, 3).sum(axis=0, dtype=np.int64),
                block.shape[0] * block.shape[1],
            )
            out[y, x] = (2 * total + count) // (2 * count)  # the mean, rounded half up
    return out


@pytest.mark.parametrize(
    ("width", "height", "max_side"), [(50, 37, 16), (103, 61, 40), (64, 64, 32)]
)
def test_the_working_copy_is_the_block_mean_the_definition_gives(
    width: int, height: int, max_side: int
) -> None:
    rgb = np.random.default_rng(width).integers(0, 256, (height, width, 3), dtype=np.uint8)
    assert np.array_equal(working_copy(rgb, max_side), working_copy_from_json(rgb, max_side))
    assert working_copy(rgb, max(width, height)) is rgb


def test_a_large_photo_is_hashed_from_its_working_copy_and_still_matches() -> None:
    large = synthetic_photo(12, 2600, 1900)  # reduced by 3 for every variant but the first
    variants = photo_variants(large)
    assert variants[0].pdq == plain_pdq(large)
    stored = [v.pdq for v in variants]
    for edit in ("crop 10%", "edge crop left", "mirror", "white border", "caption bar"):
        assert best_distance(stored, EDITS[edit](large)) <= THRESHOLD, edit


def test_a_symmetric_photo_stores_each_hash_once() -> None:
    half = np.asarray(synthetic_photo(13, 200, 300))
    symmetric = np.ascontiguousarray(np.concatenate([half, half[:, ::-1]], axis=1))
    variants = photo_variants(symmetric)
    names = [v.name for v in variants]
    assert "original" in names and "mirror" not in names  # the mirror is the photo itself
    assert len({v.pdq for v in variants}) == len(variants)


def test_variants_of_the_conformance_images_are_the_recorded_ones(
    conformance: dict[str, Any],
) -> None:
    """Fails when variants.json or PDQ changes what is stored: then bump variants.json's version
    and regenerate tests/data/variants-expected.json (see tests/hashing/variants_expected.py),
    which the JavaScript client checks itself against too."""
    recorded = json.loads(EXPECTED.read_text())
    assert compute(CONFORMANCE_DIR) == recorded
