"""Idempotent case opening: one case per Idempotency-Key, the same secret on a replay."""

from __future__ import annotations

import json
import logging
import secrets

import pytest
from sqlalchemy import text

from tests import sample_hashes
from tests.service_fixtures import bearer

BODY = {
    "hashes": [
        sample_hashes.pdq_entry(1, photo="p1"),
        {"algorithm": "md5", "value": sample_hashes.md5(1), "photo": "p1"},
        sample_hashes.pdq_entry(1, photo="p1"),  # a duplicate, so the counts are not trivial
        {"algorithm": "pdq", "value": sample_hashes.pdq(2), "quality": 10},  # refused
    ]
}


def post(client, body, key=None):
    headers = {} if key is None else {"Idempotency-Key": key}
    return client.post("/v1/cases", json=body, headers=headers)


def count(database, table):
    with database.transaction(write=False) as session:
        return session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()  # noqa: S608


def test_a_replay_answers_with_the_same_case_and_secret_and_opens_nothing(client, database, caplog):
    caplog.set_level(logging.DEBUG)
    key = secrets.token_urlsafe(32)
    first = post(client, BODY, key)
    assert first.status_code == 201, first.text
    assert "Idempotent-Replayed" not in first.headers
    again = post(client, BODY, key)
    assert again.status_code == 200, again.text
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert first.json()["accepted"] == 2 and first.json()["duplicates"] == 1
    assert count(database, "cases") == 1 and count(database, "hashes") == 2
    # The replayed secret is the case's secret.
    opened = first.json()
    case = client.get(f"/v1/cases/{opened['case_id']}", headers=bearer(opened["secret"]))
    assert case.status_code == 200 and case.json()["hash_count"] == 2
    assert key not in caplog.text and first.json()["secret"] not in caplog.text


def test_the_same_key_with_another_body_is_refused_and_opens_nothing(client, database):
    key = secrets.token_urlsafe(32)
    assert post(client, BODY, key).status_code == 201
    other = {"hashes": [sample_hashes.pdq_entry(3)]}
    refused = post(client, other, key)
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    assert "different submission" in refused.json()["detail"]
    reordered = {"hashes": list(reversed(BODY["hashes"]))}
    assert post(client, reordered, key).status_code == 422
    assert count(database, "cases") == 1


@pytest.mark.parametrize(
    "key",
    [
        "short",
        "A" * 43,  # the encoding of 32 zero bytes
        "abcdefgh" * 5 + "abc",  # a pattern: 8 different characters
        # Fixed values, not drawn at collection: parallel workers must collect the same tests.
        "3f2b9c1e-7a4d-4e8b-9f60-2c5d8e1a7b34",  # a UUID
        "q7Vd2LxP9mKc4RtZ8wHn3BfJ6sYg1EoU5aTi0NlWkQe" + "x",  # 44 characters
        "9c4e7a1f3b8d2e6c5a0f7b1d4e8c2a6f",  # 32 hex digits: not the format
        "q7Vd2LxP9mKc4RtZ8wHn3BfJ6sYg1EoU5aTi0NlWk" + "=",
    ],
    ids=["short", "zeros", "pattern", "uuid", "too-long", "hex", "padding"],
)
def test_weak_or_malformed_keys_are_refused_with_422(client, database, key):
    refused = post(client, BODY, key)
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert "Idempotency-Key" in refused.json()["detail"]
    assert count(database, "cases") == 0


def test_a_key_older_than_the_window_is_refused_and_opens_nothing(client, database):
    key = secrets.token_urlsafe(32)
    opened = post(client, BODY, key).json()
    with database.transaction() as session:
        session.execute(
            text("UPDATE idempotency_keys SET created_at = :t"),
            {"t": "2000-01-01 00:00:00+00:00"},
        )
    refused = post(client, BODY, key)
    assert refused.status_code == 422 and "24 hours" in refused.json()["detail"]
    assert "secret" not in refused.json() and opened["secret"] not in refused.text
    assert count(database, "cases") == 1


def test_without_the_header_every_request_opens_a_case_with_a_random_secret(client, database):
    a, b = post(client, BODY).json(), post(client, BODY).json()
    assert a["case_id"] != b["case_id"] and a["secret"] != b["secret"]
    assert count(database, "cases") == 2 and count(database, "idempotency_keys") == 0


def test_different_keys_open_different_cases_with_different_secrets(client, database):
    a = post(client, BODY, secrets.token_urlsafe(32)).json()
    b = post(client, BODY, secrets.token_urlsafe(32)).json()
    assert a["case_id"] != b["case_id"] and a["secret"] != b["secret"]
    assert client.get(f"/v1/cases/{a['case_id']}", headers=bearer(b["secret"])).status_code == 404


def test_a_request_with_nothing_acceptable_remembers_nothing(client, database):
    key = secrets.token_urlsafe(32)
    body = {"hashes": [{"algorithm": "pdq", "value": sample_hashes.pdq(4), "quality": 5}]}
    assert post(client, body, key).status_code == 422
    assert count(database, "idempotency_keys") == 0
    assert post(client, BODY, key).status_code == 201  # the key was never used


def test_a_replay_after_withdrawal_shows_the_withdrawn_case(client):
    key = secrets.token_urlsafe(32)
    opened = post(client, BODY, key).json()
    client.delete(f"/v1/cases/{opened['case_id']}", headers=bearer(opened["secret"]))
    again = post(client, BODY, key)
    assert again.status_code == 200
    assert again.json()["case_id"] == opened["case_id"] and again.json()["status"] == "withdrawn"


def test_only_keyed_hashes_are_stored_and_the_audit_log_names_no_key(client, database):
    key = secrets.token_urlsafe(32)
    opened = post(client, BODY, key).json()
    post(client, BODY, key)
    with database.transaction(write=False) as session:
        row = session.execute(text("SELECT key_hash, request_hash FROM idempotency_keys")).one()
        audit = session.execute(text("SELECT action, details FROM audit_log ORDER BY id")).all()
    assert len(row.key_hash) == 32 and key.encode() not in row.key_hash
    assert [a.action for a in audit] == ["case.opened", "case.open_replayed"]
    assert json.loads(audit[0].details) == {"hashes": 2, "idempotent": True}
    dump = json.dumps([tuple(a) for a in audit])
    assert key not in dump and opened["secret"] not in dump
