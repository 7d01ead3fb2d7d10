"""The hash-list-batches revision turns the change log as it was into batches that keep their
order (so a cursor a platform held before the upgrade stays exact), and goes back."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from hashstop.service.hashlist import hash_list_page
from hashstop.service.tokens import Keyring
from hashstop.storage.database import Database, downgrade, upgrade

BEFORE = "5b1e7c2d9a40"
WHEN = datetime(2026, 11, 1, 12, 30, tzinfo=UTC)


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
            session.execute(
                text(
                    "INSERT INTO photos (id, case_id, public_id, client_key, created_at) "
                    "VALUES (1, 1, 'p_0000000000000001', 'k', :when)"
                ),
                {"when": WHEN},
            )
            for i in range(1, 8):
                session.execute(
                    text(
                        "INSERT INTO hashes (id, case_id, photo_id, algorithm, value, variant, "
                        "status, created_at, updated_at) VALUES (:id, 1, 1, 'md5', :blob, "
                        "'original', 'active', :when, :when)"
                    ),
                    {"id": i, "blob": bytes([i]) * 16, "when": WHEN},
                )
                session.execute(
                    text(
                        "INSERT INTO hash_changes (seq, hash_id, algorithm, kind, created_at) "
                        "VALUES (:id, :id, 'md5', 'added', :when)"
                    ),
                    {"id": i, "when": WHEN},
                )
        upgrade(url)
        keyring = Keyring(b"k" * 40)
        with database.transaction(write=False) as session:
            batches = session.execute(
                text("SELECT end_seq, cases FROM hashlist_batches ORDER BY end_seq")
            ).all()
            assert [tuple(b) for b in batches] == [(7, -1)]
            # a platform that had read up to seq 3 before the upgrade gets exactly 4..7
            page = hash_list_page(session, 3, 100, 1000, keyring)
            assert [e.seq for e in page.entries] == [4, 5, 6, 7]
            assert [e.hash_id for e in page.entries] == [4, 5, 6, 7]
        downgrade(url, BEFORE)
        upgrade(url)
    finally:
        database.dispose()


def test_sqlite_upgrade_keeps_cursors_exact(tmp_path):
    _seed_and_upgrade(f"sqlite:///{tmp_path / 'old.db'}")


@pytest.mark.postgres
def test_postgresql_upgrade_keeps_cursors_exact(blank_postgres_url):
    _seed_and_upgrade(blank_postgres_url)
