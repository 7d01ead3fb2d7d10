"""The server commands' database: the settings they read, the schema they need, a transaction.

Shared by `hashstop db`, `keys`, `allowlist` and `serve`. Everything here imports the server stack
(pydantic settings, SQLAlchemy) inside its functions, so that loading the `hashstop` command for a
victim's `hashstop hash` never does.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

import click

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from hashstop.config import Settings

T = TypeVar("T")

# What the `server` extra installs that the server commands import (by import name).
SERVER_MODULES = (
    "fastapi",
    "uvicorn",
    "sqlalchemy",
    "alembic",
    "psycopg",
    "pydantic_settings",
    "numba",
    "jinja2",
    "multipart",
    "prometheus_client",
    "fastapi_offline",
)


def require_server() -> None:
    """Stop with one line where the service is not installed (the victim's light client,
    `pip install hashstop`): every server command calls this before importing any of it."""
    missing = [name for name in SERVER_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        raise click.ClickException(
            "this command runs the hashstop service, which is not installed here "
            f"(missing: {', '.join(missing)}): pip install 'hashstop[server]'"
        )


def read_settings() -> Settings:
    from hashstop.config import Settings

    return Settings()


def shown_url(url: str) -> str:
    """The database URL as it may be printed (password hidden)."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def require_schema(settings: Settings) -> None:
    """Migrate a development database; refuse a production one that is behind."""
    from hashstop.storage.database import current_revision, head_revision, upgrade

    if current_revision(settings.database_url) == head_revision():
        return
    if settings.is_development:
        upgrade(settings.database_url)
        return
    raise click.ClickException(
        "the database schema is not up to date: run `hashstop db upgrade` first "
        "(or start with `hashstop serve --migrate`)"
    )


def describe_database(settings: Settings) -> str:
    """The database as a person can recognise it: the URL (password hidden), and for SQLite the
    absolute path of its file, since a relative URL depends on the current directory."""
    path = settings.sqlite_path
    shown = shown_url(settings.database_url)
    return f"{shown} ({path})" if path is not None else shown


def require_existing(settings: Settings) -> None:
    """Refuse to create a SQLite database implicitly: `keys` run in another directory would
    otherwise make a second, empty database and print a key the running service rejects."""
    path = settings.sqlite_path
    if path is not None and not path.exists():
        raise click.ClickException(
            f"there is no database at {path} (HASHSTOP_DATABASE_URL="
            f"{shown_url(settings.database_url)}, relative to this directory): run this where "
            "the service runs, or set HASHSTOP_DATABASE_URL to its database; to start a new "
            "one, run `hashstop db upgrade` first"
        )


def in_transaction(
    action: Callable[[Session, Settings], T], *, existing: bool = False, announce: bool = False
) -> T:
    """Run `action(session, settings)` in one committed transaction on the configured database.
    `existing`: refuse to create a new SQLite file; `announce`: name the database on stderr."""
    from hashstop.storage.database import Database

    settings = read_settings()
    if existing:
        require_existing(settings)
    require_schema(settings)
    database = Database(settings.database_url, pool_size=1)
    try:
        with database.transaction() as session:
            result = action(session, settings)
    finally:
        database.dispose()
    if announce:
        click.echo(f"Database: {describe_database(settings)}", err=True)
    return result
