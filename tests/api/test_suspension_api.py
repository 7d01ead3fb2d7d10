"""Suspending and restoring hashes: everywhere within 2 s, in the hash list, with reasons."""

from __future__ import annotations

import time

import pytest

from hashstop.app import create_app
from tests import sample_hashes
from tests.api.moderation import audit, headers, is_problem, match, match_id, open_case
from tests.service_fixtures import running_client, wait_ready

DEADLINE = 2.0


def poll_until(predicate, timeout=DEADLINE):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.01)
    raise AssertionError(f"not within {timeout} s")


@pytest.fixture
def keys(make_key):
    return {
        "acme": headers(make_key("platform", name="acme-key", platform="acme")),
        "moderator": headers(make_key("moderator", name="mod")),
        "scoped": headers(make_key("moderator", name="mod-acme", platform="acme")),
        "admin": headers(make_key("admin", name="root")),
    }


def first_hash_id(client, platform, value):
    return match(client, platform, value, "probe")["matches"][0]["hash_id"]


def feed(client, platform, after):
    return client.get("/v1/hashlist", params={"after": after}, headers=platform).json()


def test_suspension_stops_matching_in_another_worker_and_restore_brings_it_back(settings, keys):
    value = sample_hashes.pdq(1)
    app_one, app_two = create_app(settings), create_app(settings)
    with running_client(app_one) as one, running_client(app_two) as two:
        wait_ready(one)
        wait_ready(two)
        open_case(one, sample_hashes.pdq_entry(1))
        poll_until(lambda: match(two, keys["acme"], value)["matched"])
        hash_id = first_hash_id(one, keys["acme"], value)
        head = feed(one, keys["acme"], 0)["next"]

        suspended = one.post(
            f"/v1/review/hashes/{hash_id}/suspend",
            json={"reason": "a meme, not intimate imagery"},
            headers=keys["moderator"],
        )
        assert suspended.status_code == 200, suspended.text
        assert suspended.json()["status"] == "suspended"
        assert suspended.json()["suspension"]["kind"] == "moderator"
        assert not match(one, keys["acme"], value)["matched"]  # before the answer, here
        poll_until(lambda: not match(two, keys["acme"], value)["matched"])
        poll_until(lambda: app_two.state.runtime.index.sizes()["pdq"] == 0)
        entries = feed(two, keys["acme"], head)["entries"]
        assert [(e["hash_id"], e["change"], e["status"], e["value"]) for e in entries] == [
            (hash_id, "suspended", "suspended", None)
        ]

        restored = one.post(
            f"/v1/review/hashes/{hash_id}/restore",
            json={"reason": "checked: it is the victim's photo"},
            headers=keys["moderator"],
        )
        assert restored.status_code == 200 and restored.json()["status"] == "active"
        assert restored.json()["suspension"] is None
        poll_until(lambda: match(two, keys["acme"], value)["matched"])
        # The feed carries each hash's current state: matchable again, with its value.
        entries = feed(two, keys["acme"], head)["entries"]
        assert [(e["change"], e["status"], e["value"]) for e in entries] == [
            ("suspended", "active", value),
            ("restored", "active", value),
        ]
        (suspension,) = audit(one, keys["admin"], "hash.suspended")
        (restore,) = audit(one, keys["admin"], "hash.restored")
    assert suspension["actor"] == restore["actor"] == "key:mod"
    assert suspension["target"] == f"hash:{hash_id}"
    assert suspension["details"] == {"kind": "moderator", "reason": "a meme, not intimate imagery"}
    assert restore["details"] == {"was": "moderator", "reason": "checked: it is the victim's photo"}


def test_suspended_hashes_are_listed_with_why(client, keys):
    open_case(client, sample_hashes.pdq_entry(2), sample_hashes.pdq_entry(3))
    a = first_hash_id(client, keys["acme"], sample_hashes.pdq(2))
    b = first_hash_id(client, keys["acme"], sample_hashes.pdq(3))
    for hash_id in (a, b):
        response = client.post(
            f"/v1/review/hashes/{hash_id}/suspend",
            json={"reason": f"r{hash_id}"},
            headers=keys["admin"],
        )
        assert response.status_code == 200
    listed = client.get(
        "/v1/review/hashes", params={"status": "suspended"}, headers=keys["moderator"]
    ).json()
    assert [i["hash_id"] for i in listed["items"]] == [b, a]
    item = listed["items"][0]
    assert item["value"] == sample_hashes.pdq(3) and item["quarantined"] is False
    assert item["suspension"]["reason"] == f"r{b}" and item["suspension"]["actor"] == "key:root"
    page = client.get("/v1/review/hashes", params={"limit": 1}, headers=keys["moderator"]).json()
    assert [i["hash_id"] for i in page["items"]] == [b]
    rest = client.get(
        "/v1/review/hashes", params={"before": page["next_before"]}, headers=keys["moderator"]
    ).json()
    assert [i["hash_id"] for i in rest["items"]] == [a] and rest["next_before"] is None
    none = client.get("/v1/review/hashes", params={"kind": "quarantine"}, headers=keys["admin"])
    assert none.json()["items"] == []
    detail = client.get(f"/v1/review/hashes/{a}", headers=keys["moderator"]).json()
    assert [s["kind"] for s in detail["history"]] == ["moderator"]
    assert detail["counts"]["matches"] == 1 and detail["case_counts"]["matches"] == 2


def test_suspension_rules_and_errors(client, keys):
    opened = open_case(client, sample_hashes.pdq_entry(4))
    hash_id = first_hash_id(client, keys["acme"], sample_hashes.pdq(4))
    url = f"/v1/review/hashes/{hash_id}"
    mod = keys["moderator"]
    assert is_problem(client.post(f"{url}/suspend", json={}, headers=mod), 422)
    assert is_problem(client.post(f"{url}/suspend", json={"reason": ""}, headers=mod), 422)
    assert is_problem(client.post(f"{url}/suspend", json={"reason": "  "}, headers=mod), 422)
    assert is_problem(client.post(f"{url}/restore", json={"reason": "x"}, headers=mod), 409)
    unknown = client.post("/v1/review/hashes/999999/suspend", json={"reason": "x"}, headers=mod)
    assert is_problem(unknown, 404)
    zero = client.post("/v1/review/hashes/0/suspend", json={"reason": "x"}, headers=mod)
    assert is_problem(zero, 422)
    # Scoped moderators, platforms and case secrets cannot touch hashes.
    for who, status in (
        (keys["scoped"], 403),
        (keys["acme"], 403),
        (headers(opened["secret"]), 403),
        ({}, 401),
    ):
        assert is_problem(client.post(f"{url}/suspend", json={"reason": "x"}, headers=who), status)
        assert is_problem(client.get("/v1/review/hashes", headers=who), status)
    assert is_problem(client.get(url, headers=keys["scoped"]), 403)
    assert client.post(f"{url}/suspend", json={"reason": "x"}, headers=mod).status_code == 200
    assert is_problem(client.post(f"{url}/suspend", json={"reason": "y"}, headers=mod), 409)
    # A withdrawn hash can be neither suspended nor restored.
    client.delete(f"/v1/cases/{opened['case_id']}", headers=headers(opened["secret"]))
    assert is_problem(client.post(f"{url}/restore", json={"reason": "x"}, headers=mod), 409)
    assert is_problem(client.post(f"{url}/suspend", json={"reason": "x"}, headers=mod), 409)
    assert client.get("/v1/review/hashes", headers=mod).json()["items"] == []
    assert is_problem(client.get("/v1/review/hashes?status=active", headers=mod), 422)
    assert is_problem(client.get("/v1/review/hashes?kind=bogus", headers=mod), 422)


def test_a_suspended_hash_keeps_its_matches_reviewable(client, keys):
    open_case(client, sample_hashes.pdq_entry(5))
    mid = match_id(client, keys["acme"], sample_hashes.pdq(5))
    hash_id = first_hash_id(client, keys["acme"], sample_hashes.pdq(5))
    client.post(
        f"/v1/review/hashes/{hash_id}/suspend", json={"reason": "x"}, headers=keys["moderator"]
    )
    seen = client.get(f"/v1/review/matches/{mid}", headers=keys["moderator"]).json()
    assert seen["matches"][0]["hash"]["status"] == "suspended"
    assert seen["hits"][0]["hash_status"] == "suspended"
