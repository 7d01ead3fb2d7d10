"""The packaged Alembic migrations build exactly the schema the models describe, both ways."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from hashstop.storage.database import (
    Database,
    current_revision,
    downgrade,
    head_revision,
    make_engine,
    upgrade,
)
from hashstop.storage.models import Base


def test_migrated_schema_equals_the_models(database_url):
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()
    assert current_revision(database_url) == head_revision()


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return set(inspect(conn).get_table_names())
    finally:
        engine.dispose()


def _round_trip(url: str) -> None:
    assert current_revision(url) is None
    upgrade(url)
    assert {"cases", "photos", "hashes", "hash_changes", "api_keys"} <= _tables(url)
    downgrade(url, "base")
    assert _tables(url) <= {"alembic_version"}
    upgrade(url)
    assert current_revision(url) == head_revision()


def test_sqlite_upgrade_downgrade_upgrade(tmp_path):
    _round_trip(f"sqlite:///{tmp_path / 'fresh.db'}")


@pytest.mark.postgres
def test_postgresql_upgrade_downgrade_upgrade(blank_postgres_url):
    _round_trip(blank_postgres_url)


def test_revision_files_carry_their_date():
    from pathlib import Path

    import hashstop.storage.migrations.versions as versions

    names = [p.name for p in Path(versions.__file__).parent.glob("*.py") if p.name[0].isdigit()]
    assert names
    for name in names:
        year, month, day = name[:10].split("_")
        assert len(year) == 4 and len(month) == 2 and len(day) == 2, name


def test_sqlite_runs_in_wal_with_foreign_keys_and_busy_timeout(tmp_path):
    url = f"sqlite:///{tmp_path / 'p.db'}"
    upgrade(url)
    database = Database(url)
    try:
        with database.transaction(write=False) as session:
            assert session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert session.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert (session.execute(text("PRAGMA busy_timeout")).scalar() or 0) >= 1000
    finally:
        database.dispose()
