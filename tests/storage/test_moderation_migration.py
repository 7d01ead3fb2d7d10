"""The moderation revision upgrades a database that already holds matches and feedback."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from hashstop.storage.database import Database, downgrade, upgrade

BEFORE = "1cbd2edc739b"
WHEN = datetime(2026, 5, 1, 12, 30, tzinfo=UTC)


def _seed_and_upgrade(url: str) -> None:
    upgrade(url, BEFORE)
    database = Database(url, pool_size=1)
    try:
        with database.transaction() as session:
            for statement in (
                "INSERT INTO cases (id, public_id, secret_hash, status, created_at) "
                "VALUES (1, 'c1', :blob, 'active', :when)",
                "INSERT INTO photos (id, case_id, created_at) VALUES (1, 1, :when)",
                "INSERT INTO hashes (id, case_id, photo_id, algorithm, value, variant, status, "
                "created_at, updated_at) VALUES (1, 1, 1, 'md5', :blob, 'original', 'active', "
                ":when, :when)",
                "INSERT INTO api_keys (id, name, role, platform, token_hash, created_at) "
                "VALUES (1, 'k', 'platform', 'p', :blob, :when)",
                "INSERT INTO match_records (id, public_id, api_key_id, platform, ref, status, "
                "created_at, updated_at) VALUES (1, 'm_1', 1, 'p', 'r', 'confirmed', :when, :when)",
                "INSERT INTO match_hits (match_id, hash_id, algorithm, distance) "
                "VALUES (1, 1, 'md5', 0)",
                "INSERT INTO feedback (id, match_id, verdict, action, api_key_id, created_at) "
                "VALUES (1, 1, 'confirmed', 'removed', 1, :when)",
            ):
                session.execute(text(statement), {"blob": b"\x01" * 16, "when": WHEN})
        upgrade(url)
        with database.transaction(write=False) as session:
            hit_time = session.execute(text("SELECT created_at FROM match_hits")).scalar_one()
            applied = session.execute(text("SELECT applied FROM feedback")).scalar_one()
            decided = session.execute(text("SELECT decided_by FROM match_records")).scalar_one()
        if isinstance(hit_time, datetime):  # PostgreSQL: an aware datetime
            assert hit_time == WHEN
        else:  # SQLite: the UTC timestamp as text
            assert str(hit_time).startswith("2026-05-01 12:30")
        assert bool(applied) is True and decided is None
        downgrade(url, BEFORE)
        upgrade(url)
    finally:
        database.dispose()


def test_sqlite_upgrade_with_data(tmp_path):
    _seed_and_upgrade(f"sqlite:///{tmp_path / 'old.db'}")


@pytest.mark.postgres
def test_postgresql_upgrade_with_data(blank_postgres_url):
    _seed_and_upgrade(blank_postgres_url)
