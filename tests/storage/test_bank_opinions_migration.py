"""The bank-opinions revision adds the queue of verdicts for subscribed banks' exchanges
beside subscriptions that already exist, and goes back leaving them as they were."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import inspect, text

from hashstop.storage.database import Database, current_revision, downgrade, upgrade

BEFORE = "a4c6e8f0b213"
WHEN = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _tables(database: Database) -> set[str]:
    with database.transaction(write=False) as session:
        return set(inspect(session.connection()).get_table_names())


def _round_trip(url: str) -> None:
    upgrade(url, BEFORE)
    database = Database(url, pool_size=1)
    try:
        with database.transaction() as session:
            session.execute(
                text(
                    "INSERT INTO subscriptions (id, bank, api, collab, checkpoint, created_at, "
                    "updated_at) VALUES (1, 'stopncii', 'stop_ncii', '{}', NULL, :when, :when)"
                ),
                {"when": WHEN},
            )
        assert "bank_opinions" not in _tables(database)
        upgrade(url)
        assert "bank_opinions" in _tables(database)
        with database.transaction(write=False) as session:
            assert session.execute(text("SELECT COUNT(*) FROM bank_opinions")).scalar() == 0
        downgrade(url, BEFORE)
        assert current_revision(url) == BEFORE
        assert "bank_opinions" not in _tables(database)
        with database.transaction(write=False) as session:
            assert session.execute(text("SELECT bank FROM subscriptions")).scalars().all() == [
                "stopncii"
            ]
        upgrade(url)
        assert "bank_opinions" in _tables(database)
    finally:
        database.dispose()


def test_sqlite_upgrade_downgrade_upgrade_keeps_subscriptions(tmp_path):
    _round_trip(f"sqlite:///{tmp_path / 'old.db'}")


@pytest.mark.postgres
def test_postgresql_upgrade_downgrade_upgrade_keeps_subscriptions(blank_postgres_url):
    _round_trip(blank_postgres_url)
