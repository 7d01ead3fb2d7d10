"""Local hashes through the API (issue 14): stored with a photo, an upload cropped off the grid
and tilted matches through several agreeing local hits, and nothing less matches.

The hashes are real: a conformance photograph and its edited copy, hashed by the clients'
functions (`photo_variants`, `local_hashes`, `query_hashes`). The attacks a platform could
try (one stored hash sent many times, too few hashes, scattered hits) must not make a match.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageOps

from hashstop.hashing import local_hashes, photo_variants, query_hashes
from tests.conftest import CONFORMANCE_DIR
from tests.service_fixtures import bearer

PHOTO = "images/labelme-subset/q1050.jpg"
OTHER = "images/bridge-mods/aaa-orig.jpg"


def load(name: str) -> Image.Image:
    with Image.open(CONFORMANCE_DIR / name) as im:
        return ImageOps.exif_transpose(im).convert("RGB")


def stored_entries(image: Image.Image, key: str) -> list[dict[str, object]]:
    rgb = np.asarray(image)
    entries: list[dict[str, object]] = [
        {
            "algorithm": "pdq",
            "value": v.pdq.hex,
            "quality": v.quality,
            "variant": v.name,
            "photo": key,
        }  # fmt: skip
        for v in photo_variants(rgb)
    ]
    entries += [
        {"algorithm": "local", "value": h.hex, "variant": "local", "photo": key}
        for h in local_hashes(rgb)
    ]
    return entries


def edited(image: Image.Image) -> Image.Image:
    """Cropped 7% left, 3% top, 2% right, 5% bottom, then tilted 6 degrees, corners cropped."""
    w, h = image.size
    cropped = image.crop((round(w * 0.07), round(h * 0.03), round(w * 0.98), round(h * 0.95)))
    turned = cropped.rotate(6, resample=Image.Resampling.BICUBIC)
    cw, ch = turned.size
    return turned.crop((round(cw * 0.1), round(ch * 0.1), round(cw * 0.9), round(ch * 0.9)))


@pytest.fixture
def platform(make_key):
    return bearer(make_key("platform", platform="acme"))


@pytest.fixture
def opened(client) -> dict[str, Any]:
    entries = stored_entries(load(PHOTO), "f-photo")
    response = client.post("/v1/cases", json={"hashes": entries})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    assert body["accepted"] == len(entries)
    return body


def match(client, platform, hashes: list[tuple[str, str]]) -> dict[str, Any]:
    item = {"ref": "post-1", "hashes": [{"algorithm": a, "value": v} for a, v in hashes]}
    response = client.post("/v1/match", json={"items": [item]}, headers=platform)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()["results"][0]
    return result


def test_an_edit_off_the_grid_matches_through_agreeing_local_hashes(client, platform, opened):
    query = query_hashes(np.asarray(edited(load(PHOTO))))
    pdq = [q for q in query if q[0] == "pdq"]
    local = [q for q in query if q[0] == "local"]
    assert match(client, platform, pdq)["matched"] is False  # the variants miss it
    result = match(client, platform, query)
    assert result["matched"] is True
    hits = result["matches"]
    assert {h["algorithm"] for h in hits} == {"local"} and len(hits) >= 4
    assert {h["variant"] for h in hits} == {"local"} and len({h["photo"] for h in hits}) == 1
    assert all(h["distance"] <= 7 for h in hits)
    # the same without the PDQ hashes: local hashes alone suffice
    assert match(client, platform, local)["matched"] is True
    # withdrawn: the case's local hashes match nothing any more
    response = client.delete(f"/v1/cases/{opened['case_id']}", headers=bearer(opened["secret"]))
    assert response.status_code == 200
    assert match(client, platform, query)["matched"] is False
    feed = client.get("/v1/hashlist", headers=platform).json()["entries"]
    assert sum(e["algorithm"] == "local" and e["change"] == "withdrawn" for e in feed) == 48


def test_a_different_photo_does_not_match(client, platform, opened):
    query = query_hashes(np.asarray(edited(load(OTHER))))
    assert match(client, platform, query)["matched"] is False


def test_a_few_or_repeated_local_hashes_match_nothing(client, platform, opened):
    stored = [h.hex for h in local_hashes(np.asarray(load(PHOTO)))]
    # three exact stored hashes: fewer than the rule asks for
    assert match(client, platform, [("local", v) for v in stored[:3]])["matched"] is False
    # one stored hash sent 40 times: one stored patch, however often it is hit
    assert match(client, platform, [("local", stored[0])] * 40)["matched"] is False
    # four exact stored codes whose frames were moved apart: the geometry disagrees
    scattered = []
    for k, value in enumerate(stored[:6]):
        word = (k * 170) << 22 | ((5 - k) * 170) << 12 | (k * 10) << 6 | (k * 11)
        scattered.append(("local", value[:16] + f"{word:08x}"))
    assert match(client, platform, scattered)["matched"] is False
    # the stored hashes themselves, frames and all: a match (what the hash list gives)
    assert match(client, platform, [("local", v) for v in stored[:8]])["matched"] is True


def test_limits_and_rules(client, platform):
    too_many = [("local", "00ff00ff00ff00ff" + f"{k:08x}") for k in range(49)]
    item = {"ref": "x", "hashes": [{"algorithm": a, "value": v} for a, v in too_many]}
    response = client.post("/v1/match", json={"items": [item]}, headers=platform)
    assert response.status_code == 413 and "local hashes" in response.json()["detail"]
    flat = {"algorithm": "local", "value": "0" * 24, "photo": "f1", "variant": "local"}
    loner = {"algorithm": "local", "value": "00ff00ff00ff00ff00000000"}
    bad = {"algorithm": "local", "value": "00ff00ff00ff00ff0000", "photo": "f1"}
    response = client.post("/v1/cases", json={"hashes": [flat, loner, bad]})
    assert response.status_code == 422, response.text
    reasons = " ".join(r["reason"] for r in response.json()["rejected"])
    assert "degenerate local hash" in reasons
    assert "belongs to a photo" in reasons
    assert "24 hex characters" in reasons


def test_a_photo_cannot_gather_more_local_hashes_request_by_request(client):
    """The attack: one photo key fed thousands of patches over many requests would collect
    chance hits from every upload. Its local hashes stay within 48 however they arrive."""
    rng = np.random.default_rng(14)

    def plausible(n: int) -> list[str]:
        out = []
        for _ in range(n):
            bits = np.zeros(64, np.uint8)
            bits[rng.choice(64, 32, replace=False)] = 1
            out.append(np.packbits(bits).tobytes().hex() + f"{int(rng.integers(0, 2**32)):08x}")
        return out

    def entries(values: list[str]) -> list[dict[str, object]]:
        return [{"algorithm": "local", "value": v, "photo": "f-big", "variant": "local"}
                for v in values]  # fmt: skip

    first = client.post("/v1/cases", json={"hashes": entries(plausible(40))})
    assert first.status_code == 201 and first.json()["accepted"] == 40
    opened = first.json()
    more = client.post(
        f"/v1/cases/{opened['case_id']}/hashes",
        json={"hashes": entries(plausible(20))},
        headers=bearer(opened["secret"]),
    )
    assert more.status_code in (200, 201), more.text
    assert more.json()["accepted"] == 8
    reasons = {r["reason"] for r in more.json()["rejected"]}
    assert len(more.json()["rejected"]) == 12 and any("at most 48" in r for r in reasons)
