"""Photos and their variants through the API: a case counts photos, a match names the photo and
the variant that matched (never the client's key), the hash list carries both, and a withdrawal
erases every variant. The hashes are real: photo_variants of a generated photo."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from hashstop.hashing import photo_variants
from hashstop.hashing.variants import pdq_dihedral
from tests import sample_hashes
from tests.hashing.synthetic_photo import synthetic_photo
from tests.service_fixtures import bearer

CLIENT_KEY = "f0123456789abcdef"


def variant_entries(rgb: np.ndarray, key: str) -> list[dict[str, object]]:
    return [
        {
            "algorithm": "pdq",
            "value": v.pdq.hex,
            "quality": v.quality,
            "variant": v.name,
            "photo": key,
        }
        for v in photo_variants(rgb)
    ]


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    return np.asarray(synthetic_photo(81))


@pytest.fixture
def platform(make_key):
    return bearer(make_key("platform", platform="acme"))


def plain_pdq(rgb: np.ndarray) -> str:
    return pdq_dihedral(np.ascontiguousarray(rgb))[0][0].hex


def match(client, platform, value: str) -> dict[str, Any]:
    query = {"items": [{"ref": "post-1", "hashes": [{"algorithm": "pdq", "value": value}]}]}
    response = client.post("/v1/match", json=query, headers=platform)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()["results"][0]
    return result


def test_a_case_counts_photos_and_a_match_names_photo_and_variant(client, platform, photo):
    entries = variant_entries(photo, CLIENT_KEY)
    assert len(entries) >= 15  # a detailed photo keeps most of its 19 variants
    entries.append({"algorithm": "md5", "value": sample_hashes.md5(81), "photo": CLIENT_KEY})
    other = np.ascontiguousarray(np.asarray(synthetic_photo(82)))
    entries += variant_entries(other, "f-other")
    response = client.post("/v1/cases", json={"hashes": entries})
    assert response.status_code == 201, response.text
    opened = response.json()
    assert opened["accepted"] == len(entries)
    case = client.get(f"/v1/cases/{opened['case_id']}", headers=bearer(opened["secret"])).json()
    assert case["photo_count"] == 2 and case["hash_count"] == len(entries)

    # A mirrored re-post, hashed with plain PDQ: found through the stored "mirror" variant.
    mirrored = match(client, platform, plain_pdq(photo[:, ::-1]))
    assert mirrored["matched"] is True
    nearest = mirrored["matches"][0]
    assert (nearest["variant"], nearest["distance"]) == ("mirror", 0)
    photo_ref = nearest["photo"]
    assert photo_ref.startswith("p_") and CLIENT_KEY not in photo_ref
    assert CLIENT_KEY not in str(mirrored)
    # A 5% crop: the "crop5" variant of the same photo.
    h, w = photo.shape[:2]
    cropped = photo[round(h * 0.05) : h - round(h * 0.05), round(w * 0.05) : w - round(w * 0.05)]
    found = match(client, platform, plain_pdq(cropped))["matches"]
    assert (found[0]["variant"], found[0]["distance"], found[0]["photo"]) == ("crop5", 0, photo_ref)
    # The other photo has its own reference.
    other_hit = match(client, platform, plain_pdq(other))["matches"][0]
    assert other_hit["variant"] == "original" and other_hit["photo"] != photo_ref

    # The match record says the same when read back.
    record = client.get(f"/v1/matches/{mirrored['match_id']}", headers=platform).json()
    assert record["matches"] == mirrored["matches"]

    # The hash list groups the variants by photo and names each one.
    feed = client.get("/v1/hashlist", headers=platform).json()["entries"]
    mine = [e for e in feed if e["photo"] == photo_ref]
    assert len(mine) == len(variant_entries(photo, CLIENT_KEY)) + 1
    assert {e["variant"] for e in mine} >= {"original", "mirror", "crop5", "crop10+mirror"}


def test_withdrawal_erases_every_variant(client, platform, photo):
    entries = variant_entries(photo, CLIENT_KEY)
    opened = client.post("/v1/cases", json={"hashes": entries}).json()
    values = [str(e["value"]) for e in entries]
    assert all(match(client, platform, v)["matched"] for v in values)

    response = client.delete(f"/v1/cases/{opened['case_id']}", headers=bearer(opened["secret"]))
    assert response.status_code == 200
    assert not any(match(client, platform, v)["matched"] for v in values)
    feed = client.get("/v1/hashlist", headers=platform).json()["entries"]
    withdrawn = [e for e in feed if e["change"] == "withdrawn"]
    assert len(withdrawn) == len(entries)
    assert len({e["photo"] for e in withdrawn}) == 1
    assert all(e["value"] is None for e in feed)
    case = client.get(f"/v1/cases/{opened['case_id']}", headers=bearer(opened["secret"])).json()
    assert case["status"] == "withdrawn" and case["photo_count"] == 1
