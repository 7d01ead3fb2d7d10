"""GET /v1/hashlist (the delta feed) and POST /v1/matches/{id}/feedback."""

from __future__ import annotations

import pytest

from tests import sample_hashes
from tests.service_fixtures import bearer


@pytest.fixture
def platform(make_key):
    return bearer(make_key("platform", platform="acme"))


def open_case(client, seeds):
    response = client.post(
        "/v1/cases", json={"hashes": [sample_hashes.pdq_entry(s) for s in seeds]}
    )
    assert response.status_code == 201
    return response.json()


def test_the_feed_pages_through_additions_and_withdrawals(client, platform):
    first = open_case(client, [1, 2, 3])
    open_case(client, [4])
    page = client.get("/v1/hashlist", params={"limit": 2}, headers=platform).json()
    assert [e["seq"] for e in page["entries"]] == [1, 2] and page["has_more"] is True
    # Both cases' additions are one batch, shuffled (issue 12): which comes first is not known.
    assert page["entries"][0] == {
        "seq": 1,
        "hash_id": page["entries"][0]["hash_id"],
        "algorithm": "pdq",
        "value": page["entries"][0]["value"],
        "status": "active",
        "change": "added",
        "photo": page["entries"][0]["photo"],
        "variant": "original",
    }
    # Each hash sent without a photo key is a photo of its own; the reference is public.
    assert page["entries"][0]["photo"] != page["entries"][1]["photo"]
    assert page["entries"][0]["photo"].startswith("p_")
    rest = client.get("/v1/hashlist", params={"after": page["next"]}, headers=platform).json()
    assert [e["seq"] for e in rest["entries"]] == [3, 4] and rest["has_more"] is False
    assert rest["next"] == 4
    assert {e["value"] for e in page["entries"] + rest["entries"]} == {
        sample_hashes.pdq(s) for s in (1, 2, 3, 4)
    }

    client.delete(f"/v1/cases/{first['case_id']}", headers=bearer(first["secret"]))
    delta = client.get("/v1/hashlist", params={"after": 4}, headers=platform).json()
    assert [(e["change"], e["value"], e["status"]) for e in delta["entries"]] == [
        ("withdrawn", None, "withdrawn")
    ] * 3
    # From the start, erased values never travel again.
    everything = client.get("/v1/hashlist", headers=platform).json()["entries"]
    assert sum(1 for e in everything if e["value"] is not None) == 1
    empty = client.get("/v1/hashlist", params={"after": 7}, headers=platform).json()
    assert empty == {"entries": [], "next": 7, "has_more": False}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 10_001}, "limit"),
        ({"after": -1}, "after"),
        ({"after": "x"}, "after"),
    ],
)
def test_bad_feed_parameters_are_422(client, platform, params, message):
    response = client.get("/v1/hashlist", params=params, headers=platform)
    assert response.status_code == 422 and message in response.json()["detail"]


def test_feedback_sets_the_status_and_the_victim_sees_the_count(client, platform):
    case = open_case(client, [10])
    query = {
        "items": [
            {"ref": "post-9", "hashes": [{"algorithm": "pdq", "value": sample_hashes.pdq(10)}]}
        ]
    }
    match_id = client.post("/v1/match", json=query, headers=platform).json()["results"][0][
        "match_id"
    ]

    wrong = client.post(
        f"/v1/matches/{match_id}/feedback", json={"verdict": "false_positive"}, headers=platform
    )
    assert wrong.status_code == 201
    assert wrong.json()["status"] == "false_positive" and wrong.json()["action"] == "none"
    right = client.post(
        f"/v1/matches/{match_id}/feedback",
        json={"verdict": "confirmed", "action": "removed"},
        headers=platform,
    )
    assert right.status_code == 201 and right.json()["match_id"] == match_id
    assert right.json()["status"] == "confirmed" and right.json()["action"] == "removed"
    view = client.get(f"/v1/cases/{case['case_id']}", headers=bearer(case["secret"])).json()
    assert view["matches"] == {"total": 1, "confirmed": 1}
    assert "post-9" not in str(view) and "acme" not in str(view)


@pytest.mark.parametrize(
    "body",
    [
        {"verdict": "maybe"},
        {"verdict": "confirmed", "action": "burned"},
        {},
        {"verdict": "confirmed", "x": 1},
    ],
)
def test_bad_feedback_is_422(client, platform, body):
    open_case(client, [11])
    query = {
        "items": [{"ref": "r", "hashes": [{"algorithm": "pdq", "value": sample_hashes.pdq(11)}]}]
    }
    match_id = client.post("/v1/match", json=query, headers=platform).json()["results"][0][
        "match_id"
    ]
    response = client.post(f"/v1/matches/{match_id}/feedback", json=body, headers=platform)
    assert response.status_code == 422


def test_a_platform_reads_its_own_match_with_its_verdicts(client, platform, make_key):
    open_case(client, [12])
    query = {
        "items": [{"ref": "p-1", "hashes": [{"algorithm": "pdq", "value": sample_hashes.pdq(12)}]}]
    }
    match_id = client.post("/v1/match", json=query, headers=platform).json()["results"][0][
        "match_id"
    ]
    client.post(f"/v1/matches/{match_id}/feedback", json={"verdict": "confirmed"}, headers=platform)
    record = client.get(f"/v1/matches/{match_id}", headers=platform)
    assert record.status_code == 200
    body = record.json()
    assert body["ref"] == "p-1" and body["status"] == "confirmed"
    assert [m["distance"] for m in body["matches"]] == [0]
    assert [(f["verdict"], f["action"]) for f in body["feedback"]] == [("confirmed", "none")]
    other = bearer(make_key("platform", platform="someone-else"))
    assert client.get(f"/v1/matches/{match_id}", headers=other).status_code == 404
