"""Crash safety: SIGKILL of the whole server in the middle of a burst of writes loses nothing it
acknowledged and leaves nothing half-written, on SQLite (WAL) and PostgreSQL.

A real `hashstop serve --workers 2` process; the kill reaches the supervisor and both workers
while requests are in flight. The bigger run is `benchmarks/crash.py`.
"""

from __future__ import annotations

import pytest

from tests.conftest import skip_or_fail
from tests.reliability.crash import run_scenario
from tests.service_fixtures import PG_HOST, PG_PORT, pg_create_database, pg_drop_database


def assert_round_ok(rounds, log_text):
    for r in rounds:
        print(r.report())  # noqa: T201 - the figures, shown with pytest -s
        assert r.burst.refused == 0, (r.label, r.burst.statuses)
        assert r.burst.acknowledged or r.burst.withdrawn, r.label
        assert r.check.ok, (r.label, r.check.summary(), log_text[-2000:])
    assert "Traceback" not in log_text


@pytest.mark.slow
def test_sigkill_during_writes_on_sqlite(tmp_path):
    url = f"sqlite:///{tmp_path / 'hashstop.db'}"
    rounds = run_scenario(url, tmp_path, n_cases=200, kill_after=40, seed=11)
    assert_round_ok(rounds, (tmp_path / "server.log").read_text())


@pytest.mark.slow
@pytest.mark.postgres
def test_sigkill_during_writes_on_postgresql(tmp_path):
    created = pg_create_database()
    if created is None:
        skip_or_fail(f"PostgreSQL is not reachable on {PG_HOST}:{PG_PORT}")
        return
    url, name = created
    try:
        rounds = run_scenario(url, tmp_path, n_cases=200, kill_after=40, seed=12)
    finally:
        pg_drop_database(name)
    assert_round_ok(rounds, (tmp_path / "server.log").read_text())
