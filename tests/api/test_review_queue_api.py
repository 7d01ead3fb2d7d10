"""GET /v1/review/queue: filters, stable paging, quarantined hashes' matches on top."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests import sample_hashes
from tests.api.moderation import decide, feedback, headers, is_problem, match, match_id, open_case


@pytest.fixture
def keys(make_key):
    return {
        "acme": headers(make_key("platform", name="acme-key", platform="acme")),
        "other": headers(make_key("platform", name="other-key", platform="other")),
        "moderator": headers(make_key("moderator", name="mod")),
    }


def ids(client, moderator, **params):
    response = client.get("/v1/review/queue", params=params, headers=moderator)
    assert response.status_code == 200, response.text
    return [i["match_id"] for i in response.json()["items"]]


def test_filters(client, keys):
    md5 = sample_hashes.md5(1)
    open_case(client, sample_hashes.pdq_entry(1), {"algorithm": "md5", "value": md5})
    by_pdq = match_id(client, keys["acme"], sample_hashes.pdq(1), "a")
    body = {"items": [{"ref": "b", "hashes": [{"algorithm": "md5", "value": md5}]}]}
    by_md5 = client.post("/v1/match", json=body, headers=keys["other"]).json()["results"][0][
        "match_id"
    ]
    judged = match_id(client, keys["acme"], sample_hashes.pdq(1), "c")
    feedback(client, keys["acme"], judged, "confirmed")
    mod = keys["moderator"]

    assert ids(client, mod) == [by_md5, by_pdq]  # pending by default, newest first
    assert ids(client, mod, status="all") == [judged, by_md5, by_pdq]
    assert ids(client, mod, status="confirmed") == [judged]
    assert ids(client, mod, status="dismissed") == []
    assert ids(client, mod, status="all", platform="acme") == [judged, by_pdq]
    assert ids(client, mod, status="all", algorithm="md5") == [by_md5]
    assert ids(client, mod, status="all", algorithm="phash") == []
    hit = client.get(f"/v1/review/matches/{by_pdq}", headers=mod).json()["hits"][0]["hash_id"]
    assert ids(client, mod, status="all", hash_id=hit) == [judged, by_pdq]

    now = datetime.now(UTC)
    assert ids(client, mod, status="all", since=(now + timedelta(minutes=1)).isoformat()) == []
    assert ids(client, mod, status="all", until=(now - timedelta(minutes=1)).isoformat()) == []
    window = {
        "since": (now - timedelta(minutes=5)).isoformat(),
        "until": (now + timedelta(minutes=5)).isoformat(),
    }
    assert len(ids(client, mod, status="all", **window)) == 3
    item = client.get("/v1/review/queue", params={"status": "all"}, headers=mod).json()["items"][0]
    assert set(item) == {
        "match_id",
        "platform",
        "ref",
        "status",
        "decided_by",
        "created_at",
        "updated_at",
        "quarantined",
        "flagged",
        "hits",
    }
    assert item["flagged"] is False
    assert item["hits"][0].pop("photo").startswith("p_")
    assert item["hits"][0].pop("variant") == "original"
    assert item["hits"] == [
        {
            "hash_id": hit,
            "algorithm": "pdq",
            "distance": 0,
            "hash_status": "active",
            "quarantined": False,
        }
    ]


def test_paging_is_stable_while_matches_arrive(client, keys):
    open_case(client, sample_hashes.pdq_entry(2))
    made = [match_id(client, keys["acme"], sample_hashes.pdq(2), f"r{i}") for i in range(7)]
    mod = keys["moderator"]
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = client.get("/v1/review/queue", params=params, headers=mod).json()
        seen += [i["match_id"] for i in page["items"]]
        pages += 1
        if pages == 1:  # a new match between pages never shifts the following pages
            match_id(client, keys["acme"], sample_hashes.pdq(2), "late")
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert seen == list(reversed(made))


def test_quarantined_hashes_matches_come_first(database_url, make_key):
    from hashstop.app import create_app
    from tests.service_fixtures import make_settings, running_client, wait_ready

    settings = make_settings(database_url, quarantine_matches=2, quarantine_platforms=2)
    acme = headers(make_key("platform", name="acme-key", platform="acme"))
    other = headers(make_key("platform", name="other-key", platform="other"))
    mod = headers(make_key("moderator", name="mod"))
    with running_client(create_app(settings)) as client:
        wait_ready(client)
        open_case(client, sample_hashes.pdq_entry(3), sample_hashes.pdq_entry(4))
        calm = match_id(client, acme, sample_hashes.pdq(4), "calm-old")
        flood = [
            match_id(client, platform, sample_hashes.pdq(3), f"f{i}")
            for i, platform in enumerate([acme, other, acme])
        ]
        assert not match(client, other, sample_hashes.pdq(3))["matched"]  # quarantined
        newer = match_id(client, acme, sample_hashes.pdq(4), "calm-new")
        page = client.get("/v1/review/queue", headers=mod).json()
        assert [i["match_id"] for i in page["items"]] == [*reversed(flood), newer, calm]
        assert [i["quarantined"] for i in page["items"]] == [True] * 3 + [False] * 2
        # Paging crosses from the quarantined part to the rest without loss or repeat.
        walked, cursor = [], None
        while True:
            params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
            part = client.get("/v1/review/queue", params=params, headers=mod).json()
            walked += [i["match_id"] for i in part["items"]]
            cursor = part["next_cursor"]
            if cursor is None:
                break
        assert walked == [i["match_id"] for i in page["items"]]
        exact = client.get("/v1/review/queue", params={"limit": 3}, headers=mod).json()
        assert exact["next_cursor"] == "r"
        rest = client.get("/v1/review/queue", params={"cursor": "r"}, headers=mod).json()
        assert [i["match_id"] for i in rest["items"]] == [newer, calm]
        decide(client, mod, flood[0], "dismissed")
        assert len(client.get("/v1/review/queue", headers=mod).json()["items"]) == 4


@pytest.mark.parametrize(
    "params",
    [
        {"status": "open"},
        {"algorithm": "sha1"},
        {"limit": 0},
        {"limit": 201},
        {"cursor": "x12"},
        {"cursor": "q1;drop"},
        {"since": "yesterday"},
        {"since": "2026-01-02T00:00:00Z", "until": "2026-01-01T00:00:00Z"},
        {"hash_id": 0},
    ],
)
def test_bad_queue_parameters_are_422(client, keys, params):
    response = client.get("/v1/review/queue", params=params, headers=keys["moderator"])
    assert is_problem(response, 422)


def test_activity_counts_per_day(client, keys, make_key):
    open_case(client, sample_hashes.pdq_entry(5))
    one = match_id(client, keys["acme"], sample_hashes.pdq(5), "a")
    match_id(client, keys["other"], sample_hashes.pdq(5), "b")
    feedback(client, keys["acme"], one, "false_positive")
    decide(client, keys["moderator"], one, "confirmed")
    days = client.get("/v1/review/activity", params={"days": 3}, headers=keys["moderator"])
    assert days.status_code == 200
    series = days.json()["days"]
    assert len(series) == 3 and series[-1]["day"] == datetime.now(UTC).date().isoformat()
    assert series[-1]["counts"] == {
        "match:confirmed": 1,
        "match:pending": 1,
        "verdict:false_positive": 1,
        "decision:confirmed": 1,
    }
    assert series[0]["counts"] == {} and series[1]["counts"] == {}
    scoped = headers(make_key("moderator", name="mod-other", platform="other"))
    mine = client.get("/v1/review/activity", headers=scoped).json()["days"][-1]["counts"]
    assert mine == {"match:pending": 1}
    for bad in (0, 367):
        response = client.get("/v1/review/activity", params={"days": bad}, headers=scoped)
        assert is_problem(response, 422)
