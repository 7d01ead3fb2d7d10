"""Engines, sessions and migrations for SQLite (embedded default) and PostgreSQL.

SQLite is opened in WAL mode with foreign keys on, a busy timeout and `secure_delete` (freed
content is overwritten with zeros), and its files (`hashstop.db`, `-wal`, `-shm`) are made
readable by their owner only (0600). After a commit that erased values (a withdrawal) the WAL is
checkpointed and truncated, so no withdrawn value stays in `-wal` either (issue 12, attack 11).
Its Python driver starts transactions lazily and cannot upgrade a read transaction to a write
one once another connection has written (SQLITE_BUSY at once, no waiting), so write sessions
begin with `BEGIN IMMEDIATE`: writers queue on the busy timeout instead of failing, and readers
are never blocked (WAL).

Migrations are the Alembic scripts shipped inside this package, so `pip install hashstop` users
run them with `hashstop db upgrade`; nothing here calls `create_all`. On PostgreSQL they run under
an advisory lock, so replicas that all migrate at start take turns instead of colliding.

`UNAVAILABLE` names the errors that mean "the database cannot be reached or written right now"
(a stopped server, a dropped connection, a locked or read-only SQLite file, an exhausted pool):
the API answers them with 503 and Retry-After, never 500.

No hash value or secret HMAC reaches a log through SQLAlchemy: engines hide bound parameters
(`hide_parameters`, in its statement log and in its error messages), and the records of result
rows its engine logger prints at DEBUG are dropped (`_drop_rows`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 10_000
# Seconds to wait for a PostgreSQL connection before the request fails (503) instead of hanging.
PG_CONNECT_TIMEOUT = 5
# An arbitrary constant naming "the migration lock" among advisory locks.
MIGRATION_LOCK = 0x6861_7368_6D69_6772 >> 1
_WRITE = "hashstop_write"

# The database is away (stopped, unreachable, restarting), locked past the busy timeout,
# read-only, or every pooled connection is busy: retry later, nothing is wrong with the request.
UNAVAILABLE: tuple[type[Exception], ...] = (OperationalError, InterfaceError, PoolTimeout)


def _drop_rows(record: logging.LogRecord) -> bool:
    """Refuse SQLAlchemy's "Row (...)" and "Col (...)" records (DEBUG): rows hold hash values."""
    return not (isinstance(record.msg, str) and record.msg.startswith(("Row ", "Col ")))


def _hide_rows() -> None:
    logger = logging.getLogger("sqlalchemy.engine.Engine")
    if _drop_rows not in logger.filters:
        logger.addFilter(_drop_rows)


def make_engine(
    database_url: str, *, pool_size: int = 10, busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS
) -> Engine:
    """An engine for `database_url` with the pragmas and transaction rules described above."""
    url = make_url(database_url)
    _hide_rows()
    if url.get_backend_name() == "sqlite":
        uri = str(url.query.get("uri", "")).lower() == "true"
        if url.database and url.database != ":memory:" and not uri:
            Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
            _private_files(Path(url.database).expanduser())
        engine = create_engine(
            url,
            hide_parameters=True,
            connect_args={"check_same_thread": False, "timeout": busy_timeout_ms / 1000},
        )
        _configure_sqlite(engine, busy_timeout_ms)
        return engine
    # No pre-ping: it would cost a round trip per request. When the server drops connections
    # (a restart, a fail-over), the first statement on one fails (503, retry) and SQLAlchemy
    # marks every connection made before that moment stale, so the pool reconnects by itself;
    # the index sync thread, polling every half second, is usually the one that takes the hit.
    connect_args = {} if "connect_timeout" in url.query else {"connect_timeout": PG_CONNECT_TIMEOUT}
    return create_engine(
        url,
        hide_parameters=True,  # no bound value (hashes, HMACs) in SQLAlchemy's logs or errors
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_recycle=1800,
        pool_timeout=10,
        connect_args=connect_args,
    )


SQLITE_SUFFIXES = ("", "-wal", "-shm", "-journal")
ERASED = "erased_values"
"""`session.info` flag set by a write that erased values; its commit checkpoints the WAL."""


def _private_files(db: Path) -> None:
    """Create the SQLite file readable by its owner only (SQLite gives `-wal` and `-shm` the
    main file's mode), and make existing files so (they were created 0644 before)."""
    try:
        fd = os.open(db, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        os.close(fd)  # an empty file is an empty database
    for suffix in SQLITE_SUFFIXES:
        path = db.with_name(db.name + suffix)
        try:
            if path.stat().st_mode & 0o077:
                path.chmod(0o600)
        except FileNotFoundError:
            continue


def checkpoint_erasure(engine: Engine) -> bool:
    """Copy the WAL into the database file and truncate it to zero bytes, so that frames
    written before an erasure (which hold the erased values) leave the `-wal` file. Waits for
    readers up to the busy timeout; True when the WAL was truncated."""
    with engine.connect() as connection:
        busy, _, _ = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
    if busy:
        log.warning("the WAL could not be truncated after an erasure (readers busy); retried")
    return not busy


def _checkpoint_engine(database_url: str, busy_timeout_ms: int) -> Engine:
    """An engine for the erasure checkpoint that keeps no pool (NullPool: a connection of its
    own each time). The checkpoint runs in a committing request's thread while that request
    still holds its pooled connection: from the shared pool, 15 concurrent withdrawals held all
    15 connections and each waited for a 16th until the pool timed out (a 500 after the
    withdrawal had committed, seen in the SIGKILL test on a loaded machine)."""
    return create_engine(
        make_url(database_url),
        poolclass=NullPool,
        hide_parameters=True,
        connect_args={"check_same_thread": False, "timeout": busy_timeout_ms / 1000},
    )


def _configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        write = connection.get_execution_options().get(_WRITE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


class Database:
    """One engine and its session factories: `read()` for queries, `write()` for changes."""

    def __init__(
        self,
        database_url: str,
        *,
        pool_size: int = 10,
        busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS,
    ) -> None:
        self.url = database_url
        self.engine = make_engine(
            database_url, pool_size=pool_size, busy_timeout_ms=busy_timeout_ms
        )
        self.is_postgresql = self.engine.dialect.name == "postgresql"
        write_engine = self.engine.execution_options(**{_WRITE: True})
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        self._write = sessionmaker(write_engine, expire_on_commit=False)
        # Single-statement lookups (an API key per request) need no transaction: on PostgreSQL
        # they run in autocommit, which saves the BEGIN and COMMIT round trips.
        lookup_engine = (
            self.engine.execution_options(isolation_level="AUTOCOMMIT")
            if self.is_postgresql
            else self.engine
        )
        self._lookup = sessionmaker(lookup_engine, expire_on_commit=False)
        self._pending_checkpoint = False
        self._checkpointer: Engine | None = None
        if not self.is_postgresql:
            self._checkpointer = _checkpoint_engine(database_url, busy_timeout_ms)
            for factory in (self._write, self._read):
                event.listen(factory, "after_commit", self._after_commit)

    def _after_commit(self, session: Session) -> None:
        if (session.info.pop(ERASED, False) or self._pending_checkpoint) and self._checkpointer:
            # After the COMMIT itself: the request's data is committed, so nothing here may
            # fail it. A checkpoint that cannot run now is tried again after the next commit.
            try:
                self._pending_checkpoint = not checkpoint_erasure(self._checkpointer)
            except Exception as error:  # noqa: BLE001 - any failure leaves it pending, logged
                log.warning(
                    "the WAL could not be truncated after an erasure (%s); retried after the "
                    "next commit",
                    type(error).__name__,
                )
                self._pending_checkpoint = True

    def new_session(self, *, write: bool) -> Session:
        """A session the caller commits or rolls back and closes."""
        return (self._write if write else self._read)()

    @contextmanager
    def lookup(self) -> Iterator[Session]:
        """A session for one read-only statement; its objects stay usable after it closes."""
        session = self._lookup()
        try:
            yield session
        finally:
            session.close()

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Session]:
        """A session committed on success, rolled back on error, closed either way."""
        session = self.new_session(write=write)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()
        if self._checkpointer is not None:
            self._checkpointer.dispose()


def alembic_config(database_url: str) -> Config:
    """The Alembic configuration of the packaged migrations, for `database_url`."""
    cfg = Config()
    cfg.set_main_option("script_location", "hashstop.storage:migrations")
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option(
        "file_template",
        "%%(year)d_%%(month).2d_%%(day).2d_%%(hour).2d%%(minute).2d-%%(rev)s_%%(slug)s",
    )
    cfg.attributes["database_url"] = database_url
    return cfg


def upgrade(database_url: str, revision: str = "head") -> None:
    """Migrate the database at `database_url` to `revision` (default: the newest).

    On PostgreSQL the whole upgrade holds a session advisory lock: replicas started together
    migrate one after the other, and the later ones find nothing left to do.
    """
    if make_url(database_url).get_backend_name() != "postgresql":
        command.upgrade(alembic_config(database_url), revision)
        return
    engine = make_engine(database_url, pool_size=1)
    try:
        with engine.connect() as lock:
            lock.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
            lock.commit()
            try:
                command.upgrade(alembic_config(database_url), revision)
            finally:
                lock.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK})
                lock.commit()
    finally:
        engine.dispose()


def downgrade(database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(database_url), revision)


def current_revision(database_url: str) -> str | None:
    """The revision the database is at, or None when it was never migrated."""
    from alembic.runtime.migration import MigrationContext

    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
