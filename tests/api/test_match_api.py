"""POST /v1/match: thresholds, caps, several hashes per item, records, limits."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests import sample_hashes
from tests.service_fixtures import OPERATOR, bearer


@pytest.fixture
def platform(make_key):
    return bearer(make_key("platform", platform="acme"))


def store(client, entries):
    response = client.post("/v1/cases", json={"hashes": entries})
    assert response.status_code == 201 and response.json()["accepted"] == len(entries)
    return response.json()


def match_one(client, headers, algorithm, value, max_distance=None):
    item = {"ref": "upload-1", "hashes": [{"algorithm": algorithm, "value": value}]}
    if max_distance is not None:
        item["max_distance"] = max_distance
    response = client.post("/v1/match", json={"items": [item]}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["results"][0]


@pytest.mark.parametrize(
    ("flipped", "max_distance", "matched"),
    [
        (0, None, True),
        (31, None, True),
        (32, None, False),
        (20, 10, False),
        (10, 10, True),
        (31, 200, True),  # capped at 31 ...
        (32, 200, False),  # ... never beyond
    ],
)
def test_pdq_threshold_and_cap(client, platform, flipped, max_distance, matched):
    stored = sample_hashes.pdq(1)
    store(client, [sample_hashes.pdq_entry(1)])
    result = match_one(client, platform, "pdq", sample_hashes.flip(stored, flipped), max_distance)
    assert result["matched"] is matched
    if matched:
        assert result["matches"][0]["distance"] == flipped
        assert result["matches"][0]["algorithm"] == "pdq"
        assert result["match_id"].startswith("m_")
    else:
        assert result["matches"] == [] and "match_id" not in result


@pytest.mark.parametrize(
    ("flipped", "max_distance", "matched"),
    [(4, None, True), (5, None, False), (6, 6, True), (7, 30, False)],
)
def test_phash_strict_default_and_cap(client, platform, flipped, max_distance, matched):
    stored = sample_hashes.phash(1)
    store(client, [{"algorithm": "phash", "value": stored}])
    result = match_one(client, platform, "phash", sample_hashes.flip(stored, flipped), max_distance)
    assert result["matched"] is matched


@pytest.mark.parametrize("algorithm", ["md5", "sha256"])
def test_exact_hashes_match_exactly(client, platform, algorithm):
    value = getattr(sample_hashes, algorithm)(1)
    store(client, [{"algorithm": algorithm, "value": value}])
    assert match_one(client, platform, algorithm, value)["matches"][0]["distance"] == 0
    assert not match_one(client, platform, algorithm, sample_hashes.flip(value, 1))["matched"]


def test_an_item_matches_if_any_of_its_hashes_does(client, platform, database):
    stored = sample_hashes.pdq(2)
    opened = store(client, [sample_hashes.pdq_entry(2)])
    dihedral = [sample_hashes.pdq(100 + k) for k in range(7)] + [sample_hashes.flip(stored, 3)]
    body = {
        "items": [
            {"ref": "rotated", "hashes": [{"algorithm": "pdq", "value": v} for v in dihedral]},
            {"ref": "other", "hashes": [{"algorithm": "pdq", "value": sample_hashes.pdq(999)}]},
        ]
    }
    response = client.post("/v1/match", json=body, headers=platform)
    results = response.json()["results"]
    assert [r["ref"] for r in results] == ["rotated", "other"]
    assert results[0]["matched"] and results[0]["matches"][0]["distance"] == 3
    assert not results[1]["matched"]
    # One record for the matched item, none for the other; the victim sees the count.
    with database.transaction(write=False) as session:
        records = session.execute(text("SELECT platform, ref, status FROM match_records")).all()
        hits = session.execute(text("SELECT distance FROM match_hits")).scalars().all()
    assert [tuple(r) for r in records] == [("acme", "rotated", "pending")]
    assert hits == [3]
    case = client.get(f"/v1/cases/{opened['case_id']}", headers=bearer(opened["secret"])).json()
    assert case["matches"] == {"total": 1, "confirmed": 0}
    metrics = client.get("/metrics", headers=OPERATOR).text
    assert 'hashstop_match_items_total{result="matched"} 1.0' in metrics
    assert 'hashstop_match_items_total{result="unmatched"} 1.0' in metrics


def test_one_item_hitting_hashes_of_two_cases_lists_both(client, platform):
    stored = sample_hashes.pdq(3)
    store(client, [sample_hashes.pdq_entry(3)])
    store(client, [{"algorithm": "pdq", "value": sample_hashes.flip(stored, 5), "quality": 90}])
    result = match_one(client, platform, "pdq", stored)
    assert [m["distance"] for m in result["matches"]] == [0, 5]


def test_a_large_batch_answers_item_by_item_as_single_requests_do(client, platform, database):
    """Above the size searched on the event loop, the batch goes to a worker thread: same
    answers, in order, one record per matched item."""
    store(client, [sample_hashes.pdq_entry(s) for s in (4, 5, 6)])
    planted = {7: sample_hashes.flip(sample_hashes.pdq(4), 9), 50: sample_hashes.pdq(5)}
    planted[199] = sample_hashes.flip(sample_hashes.pdq(6), 31)
    values = [planted.get(i, sample_hashes.pdq(10_000 + i)) for i in range(200)]
    body = {
        "items": [
            {"ref": f"u{i}", "hashes": [{"algorithm": "pdq", "value": v}]}
            for i, v in enumerate(values)
        ]
    }
    batch = client.post("/v1/match", json=body, headers=platform).json()["results"]
    assert [r["ref"] for r in batch] == [f"u{i}" for i in range(200)]
    assert [i for i, r in enumerate(batch) if r["matched"]] == [7, 50, 199]
    assert [batch[i]["matches"][0]["distance"] for i in (7, 50, 199)] == [9, 0, 31]
    for i in (7, 50, 199, 0, 198):  # one by one, on the event loop: the same answers
        single = match_one(client, platform, "pdq", values[i])
        assert single["matched"] == batch[i]["matched"]
        assert [m["hash_id"] for m in single["matches"]] == [
            m["hash_id"] for m in batch[i]["matches"]
        ]
    with database.transaction(write=False) as session:
        refs = session.execute(text("SELECT ref FROM match_records ORDER BY id")).scalars().all()
    assert refs == ["u7", "u50", "u199", "upload-1", "upload-1", "upload-1"]


def test_batch_limits_are_413_with_the_limit(client, platform):
    hashes = [{"algorithm": "pdq", "value": sample_hashes.pdq(1)}]
    item: dict[str, object] = {"ref": "r", "hashes": hashes}
    too_many = client.post("/v1/match", json={"items": [item] * 1001}, headers=platform)
    assert too_many.status_code == 413 and "at most 1000 items" in too_many.json()["detail"]
    fat = {"ref": "r", "hashes": hashes * 17}
    too_fat = client.post("/v1/match", json={"items": [fat]}, headers=platform)
    assert too_fat.status_code == 413 and "at most 16 per item" in too_fat.json()["detail"]
    full = client.post(
        "/v1/match",
        json={"items": [{"ref": "r", "hashes": hashes * 16}] * 1000},
        headers=platform,
    )
    assert full.status_code == 200 and len(full.json()["results"]) == 1000


@pytest.mark.parametrize(
    ("body", "where"),
    [
        (
            {"items": [{"ref": "r", "hashes": [{"algorithm": "pdq", "value": "12"}]}]},
            "items[0].hashes[0]",
        ),
        (
            {"items": [{"ref": "r", "hashes": [{"algorithm": "sha1", "value": "12"}]}]},
            "unknown algorithm",
        ),
        ({"items": [{"ref": "r", "hashes": []}]}, "items[0].hashes"),
        ({"items": [{"ref": "", "hashes": [{"algorithm": "md5", "value": "00"}]}]}, "items[0].ref"),
        (
            {
                "items": [
                    {"ref": "r", "max_distance": -1, "hashes": [{"algorithm": "md5", "value": "0"}]}
                ]
            },
            "max_distance",
        ),
        (
            {
                "items": [
                    {"ref": "r", "max_distnace": 3, "hashes": [{"algorithm": "md5", "value": "0"}]}
                ]
            },
            "max_distnace",
        ),
        ({"itemz": []}, "items"),
    ],
)
def test_bad_match_requests_are_422_saying_where(client, platform, body, where):
    response = client.post("/v1/match", json=body, headers=platform)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert where in response.json()["detail"]


def test_matching_is_rate_limited_per_key(database_url, make_key):
    from hashstop.app import create_app
    from tests.service_fixtures import make_settings, running_client, wait_ready

    settings = make_settings(database_url, match_requests_per_second=0.5, match_burst=2)
    first, second = bearer(make_key("platform")), bearer(make_key("platform"))
    body = {
        "items": [{"ref": "r", "hashes": [{"algorithm": "md5", "value": sample_hashes.md5(1)}]}]
    }
    with running_client(create_app(settings)) as client:
        wait_ready(client)
        codes = [client.post("/v1/match", json=body, headers=first).status_code for _ in range(3)]
        assert codes == [200, 200, 429]
        limited = client.post("/v1/match", json=body, headers=first)
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
        assert limited.json()["retry_after"] >= 1
        # Another key has its own allowance.
        assert client.post("/v1/match", json=body, headers=second).status_code == 200
