"""Fixtures of the service tests: both databases, migrated by Alembic, and running apps.

Every test that takes `database_url` runs twice: on a SQLite file and on the machine's real
PostgreSQL. Each database is created once per run (PostgreSQL: a throwaway database made through
the `postgres` or `root` user on 127.0.0.1:5432 and dropped at the end), migrated with the
packaged Alembic scripts, and emptied before each test. No `create_all`, no mocks.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

from hashstop.app import create_app
from hashstop.config import Settings
from hashstop.service.keys import KeyService
from hashstop.service.tokens import Keyring
from hashstop.storage.database import Database, upgrade
from hashstop.storage.models import Base
from tests.conftest import skip_or_fail

PG_HOST = "127.0.0.1"
PG_PORT = 5432
TEST_SECRET_KEY = "test-only-Xq3vR8mZ2pL9wT4kB7nF1sD6hJ0cY5gA"
# The operations token of the test apps: /metrics and the detailed /readyz need it (issue 12).
TEST_OPERATIONS_TOKEN = "test-ops-Kd7Xv2Qm9Rw4Zt8Lc3Hn6Bj1Fy5Gs0Pa"
OPERATOR = {"Authorization": f"Bearer {TEST_OPERATIONS_TOKEN}"}


def _tables() -> list[str]:
    """Every table of the schema, children before parents (the order a DELETE needs).

    Read from the models, so a table added by a migration is emptied without touching this file.
    """
    return [table.name for table in reversed(Base.metadata.sorted_tables)]


TABLES = tuple(_tables())


def _pg_admin() -> tuple[Any, str] | None:
    """An autocommit admin connection to the machine's PostgreSQL and its user, or None."""
    import psycopg

    for user in ("postgres", "root"):
        for dbname in ("postgres", "root", "test"):
            try:
                conn = psycopg.connect(
                    host=PG_HOST,
                    port=PG_PORT,
                    user=user,
                    dbname=dbname,
                    connect_timeout=3,
                    autocommit=True,
                )
            except psycopg.Error:
                continue
            return conn, user
    return None


def pg_create_database() -> tuple[str, str] | None:
    """Create an empty throwaway database; return (its URL, its name) or None if unreachable.

    Its commits do not wait for the WAL to reach the disk (`synchronous_commit = off`): a killed
    client or server process loses nothing committed, only a crash of PostgreSQL itself could, and
    a test database is thrown away anyway. Every commit of a test is then a few ms cheaper.
    """
    admin = _pg_admin()
    if admin is None:
        return None
    conn, user = admin
    name = f"hashstop_test_{secrets.token_hex(6)}"
    with conn:
        conn.execute(f'CREATE DATABASE "{name}"')
        conn.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
    return f"postgresql+psycopg://{user}@{PG_HOST}:{PG_PORT}/{name}", name


def pg_drop_database(name: str) -> None:
    admin = _pg_admin()
    if admin is None:
        return
    conn, _ = admin
    with conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def blank_postgres_url() -> Iterator[str]:
    """An empty, unmigrated throwaway PostgreSQL database of its own, dropped afterwards."""
    created = pg_create_database()
    if created is None:
        skip_or_fail(f"PostgreSQL is not reachable on {PG_HOST}:{PG_PORT}")
        return
    url, name = created
    try:
        yield url
    finally:
        forget_resetter(url)
        pg_drop_database(name)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str | None]:
    created = pg_create_database()
    if created is None:
        yield None
        return
    url, name = created
    try:
        upgrade(url)
        yield url
    finally:
        forget_resetter(url)
        pg_drop_database(name)


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'hashstop.db'}"
    upgrade(url)
    return url


_RESETTERS: dict[str, Database] = {}


def empty_database(url: str) -> None:
    """Delete every row and restart every used id sequence: the state of a fresh migration.

    On PostgreSQL this is a DELETE per table plus `setval` on the sequences that moved, over a
    connection kept for the run, not `TRUNCATE ... RESTART IDENTITY`: on tables holding a
    handful of rows TRUNCATE costs about half a second a test (it gives every table and index
    new files), this a few hundredths (figures in docs/developers.md, "Test speed").
    """
    database = _RESETTERS.get(url)
    if database is None:
        database = _RESETTERS[url] = Database(url, pool_size=1)
    with database.transaction() as session:
        if database.is_postgresql:
            # A test database lost in a crash is worth nothing: do not wait for the WAL flush.
            session.execute(text("SET LOCAL synchronous_commit = off"))
        for table in TABLES:
            session.execute(text(f"DELETE FROM {table}"))  # noqa: S608 - fixed names
        if database.is_postgresql:
            session.execute(
                text(
                    "SELECT setval(format('%I.%I', schemaname, sequencename)::regclass, 1, false)"
                    " FROM pg_sequences"
                    " WHERE schemaname = current_schema() AND last_value IS NOT NULL"
                )
            )


def forget_resetter(url: str) -> None:
    """Close the reset connection to a database about to be dropped."""
    database = _RESETTERS.pop(url, None)
    if database is not None:
        database.dispose()


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def database_url(request: pytest.FixtureRequest) -> str:
    """An empty, migrated database: a SQLite file, then the real PostgreSQL."""
    if request.param == "postgresql":
        url = request.getfixturevalue("postgres_url")
        if url is None:
            skip_or_fail(f"PostgreSQL is not reachable on {PG_HOST}:{PG_PORT}")
    else:
        url = request.getfixturevalue("sqlite_url")
    empty_database(url)
    return str(url)


def make_settings(database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "secret_key": TEST_SECRET_KEY,
        "operations_token": TEST_OPERATIONS_TOKEN,
        "sync_interval": 0.1,
        "case_creations_per_hour": 100_000,
        "hashes_per_address_per_hour": 100_000_000,
        "hashes_per_hour": 100_000_000,
        # the hash list publishes every change at the next page (tests of batching set these)
        "hashlist_batch_cases": 1,
        "hashlist_batch_min_seconds": 0,
        "log_level": "DEBUG",
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url)


@pytest.fixture
def database(settings: Settings) -> Iterator[Database]:
    db = Database(settings.database_url, pool_size=2)
    yield db
    db.dispose()


@pytest.fixture
def make_key(database: Database, settings: Settings) -> Any:
    """make_key(role, name=None, platform=None) -> the hsk_ token of a new key."""

    def make(role: str, name: str | None = None, platform: str | None = None) -> str:
        if role == "platform" and platform is None:
            platform = "example-platform"
        with database.transaction() as session:
            created = KeyService(session, Keyring(settings.secret_key_bytes)).create(
                name=name or f"{role}-{secrets.token_hex(3)}", role=role, platform=platform
            )
        return created.token

    return make


def wait_ready(client: TestClient, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if client.get("/readyz").status_code == 200:
            return
        time.sleep(0.02)
    raise AssertionError("the app did not become ready in time")


def running_client(app: FastAPI) -> TestClient:
    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    """A running app (lifespan, index sync thread) on the test database, ready to match."""
    with running_client(create_app(settings)) as c:
        wait_ready(c)
        yield c


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
