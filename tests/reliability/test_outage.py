"""Database outage: PostgreSQL stopped under traffic, then started again.

The service answers 503 problem+json with Retry-After (never 500) to what needs the database,
/readyz goes red on every worker, matching goes on from the in-memory index (a stored hash still
matches; its record is written when the database is back), and the service recovers by itself:
no restart, every worker ready again, writes accepted, the index following the log again.

The test makes its own PostgreSQL cluster (it must not stop the machine's shared one).
`benchmarks/outage.py` runs the same scenario and prints the figures.
"""

from __future__ import annotations

import pytest

from tests.conftest import skip_or_fail
from tests.reliability.outage import run_outage
from tests.reliability.private_postgres import postgres_bin


@pytest.mark.slow
@pytest.mark.postgres
def test_the_service_rides_out_a_database_outage(tmp_path):
    if postgres_bin() is None:
        skip_or_fail("initdb and pg_ctl are not installed (/usr/lib/postgresql/*/bin)")
        return
    report = run_outage(tmp_path, workers=2, down_seconds=4.0)
    summary = report.summary()
    print(report.json())  # noqa: T201 - the figures, shown with pytest -s
    log = (tmp_path / "server.log").read_text()
    assert report.faults() == [], summary
    assert "Traceback" not in log, log[-3000:]
    down = report.during(report.stopped_at, report.started_at)
    # While the database was away: writes and reads of the database were refused with 503 ...
    assert any(a.op == "open-case" and a.status == 503 for a in down), summary
    assert any(a.op == "hashlist" and a.status == 503 for a in down), summary
    # ... while stored hashes kept matching from memory,
    assert any(a.op == "match-known" and a.matched for a in down), summary
    # every worker's /readyz went red,
    assert len(report.red_after) == 2, summary
    # and the service came back by itself, with every deferred match record written.
    assert report.recovered_after is not None, summary
    assert report.deferred_checked > 0 and report.deferred_unreadable == [], summary
    assert report.new_case_matches_everywhere, summary
