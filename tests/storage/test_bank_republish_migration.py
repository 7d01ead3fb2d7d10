"""The bank-republish revision adds `cases.republish` (issue 17): banks and cases that exist
keep being published as before; going back drops the column and keeps every row."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import inspect, text

from hashstop.storage.database import Database, current_revision, downgrade, upgrade

BEFORE = "b5d7f9a1c324"
WHEN = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _columns(database: Database) -> set[str]:
    with database.transaction(write=False) as session:
        return {c["name"] for c in inspect(session.connection()).get_columns("cases")}


def _rows(database: Database) -> list[tuple[str, str | None]]:
    with database.transaction(write=False) as session:
        return [
            (r.public_id, r.bank)
            for r in session.execute(text("SELECT public_id, bank FROM cases ORDER BY id"))
        ]


def _round_trip(url: str) -> None:
    upgrade(url, BEFORE)
    database = Database(url, pool_size=1)
    try:
        with database.transaction() as session:
            for number, bank in ((1, None), (2, "partner")):
                session.execute(
                    text(
                        "INSERT INTO cases (id, public_id, secret_hash, status, created_at, bank)"
                        " VALUES (:id, :public_id, :secret, 'active', :when, :bank)"
                    ),
                    {
                        "id": number,
                        "public_id": f"c_{number}",
                        "secret": bytes(32),
                        "when": WHEN,
                        "bank": bank,
                    },
                )
                session.execute(
                    text(
                        "INSERT INTO photos (id, case_id, public_id, created_at)"
                        " VALUES (:id, :id, :ref, :when)"
                    ),
                    {"id": number, "ref": f"p_{number}", "when": WHEN},
                )
        assert "republish" not in _columns(database)
        upgrade(url)
        assert "republish" in _columns(database)
        with database.transaction(write=False) as session:
            published = session.execute(text("SELECT bank, republish FROM cases ORDER BY id")).all()
        assert [(bank, bool(on)) for bank, on in published] == [(None, True), ("partner", True)]
        downgrade(url, BEFORE)
        assert current_revision(url) == BEFORE
        assert "republish" not in _columns(database)
        assert _rows(database) == [("c_1", None), ("c_2", "partner")]
        with database.transaction(write=False) as session:
            assert session.execute(text("SELECT COUNT(*) FROM photos")).scalar() == 2
        upgrade(url)
        assert "republish" in _columns(database)
    finally:
        database.dispose()


def test_sqlite_upgrade_downgrade_upgrade_keeps_cases(tmp_path):
    _round_trip(f"sqlite:///{tmp_path / 'old.db'}")


@pytest.mark.postgres
def test_postgresql_upgrade_downgrade_upgrade_keeps_cases(blank_postgres_url):
    _round_trip(blank_postgres_url)
