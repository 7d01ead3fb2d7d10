"""Automatic quarantine: the rate and false-positive triggers, release and confirmation."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient

from hashstop.app import create_app
from tests import sample_hashes
from tests.api.moderation import audit, decide, feedback, headers, match, match_id, open_case
from tests.service_fixtures import make_settings, running_client, wait_ready


@pytest.fixture
def keys(make_key):
    return {
        name: headers(make_key("platform", name=f"{name}-key", platform=name))
        for name in ("acme", "birch", "cedar")
    } | {
        "moderator": headers(make_key("moderator", name="mod")),
        "admin": headers(make_key("admin", name="root")),
    }


@contextmanager
def app_with(database_url: str, **quarantine: object) -> Iterator[TestClient]:
    with running_client(create_app(make_settings(database_url, **quarantine))) as client:
        wait_ready(client)
        yield client


def hash_state(client, admin, hash_id):
    return client.get(f"/v1/review/hashes/{hash_id}", headers=admin).json()


def test_a_match_flood_across_platforms_is_quarantined(database_url, keys):
    value = sample_hashes.pdq(1)
    with app_with(database_url, quarantine_matches=3, quarantine_platforms=2) as client:
        open_case(client, sample_hashes.pdq_entry(1))
        first = match(client, keys["acme"], value, "a0")
        hash_id = first["matches"][0]["hash_id"]
        # Many matches from one platform alone never trip it (K = 2 platforms).
        for i in range(1, 5):
            assert match(client, keys["acme"], value, f"a{i}")["matched"]
        assert hash_state(client, keys["admin"], hash_id)["status"] == "active"
        assert match(client, keys["birch"], value, "b0")["matched"]  # 6 > 3, 2 platforms
        state = hash_state(client, keys["admin"], hash_id)
        assert state["status"] == "suspended" and state["quarantined"] is True
        assert state["suspension"]["kind"] == "quarantine"
        assert state["suspension"]["actor"] == "system"
        assert state["suspension"]["reason"].startswith(
            "automatic quarantine, pending review: 6 matches from 2 platforms within 1 h"
        )
        assert not match(client, keys["cedar"], value)["matched"]
        (entry,) = audit(client, keys["admin"], "hash.quarantined")
        assert entry["actor"] == "system" and entry["target"] == f"hash:{hash_id}"
        assert entry["details"]["trigger"] == "match_rate"
        listed = client.get(
            "/v1/review/hashes", params={"kind": "quarantine"}, headers=keys["moderator"]
        ).json()["items"]
        assert [i["hash_id"] for i in listed] == [hash_id]


def test_false_positive_verdicts_quarantine_a_hash(database_url, keys):
    value = sample_hashes.pdq(2)
    settings = {"quarantine_false_positives": 2, "quarantine_platforms": 2}
    with app_with(database_url, **settings) as client:
        open_case(client, sample_hashes.pdq_entry(2))
        one = match_id(client, keys["acme"], value, "a")
        two = match_id(client, keys["birch"], value, "b")
        hash_id = match(client, keys["cedar"], value, "c")["matches"][0]["hash_id"]
        # Changing one's mind on one record counts once.
        feedback(client, keys["acme"], one, "false_positive")
        feedback(client, keys["acme"], one, "confirmed")
        feedback(client, keys["acme"], one, "false_positive")
        assert hash_state(client, keys["admin"], hash_id)["status"] == "active"
        feedback(client, keys["birch"], two, "false_positive", "none")
        state = hash_state(client, keys["admin"], hash_id)
        assert state["quarantined"] is True
        assert "2 uploads judged false positives by 2 platforms" in state["suspension"]["reason"]
        (entry,) = audit(client, keys["admin"], "hash.quarantined")
        assert entry["details"]["trigger"] == "false_positives"
        assert not match(client, keys["acme"], value)["matched"]


def test_a_verdict_after_a_moderators_decision_does_not_count(database_url, keys):
    value = sample_hashes.pdq(3)
    settings = {"quarantine_false_positives": 1, "quarantine_platforms": 1}
    with app_with(database_url, **settings) as client:
        open_case(client, sample_hashes.pdq_entry(3))
        mid = match_id(client, keys["acme"], value)
        hash_id = match(client, keys["acme"], value, "probe")["matches"][0]["hash_id"]
        decide(client, keys["moderator"], mid, "confirmed")
        feedback(client, keys["acme"], mid, "false_positive")
        assert hash_state(client, keys["admin"], hash_id)["status"] == "active"


def test_release_counts_only_later_evidence_and_confirmation_keeps_it_suspended(database_url, keys):
    value = sample_hashes.pdq(4)
    settings = {"quarantine_matches": 2, "quarantine_platforms": 2}
    with app_with(database_url, **settings) as client:
        open_case(client, sample_hashes.pdq_entry(4))
        hash_id = match(client, keys["acme"], value, "a")["matches"][0]["hash_id"]
        match(client, keys["birch"], value, "b")
        match(client, keys["cedar"], value, "c")
        assert hash_state(client, keys["admin"], hash_id)["quarantined"] is True

        released = client.post(
            f"/v1/review/hashes/{hash_id}/restore",
            json={"reason": "a real victim's photo going round"},
            headers=keys["moderator"],
        )
        assert released.status_code == 200 and released.json()["status"] == "active"
        # The same evidence does not catch it again: two more matches are within the limit.
        assert match(client, keys["acme"], value, "d")["matched"]
        assert match(client, keys["birch"], value, "e")["matched"]
        assert hash_state(client, keys["admin"], hash_id)["status"] == "active"
        assert match(client, keys["cedar"], value, "f")["matched"]  # 3 new > 2: caught again
        state = hash_state(client, keys["admin"], hash_id)
        assert state["quarantined"] is True
        assert [(s["kind"], s["outcome"]) for s in state["history"]] == [
            ("quarantine", "restored"),
            ("quarantine", None),
        ]

        confirmed = client.post(
            f"/v1/review/hashes/{hash_id}/suspend",
            json={"reason": "a meme, confirmed"},
            headers=keys["moderator"],
        )
        assert confirmed.status_code == 200
        body = confirmed.json()
        assert body["status"] == "suspended" and body["quarantined"] is False
        assert body["suspension"]["kind"] == "moderator"
        history = hash_state(client, keys["admin"], hash_id)["history"]
        assert [(s["kind"], s["outcome"]) for s in history] == [
            ("quarantine", "restored"),
            ("quarantine", "confirmed"),
            ("moderator", None),
        ]
        queue = client.get("/v1/review/queue", headers=keys["moderator"]).json()["items"]
        assert not any(i["quarantined"] for i in queue)
        ended = audit(client, keys["admin"], "hash.quarantine_ended")
        assert [e["details"]["outcome"] for e in ended] == ["confirmed"]


def test_quarantine_can_be_switched_off(database_url, keys):
    value = sample_hashes.pdq(5)
    off = {"quarantine_enabled": False, "quarantine_matches": 1, "quarantine_platforms": 1}
    with app_with(database_url, **off) as client:
        open_case(client, sample_hashes.pdq_entry(5))
        for name in ("acme", "birch", "cedar"):
            assert match(client, keys[name], value)["matched"]
        assert audit(client, keys["admin"], "hash.quarantined") == []
