"""Withdrawn values kept for the StopNCII-shaped feed: which, for how long, and none at 0."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from hashstop.app import create_app
from hashstop.service.stopncii import purge_expired
from hashstop.storage.models import Hash, Retraction, utcnow
from tests import sample_hashes
from tests.service_fixtures import bearer, make_settings, running_client, wait_ready

ENTRIES = [
    sample_hashes.pdq_entry(1),
    {"algorithm": "md5", "value": sample_hashes.md5(1)},
    {"algorithm": "phash", "value": sample_hashes.phash(1)},
]


def withdraw_one(settings) -> None:
    with running_client(create_app(settings)) as client:
        wait_ready(client)
        case = client.post("/v1/cases", json={"hashes": ENTRIES}).json()
        answer = client.delete(f"/v1/cases/{case['case_id']}", headers=bearer(case["secret"]))
        assert answer.status_code == 200


def test_a_withdrawal_keeps_pdq_and_md5_values_until_they_expire(database_url, database):
    withdraw_one(make_settings(database_url, retraction_days=30))  # an operator who opted in
    with database.transaction() as session:
        kept = {(r.algorithm, r.value.hex()) for r in session.scalars(select(Retraction))}
        assert kept == {("pdq", sample_hashes.pdq(1)), ("md5", sample_hashes.md5(1))}
        # The hashes themselves are erased as always.
        assert session.scalars(select(Hash.value)).all() == [None, None, None]
        assert purge_expired(session, 30, now=utcnow() + timedelta(days=29)) == 0
        assert purge_expired(session, 30, now=utcnow() + timedelta(days=31)) == 2
        assert session.scalars(select(Retraction)).all() == []


@pytest.mark.parametrize("days", [0, None])
def test_none_are_kept_at_zero_days_the_default(database_url, database, days):
    overrides = {} if days is None else {"retraction_days": days}
    withdraw_one(make_settings(database_url, **overrides))
    with database.transaction() as session:
        assert session.scalars(select(Retraction)).all() == []
