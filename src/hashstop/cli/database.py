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


def in_transaction(action: Callable[[Session, Settings], T]) -> T:
    """Run `action(session, settings)` in one committed transaction on the configured database."""
    from hashstop.storage.database import Database

    settings = read_settings()
    require_schema(settings)
    database = Database(settings.database_url, pool_size=1)
    try:
        with database.transaction() as session:
            return action(session, settings)
    finally:
        database.dispose()
