"""The life of a match record: every transition, who may make it, and what each party sees."""

from __future__ import annotations

import pytest

from tests import sample_hashes
from tests.api.moderation import (
    audit,
    decide,
    feedback,
    headers,
    is_problem,
    match_id,
    pdq_case,
    review,
)


@pytest.fixture
def keys(make_key):
    return {
        "acme": headers(make_key("platform", name="acme-key", platform="acme")),
        "other": headers(make_key("platform", name="other-key", platform="other")),
        "moderator": headers(make_key("moderator", name="mod-global")),
        "scoped": headers(make_key("moderator", name="mod-acme", platform="acme")),
        "admin": headers(make_key("admin", name="root")),
    }


def test_platform_verdicts_move_a_pending_record_and_may_change(client, keys):
    pdq_case(client, 1)
    mid = match_id(client, keys["acme"], sample_hashes.pdq(1))
    assert review(client, keys["moderator"], mid)["status"] == "pending"

    assert feedback(client, keys["acme"], mid, "confirmed", "removed").json()["status"] == (
        "confirmed"
    )
    changed = feedback(client, keys["acme"], mid, "false_positive")
    assert changed.status_code == 201 and changed.json()["status"] == "false_positive"

    seen = review(client, keys["moderator"], mid)
    assert seen["status"] == "false_positive" and seen["decided_by"] == "platform"
    assert [(e["kind"], e["status"], e["action"], e["applied"]) for e in seen["history"]] == [
        ("matched", "pending", None, True),
        ("feedback", "confirmed", "removed", True),
        ("feedback", "false_positive", "none", True),
    ]
    assert seen["history"][1]["actor"] == "acme-key"


def test_a_moderators_decision_is_final_for_platforms(client, keys):
    pdq_case(client, 2)
    mid = match_id(client, keys["acme"], sample_hashes.pdq(2))
    decided = decide(client, keys["moderator"], mid, "confirmed", note="same photo")
    assert decided.status_code == 200
    assert decided.json()["status"] == "confirmed" and decided.json()["decided_by"] == "moderator"

    later = feedback(client, keys["acme"], mid, "false_positive", "none")
    assert later.status_code == 201
    assert later.json()["status"] == "confirmed"  # kept, counted, but the status stays
    seen = review(client, keys["moderator"], mid)
    assert seen["status"] == "confirmed"
    last = seen["history"][-1]
    assert (last["kind"], last["status"], last["applied"]) == ("feedback", "false_positive", False)
    decision = seen["history"][1]
    assert decision == {
        "kind": "decision",
        "at": decision["at"],
        "actor": "mod-global",
        "role": "moderator",
        "status": "confirmed",
        "action": None,
        "note": "same photo",
        "applied": True,
        "previous": "pending",
    }
    # The platform's own view shows the moderator's status and every verdict it gave.
    own = client.get(f"/v1/matches/{mid}", headers=keys["acme"]).json()
    assert own["status"] == "confirmed" and [f["verdict"] for f in own["feedback"]] == [
        "false_positive"
    ]


def test_every_moderator_transition(client, keys):
    pdq_case(client, 3)
    mid = match_id(client, keys["acme"], sample_hashes.pdq(3))
    moderator = keys["moderator"]
    # pending -> pending changes nothing
    assert is_problem(decide(client, moderator, mid, "pending"), 409)
    # platform verdict, then the moderator ratifies it (same status, now the moderator's word)
    feedback(client, keys["acme"], mid, "confirmed")
    ratified = decide(client, moderator, mid, "confirmed")
    assert ratified.status_code == 200 and ratified.json()["decided_by"] == "moderator"
    assert is_problem(decide(client, moderator, mid, "confirmed"), 409)
    # confirmed -> false_positive -> dismissed -> pending (reopen)
    path = []
    for decision in ("false_positive", "dismissed", "pending"):
        response = decide(client, moderator, mid, decision)
        assert response.status_code == 200, response.text
        path.append((response.json()["status"], response.json()["decided_by"]))
    assert path == [
        ("false_positive", "moderator"),
        ("dismissed", "moderator"),
        ("pending", None),
    ]
    # a reopened record takes a platform's verdict again
    assert feedback(client, keys["acme"], mid, "false_positive").json()["status"] == (
        "false_positive"
    )
    # pending -> dismissed directly
    assert decide(client, moderator, mid, "dismissed").json()["status"] == "dismissed"
    statuses = [
        (e["kind"], e["previous"], e["status"]) for e in review(client, moderator, mid)["history"]
    ]
    assert statuses == [
        ("matched", None, "pending"),
        ("feedback", None, "confirmed"),
        ("decision", "confirmed", "confirmed"),
        ("decision", "confirmed", "false_positive"),
        ("decision", "false_positive", "dismissed"),
        ("decision", "dismissed", "pending"),
        ("feedback", None, "false_positive"),
        ("decision", "false_positive", "dismissed"),
    ]
    decided = audit(client, keys["admin"], "match.decided")
    assert len(decided) == 5 and {e["actor"] for e in decided} == {"key:mod-global"}
    assert decided[-1]["details"]["decision"] == "confirmed"


@pytest.mark.parametrize(
    "body",
    [
        {"decision": "blocked"},
        {"decision": "confirmed", "note": "x" * 501},
        {"decision": "confirmed", "extra": 1},
        {},
    ],
)
def test_bad_decisions_are_422(client, keys, body):
    pdq_case(client, 4)
    mid = match_id(client, keys["acme"], sample_hashes.pdq(4))
    response = client.post(f"/v1/review/matches/{mid}", json=body, headers=keys["moderator"])
    assert is_problem(response, 422)


def test_who_may_read_and_decide(client, keys):
    opened = pdq_case(client, 5)
    mid = match_id(client, keys["acme"], sample_hashes.pdq(5))
    for name in ("acme", "other"):  # platforms, even the one that matched
        assert is_problem(decide(client, keys[name], mid, "confirmed"), 403)
        assert is_problem(client.get(f"/v1/review/matches/{mid}", headers=keys[name]), 403)
        assert is_problem(client.get("/v1/review/queue", headers=keys[name]), 403)
    secret = headers(opened["secret"])
    assert is_problem(decide(client, secret, mid, "confirmed"), 403)
    assert is_problem(client.get("/v1/review/queue", headers=secret), 403)
    assert is_problem(client.post(f"/v1/review/matches/{mid}", json={"decision": "x"}), 401)
    assert is_problem(client.get("/v1/review/queue"), 401)
    assert decide(client, keys["admin"], mid, "dismissed").json()["status"] == "dismissed"


def test_a_scoped_moderator_sees_and_acts_only_on_its_platform(client, keys):
    pdq_case(client, 6)
    mine = match_id(client, keys["acme"], sample_hashes.pdq(6), "a-1")
    theirs = match_id(client, keys["other"], sample_hashes.pdq(6), "o-1")
    scoped = keys["scoped"]
    listed = client.get("/v1/review/queue", params={"status": "all"}, headers=scoped).json()
    assert [i["match_id"] for i in listed["items"]] == [mine]
    everything = client.get("/v1/review/queue", headers=keys["moderator"]).json()
    assert {i["match_id"] for i in everything["items"]} == {mine, theirs}

    hidden = client.get(f"/v1/review/matches/{theirs}", headers=scoped)
    unknown = client.get("/v1/review/matches/m_doesnotexist", headers=scoped)
    assert is_problem(hidden, 404) and is_problem(unknown, 404)
    assert hidden.json()["detail"] == unknown.json()["detail"].replace("m_doesnotexist", theirs)
    assert is_problem(decide(client, scoped, theirs, "confirmed"), 404)
    assert is_problem(
        client.get("/v1/review/queue", params={"platform": "other"}, headers=scoped), 403
    )
    assert decide(client, scoped, mine, "confirmed").status_code == 200
    # Counts over the hash span every platform, without naming them.
    seen = review(client, scoped, mine)
    assert seen["matches"][0]["counts"]["matches"] == 2
    assert "other" not in str(seen["matches"])


def test_a_victim_sees_only_counts(client, keys):
    opened = pdq_case(client, 7)
    first = match_id(client, keys["acme"], sample_hashes.pdq(7), "a-1")
    second = match_id(client, keys["other"], sample_hashes.pdq(7), "o-1")
    third = match_id(client, keys["other"], sample_hashes.pdq(7), "o-2")
    feedback(client, keys["acme"], first, "confirmed", "removed")
    decide(client, keys["moderator"], second, "confirmed")
    decide(client, keys["moderator"], third, "dismissed")
    case = client.get(f"/v1/cases/{opened['case_id']}", headers=headers(opened["secret"]))
    body = case.json()
    assert body["matches"] == {"total": 3, "confirmed": 2}
    assert set(body) == {
        "case_id",
        "status",
        "hash_count",
        "photo_count",
        "matches",
        "created_at",
        "withdrawn_at",
    }
    text = case.text
    for leak in ("acme", "other", "a-1", "o-1", first, second, "hash_id", "platform"):
        assert leak not in text


def test_moderators_never_see_case_ids_or_photo_labels(client, keys):
    entry = sample_hashes.pdq_entry(8, photo="holiday-beach-label")
    opened = client.post("/v1/cases", json={"hashes": [entry]}).json()
    mid = match_id(client, keys["acme"], sample_hashes.pdq(8))
    for path in (f"/v1/review/matches/{mid}", "/v1/review/queue"):
        text = client.get(path, headers=keys["moderator"]).text
        assert opened["case_id"] not in text and "holiday-beach-label" not in text
        assert "hsc_" not in text
