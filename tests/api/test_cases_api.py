"""Victim endpoints: open, read, add to and withdraw a case, with the case secret as bearer."""

from __future__ import annotations

import json
import re

from sqlalchemy import text

from tests import sample_hashes
from tests.service_fixtures import bearer


def open_case(client, entries):
    response = client.post("/v1/cases", json={"hashes": entries})
    assert response.status_code == 201, response.text
    return response.json()


def test_open_case_reports_accepted_and_rejected_per_hash(client):
    a = sample_hashes.pdq(1)
    body = open_case(
        client,
        [
            {"algorithm": "pdq", "value": a, "quality": 100},
            {"algorithm": "pdq", "value": a, "quality": 100},
            {"algorithm": "pdq", "value": sample_hashes.pdq(2), "quality": 20},
            {"algorithm": "pdq", "value": "0" * 64, "quality": 100},
            {"algorithm": "phash", "value": "xyz", "quality": None},
            {"algorithm": "md5", "value": sample_hashes.md5(1)},
            {"algorithm": "sha256", "value": sample_hashes.sha256(1)},
            {"algorithm": "phash", "value": sample_hashes.phash(1)},
        ],
    )
    assert body["status"] == "active" and body["accepted"] == 4 and body["duplicates"] == 1
    assert re.fullmatch(r"hsc_[0-9A-Z]{5}(-[0-9A-Z]{5}){4}", body["secret"])
    reasons = {r["index"]: r["reason"] for r in body["rejected"]}
    assert set(reasons) == {1, 2, 3, 4}
    assert "duplicate" in reasons[1] and "below 50" in reasons[2]
    assert "degenerate" in reasons[3] and "16 hex characters" in reasons[4]


def test_open_case_with_nothing_acceptable_is_refused_with_reasons(client):
    response = client.post("/v1/cases", json={"hashes": [{"algorithm": "pdq", "value": "00"}]})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert "none of the hashes" in problem["detail"]
    assert problem["rejected"][0]["index"] == 0


def test_get_case_counts_photos_and_hashes(client):
    photo = [
        sample_hashes.pdq_entry(10, photo="beach", variant="original"),
        sample_hashes.pdq_entry(11, photo="beach", variant="mirror"),
        sample_hashes.pdq_entry(12, photo="beach", variant="crop-10"),
    ]
    opened = open_case(client, [*photo, sample_hashes.pdq_entry(13)])
    response = client.get(f"/v1/cases/{opened['case_id']}", headers=bearer(opened["secret"]))
    assert response.status_code == 200
    case = response.json()
    assert case["case_id"] == opened["case_id"] and case["status"] == "active"
    assert case["hash_count"] == 4 and case["photo_count"] == 2
    assert case["matches"] == {"total": 0, "confirmed": 0}
    assert case["created_at"] and case["withdrawn_at"] is None
    # The same photo key in a later request joins the same photo.
    added = client.post(
        f"/v1/cases/{opened['case_id']}/hashes",
        json={"hashes": [sample_hashes.pdq_entry(14, photo="beach", variant="rot90")]},
        headers=bearer(opened["secret"]),
    )
    assert added.status_code == 200 and added.json()["accepted"] == 1
    case = client.get(f"/v1/cases/{opened['case_id']}", headers=bearer(opened["secret"])).json()
    assert case["hash_count"] == 5 and case["photo_count"] == 2


def test_add_hashes_collapses_duplicates_of_stored_ones(client):
    opened = open_case(client, [sample_hashes.pdq_entry(20)])
    response = client.post(
        f"/v1/cases/{opened['case_id']}/hashes",
        json={"hashes": [sample_hashes.pdq_entry(20), sample_hashes.pdq_entry(21)]},
        headers=bearer(opened["secret"]),
    )
    assert response.status_code == 200
    body = response.json()
    assert body["accepted"] == 1 and body["duplicates"] == 1
    assert body["rejected"] == [{"index": 0, "reason": "duplicate of a hash already in this case"}]


def test_secret_typed_by_hand_is_accepted(client):
    opened = open_case(client, [sample_hashes.pdq_entry(30)])
    typed = opened["secret"].lower().replace("-", " ")
    assert client.get(f"/v1/cases/{opened['case_id']}", headers=bearer(typed)).status_code == 200


def test_withdrawal_erases_values_and_stops_matching_before_the_response(
    client, make_key, database
):
    platform = make_key("platform")
    value = sample_hashes.pdq(40)
    opened = open_case(
        client, [sample_hashes.pdq_entry(40), {"algorithm": "md5", "value": sample_hashes.md5(40)}]
    )
    query = {"items": [{"ref": "u", "hashes": [{"algorithm": "pdq", "value": value}]}]}
    assert client.post("/v1/match", json=query, headers=bearer(platform)).json()["results"][0][
        "matched"
    ]

    response = client.delete(f"/v1/cases/{opened['case_id']}", headers=bearer(opened["secret"]))
    assert response.status_code == 200
    assert response.json()["status"] == "withdrawn" and response.json()["withdrawn_at"]
    # The very next request, with no waiting: the hash no longer matches.
    again = client.post("/v1/match", json=query, headers=bearer(platform)).json()
    assert again["results"][0]["matched"] is False
    runtime = client.app.state.runtime
    assert runtime.index.sizes()["pdq"] == 0 and runtime.index.sizes()["md5"] == 0
    with database.transaction(write=False) as session:
        rows = session.execute(text("SELECT value, status FROM hashes")).all()
    assert rows and all(r.value is None and r.status == "withdrawn" for r in rows)
    # The victim still sees the case, as withdrawn; more hashes are refused; DELETE is idempotent.
    case = client.get(f"/v1/cases/{opened['case_id']}", headers=bearer(opened["secret"])).json()
    assert case["status"] == "withdrawn" and case["hash_count"] == 2
    more = client.post(
        f"/v1/cases/{opened['case_id']}/hashes",
        json={"hashes": [sample_hashes.pdq_entry(41)]},
        headers=bearer(opened["secret"]),
    )
    assert more.status_code == 409 and "withdrawn" in more.json()["detail"]
    assert (
        client.delete(
            f"/v1/cases/{opened['case_id']}", headers=bearer(opened["secret"])
        ).status_code
        == 200
    )


def test_audit_log_records_case_actions_without_secrets_or_values(client, database):
    opened = open_case(client, [sample_hashes.pdq_entry(50)])
    client.delete(f"/v1/cases/{opened['case_id']}", headers=bearer(opened["secret"]))
    with database.transaction(write=False) as session:
        rows = session.execute(text("SELECT actor, action, target, details FROM audit_log")).all()
    assert [r.action for r in rows] == ["case.opened", "case.withdrawn"]
    dump = json.dumps([tuple(r) for r in rows])
    assert opened["secret"] not in dump and sample_hashes.pdq(50) not in dump
    assert opened["secret"][4:].replace("-", "") not in dump


def test_the_secret_is_stored_only_as_a_keyed_hash(client, database):
    opened = open_case(client, [sample_hashes.pdq_entry(60)])
    with database.transaction(write=False) as session:
        stored = session.execute(text("SELECT secret_hash FROM cases")).scalar_one()
    assert len(stored) == 32 and opened["secret"].encode() not in stored
