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
from tests.conftest import skip_or_fail

PG_HOST = "127.0.0.1"
PG_PORT = 5432
TEST_SECRET_KEY = "test-only-" + "k" * 40
TABLES = (
    "review_sessions",
    "match_decisions",
    "hash_suspensions",
    "allowlist",
    "feedback",
    "match_hits",
    "match_records",
    "hash_changes",
    "retractions",
    "bank_entries",
    "subscriptions",
    "hashes",
    "photos",
    "idempotency_keys",
    "cases",
    "audit_log",
    "api_keys",
)


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
    """Create an empty throwaway database; return (its URL, its name) or None if unreachable."""
    admin = _pg_admin()
    if admin is None:
        return None
    conn, user = admin
    name = f"hashstop_test_{secrets.token_hex(6)}"
    with conn:
        conn.execute(f'CREATE DATABASE "{name}"')
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
        pg_drop_database(name)


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'hashstop.db'}"
    upgrade(url)
    return url


def empty_database(url: str) -> None:
    database = Database(url, pool_size=1)
    try:
        with database.transaction() as session:
            if database.is_postgresql:
                session.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))
            else:
                for table in TABLES:
                    session.execute(text(f"DELETE FROM {table}"))  # noqa: S608 - fixed names
    finally:
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
        "sync_interval": 0.1,
        "case_creations_per_hour": 100_000,
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
