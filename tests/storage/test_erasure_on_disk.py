"""Attack 11 of issue 12: a withdrawal erases what it erases on disk, not only in queries.

The red team withdrew a case and found its 32-byte PDQ value still in `hashstop.db-wal`
(SQLite) and in PostgreSQL's unique index, with the photo's label, the hashes' qualities and
variant names and the platforms' refs all still stored, and `hashstop.db`, `-wal` and `-shm`
created 0644. Here the same steps run against real files: SQLite's three files are searched
byte by byte after the withdrawal; on PostgreSQL the table's and every index's files are read
(`pg_read_binary_file`) after the maintenance docs/operators.md documents.
"""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.pool import QueuePool

from hashstop.app import create_app
from hashstop.storage.database import Database, upgrade
from hashstop.storage.models import Hash, MatchRecord, Photo
from tests import sample_hashes
from tests.service_fixtures import bearer, make_settings, running_client, wait_ready

LABEL = "beach-holiday-label-7f3a"
REF = "upload-ref-of-platform-91c2"
# The maintenance docs/operators.md documents for PostgreSQL after withdrawals.
PG_MAINTENANCE = ("VACUUM FULL hashes, photos, match_records", "CHECKPOINT")


def _withdraw_after_a_match(client, make_platform_key) -> tuple[bytes, str]:
    """Open a case (a labelled photo), match it, withdraw it; (the PDQ value, case id)."""
    value = sample_hashes.pdq(7)
    entry = {"algorithm": "pdq", "value": value, "quality": 87, "photo": LABEL, "variant": "crop5"}
    opened = client.post("/v1/cases", json={"hashes": [entry]})
    assert opened.status_code == 201, opened.text
    case = opened.json()
    platform = bearer(make_platform_key())
    query = {"items": [{"ref": REF, "hashes": [{"algorithm": "pdq", "value": value}]}]}
    matched = client.post("/v1/match", json=query, headers=platform)
    assert matched.json()["results"][0]["matched"], matched.text
    withdrawn = client.delete(f"/v1/cases/{case['case_id']}", headers=bearer(case["secret"]))
    assert withdrawn.status_code == 200, withdrawn.text
    return bytes.fromhex(value), case["case_id"]


def _rows_hold_nothing(database: Database) -> None:
    with database.transaction(write=False) as session:
        hashes = session.query(Hash).all()
        assert hashes and all(h.value is None and h.quality is None for h in hashes)
        assert all(h.variant == "erased" for h in hashes)
        assert all(p.client_key is None for p in session.query(Photo).all())
        records = session.query(MatchRecord).all()
        assert records and all(r.ref == "erased" for r in records)  # the records stay


def _make_key(settings, role="platform"):
    from hashstop.service.keys import KeyService
    from hashstop.service.tokens import Keyring

    database = Database(settings.database_url, pool_size=1)
    try:
        with database.transaction() as session:
            return (
                KeyService(session, Keyring(settings.secret_key_bytes))
                .create(name=f"{role}-{os.urandom(3).hex()}", role=role, platform="acme")
                .token
            )
    finally:
        database.dispose()


def _pg_files_holding(connection, needles: tuple[bytes, ...]) -> list[tuple[str, int]]:
    """(relation, needle index) for each of `needles` found in the files of the tables
    `hashes`, `photos` and `match_records` or of any of their indexes."""
    relations = connection.execute(
        text(
            "SELECT c.relname, pg_relation_filepath(c.oid) FROM pg_class c "
            "WHERE c.oid IN (SELECT indexrelid FROM pg_index WHERE indrelid IN "
            "('hashes'::regclass, 'photos'::regclass, 'match_records'::regclass)) "
            "OR c.oid IN ('hashes'::regclass, 'photos'::regclass, 'match_records'::regclass)"
        )
    ).all()
    assert len(relations) >= 6, relations
    found = []
    for name, path in relations:
        data = bytes(
            connection.execute(text("SELECT pg_read_binary_file(:p)"), {"p": path}).scalar_one()
        )
        found += [(name, i) for i, needle in enumerate(needles) if needle in data]
    return found


def test_sqlite_files_are_private_and_hold_no_withdrawn_value(tmp_path: Path):
    db = tmp_path / "hashstop.db"
    url = f"sqlite:///{db}"
    upgrade(url)
    settings = make_settings(url)
    files = [db, db.with_name("hashstop.db-wal"), db.with_name("hashstop.db-shm")]
    with running_client(create_app(settings)) as client:
        wait_ready(client)
        value, _ = _withdraw_after_a_match(client, lambda: _make_key(settings))
        # While the service runs (its connections open), after the withdrawal's commit.
        for path in files:
            if path.exists():
                assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
        found = {p.name: p.read_bytes() for p in files if p.exists()}
        for name, data in found.items():
            assert value not in data, f"the withdrawn value is still in {name}"
            assert LABEL.encode() not in data, f"the photo's label is still in {name}"
            assert REF.encode() not in data, f"the platform's ref is still in {name}"
        database = Database(url, pool_size=1)
        try:
            _rows_hold_nothing(database)
        finally:
            database.dispose()
    assert stat.S_IMODE(db.stat().st_mode) == 0o600


def test_the_attack_finds_the_value_before_the_withdrawal(tmp_path: Path):
    """The search above can see a value: before a withdrawal it is in the files."""
    db = tmp_path / "hashstop.db"
    url = f"sqlite:///{db}"
    upgrade(url)
    with running_client(create_app(make_settings(url))) as client:
        wait_ready(client)
        value = sample_hashes.pdq(8)
        opened = client.post("/v1/cases", json={"hashes": [sample_hashes.pdq_entry(8)]})
        assert opened.status_code == 201
        data = b"".join(p.read_bytes() for p in (db, db.with_name("hashstop.db-wal")) if p.exists())
        assert bytes.fromhex(value) in data


def test_existing_sqlite_files_are_made_private(tmp_path: Path):
    db = tmp_path / "hashstop.db"
    url = f"sqlite:///{db}"
    upgrade(url)
    db.chmod(0o644)
    Database(url, pool_size=1).dispose()
    assert stat.S_IMODE(db.stat().st_mode) == 0o600


@pytest.mark.postgres
def test_postgresql_holds_no_withdrawn_value_in_any_index_after_maintenance(postgres_url):
    if postgres_url is None:
        from tests.conftest import skip_or_fail

        skip_or_fail("PostgreSQL is not reachable")
        return
    from tests.service_fixtures import empty_database

    empty_database(postgres_url)
    settings = make_settings(postgres_url)
    database = Database(postgres_url, pool_size=1)
    try:
        with running_client(create_app(settings)) as client:
            wait_ready(client)
            value, _ = _withdraw_after_a_match(client, lambda: _make_key(settings))
        _rows_hold_nothing(database)
        autocommit = database.engine.execution_options(isolation_level="AUTOCOMMIT")
        with autocommit.connect() as connection:
            # The red team's finding: without the maintenance the withdrawn value is still in
            # the files (the unique index keeps the old entry until a vacuum).
            connection.execute(text("CHECKPOINT"))
            before = _pg_files_holding(connection, (value,))
            assert before, "the search must see the value before the maintenance"
            # VACUUM FULL keeps old row versions that a transaction still open anywhere on the
            # server might see (other tests run beside this one); the documented maintenance
            # says to run it again then, as this does.
            for _attempt in range(30):
                for statement in PG_MAINTENANCE:
                    connection.execute(text(statement))
                holding = _pg_files_holding(connection, (value, LABEL.encode(), REF.encode()))
                if not holding:
                    break
                time.sleep(1)
            assert not holding, f"still on disk after the maintenance: {holding}"
    finally:
        database.dispose()


def test_the_checkpoint_after_an_erasure_needs_no_connection_of_the_pool(tmp_path):
    """Every pooled connection busy (concurrent requests each holding one): a withdrawal's
    commit used to wait for one more for its checkpoint, time out and answer 500 after its
    data was committed. The checkpoint now has a connection of its own."""
    from hashstop.storage.database import ERASED

    url = f"sqlite:///{tmp_path / 'hashstop.db'}"
    upgrade(url)
    database = Database(url)
    pool = database.engine.pool
    assert isinstance(pool, QueuePool)
    held = []
    try:
        with database.transaction() as session:
            session.execute(text("CREATE TABLE scratch (v BLOB)"))
            session.execute(text("INSERT INTO scratch VALUES (randomblob(4096))"))
            session.info[ERASED] = True
            # The rest of the pool taken by other requests (size and overflow, minus ours).
            limit = pool.size() + pool._max_overflow
            held = [database.engine.connect() for _ in range(limit - 1)]
            assert pool.checkedout() == limit
        wal = tmp_path / "hashstop.db-wal"
        assert not wal.exists() or wal.stat().st_size == 0
        assert not database._pending_checkpoint
    finally:
        for connection in held:
            connection.close()
        database.dispose()
