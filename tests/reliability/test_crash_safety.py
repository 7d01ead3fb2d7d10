"""Crash safety: SIGKILL of the whole server in the middle of a burst of writes loses nothing it
acknowledged and leaves nothing half-written, on SQLite (WAL) and PostgreSQL.

A real `hashstop serve --workers 2` process; the kill reaches the supervisor and both workers
while requests are in flight: each round must have had at least one request cut off by the
kill (a transport error), or it did not test a crash mid-request. After the restart every
worker must answer /readyz (two distinct workers) with an index the size of the database's
matchable set. That is a comparison of sizes, not of the sets of ids (the workers do not
expose their ids); the sets are checked through matching: every acknowledged case's hashes
match their own ids, and no withdrawn one matches. The bigger run is `benchmarks/crash.py`.
"""

from __future__ import annotations

import pytest

from tests.reliability.crash import run_scenario


def assert_round_ok(rounds, log_text):
    for r in rounds:
        print(r.report())  # noqa: T201 - the figures, shown with pytest -s
        assert r.burst.refused == 0, (r.label, r.burst.statuses)
        assert r.burst.acknowledged or r.burst.withdrawn, r.label
        assert r.burst.cut_off > 0, (r.label, "the kill interrupted no request")
        assert r.check.ok, (r.label, r.check.summary(), log_text[-2000:])
    assert "Traceback" not in log_text


@pytest.mark.slow
def test_sigkill_during_writes_on_sqlite(tmp_path):
    url = f"sqlite:///{tmp_path / 'hashstop.db'}"
    rounds = run_scenario(url, tmp_path, n_cases=200, kill_after=40, seed=11)
    assert_round_ok(rounds, (tmp_path / "server.log").read_text())


@pytest.mark.slow
@pytest.mark.postgres
def test_sigkill_during_writes_on_postgresql(tmp_path, blank_postgres_url):
    rounds = run_scenario(blank_postgres_url, tmp_path, n_cases=200, kill_after=40, seed=12)
    assert_round_ok(rounds, (tmp_path / "server.log").read_text())


def test_the_invariants_catch_half_written_data(database_url, client):
    """Each rule finds what it is about (so a clean result after a crash means something)."""
    from sqlalchemy import text

    from hashstop.storage.database import Database
    from tests import sample_hashes
    from tests.reliability.invariants import violations

    for seed in (1, 2, 3):
        opened = client.post("/v1/cases", json={"hashes": [sample_hashes.pdq_entry(seed)]})
        assert opened.status_code == 201
    assert violations(database_url) == {}
    database = Database(database_url, pool_size=1)
    try:
        with database.transaction() as session:
            session.execute(
                text(
                    "INSERT INTO cases (public_id, secret_hash, status, created_at) "
                    "VALUES ('halfwritten', :h, 'active', CURRENT_TIMESTAMP)"
                ),
                {"h": b"\0" * 32},
            )
            session.execute(text("DELETE FROM hash_changes WHERE seq = 2"))
            session.execute(
                text(
                    "UPDATE hashes SET status = 'withdrawn' WHERE id = (SELECT min(id) FROM hashes)"
                )
            )
    finally:
        database.dispose()
    broken = violations(database_url)
    assert set(broken) == {
        "case without hashes",
        "case without its audit entry",
        "hash without its change-log entry",
        "hole in the change-log seq",
        "hash status without its latest change",
        "withdrawn hash with a value",
        "active case with a withdrawn hash",
    }, broken


def test_the_other_two_invariants_fire(database_url, client):
    """The two rules the test above does not break: a photo left without hashes, and a case
    withdrawn while its hashes stay live."""
    from sqlalchemy import text

    from hashstop.storage.database import Database
    from tests import sample_hashes
    from tests.reliability.invariants import violations

    for seed in (4, 5):
        opened = client.post("/v1/cases", json={"hashes": [sample_hashes.pdq_entry(seed)]})
        assert opened.status_code == 201
    assert violations(database_url) == {}
    database = Database(database_url, pool_size=1)
    try:
        with database.transaction() as session:
            session.execute(
                text(
                    "INSERT INTO photos (case_id, created_at) "
                    "SELECT min(id), CURRENT_TIMESTAMP FROM cases"
                )
            )
            session.execute(
                text("UPDATE cases SET status = 'withdrawn' WHERE id = (SELECT max(id) FROM cases)")
            )
    finally:
        database.dispose()
    assert set(violations(database_url)) == {
        "photo without hashes",
        "withdrawn case with a live hash",
    }
