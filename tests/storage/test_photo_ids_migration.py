"""The photo-public-ids revision gives every existing photo a reference of its own, keeps every
hash (SQLite must not rebuild `photos`: that would cascade-delete the hashes), and goes back."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from hashstop.storage.database import Database, downgrade, upgrade

BEFORE = "984952c131d0"
WHEN = datetime(2026, 5, 1, 12, 30, tzinfo=UTC)


def _seed_and_upgrade(url: str) -> None:
    upgrade(url, BEFORE)
    database = Database(url, pool_size=1)
    try:
        with database.transaction() as session:
            session.execute(
                text(
                    "INSERT INTO cases (id, public_id, secret_hash, status, created_at) "
                    "VALUES (1, 'c1', :blob, 'active', :when)"
                ),
                {"blob": b"\x01" * 32, "when": WHEN},
            )
            for photo in (1, 2, 3):
                session.execute(
                    text(
                        "INSERT INTO photos (id, case_id, client_key, created_at) "
                        "VALUES (:id, 1, :key, :when)"
                    ),
                    {"id": photo, "key": f"key-{photo}", "when": WHEN},
                )
                session.execute(
                    text(
                        "INSERT INTO hashes (id, case_id, photo_id, algorithm, value, variant, "
                        "status, created_at, updated_at) VALUES (:id, 1, :id, 'md5', :blob, "
                        "'original', 'active', :when, :when)"
                    ),
                    {"id": photo, "blob": bytes([photo]) * 16, "when": WHEN},
                )
        upgrade(url)
        with database.transaction(write=False) as session:
            refs = session.execute(text("SELECT public_id FROM photos ORDER BY id")).scalars().all()
            hashes = session.execute(text("SELECT count(*) FROM hashes")).scalar_one()
        assert hashes == 3
        assert len(set(refs)) == 3 and all(re.fullmatch(r"p_[0-9a-f]{16}", r) for r in refs)
        assert not any("key" in r for r in refs)
        with database.transaction() as session, pytest.raises(Exception, match="(?i)unique"):
            session.execute(text("UPDATE photos SET public_id = :ref"), {"ref": refs[0]})
        downgrade(url, BEFORE)
        with database.transaction(write=False) as session:
            assert session.execute(text("SELECT count(*) FROM hashes")).scalar_one() == 3
        upgrade(url)
    finally:
        database.dispose()


def test_sqlite_upgrade_with_photos(tmp_path):
    _seed_and_upgrade(f"sqlite:///{tmp_path / 'old.db'}")


@pytest.mark.postgres
def test_postgresql_upgrade_with_photos(blank_postgres_url):
    _seed_and_upgrade(blank_postgres_url)
