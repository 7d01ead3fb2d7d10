"""The server's commands: `hashstop serve`, `hashstop db upgrade`, `hashstop keys ...`.

Heavy imports (FastAPI, SQLAlchemy, uvicorn) happen inside the commands, so that a victim's
`hashstop hash` starts fast, and so that the victim's light client (`pip install hashstop`,
without the `server` extra) still lists these commands: run there, each says in one line how to
install the service (`require_server`). Every failure is one line on stderr and a non-zero
exit; keys are printed once, at creation, and never again.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from typing import Any

import click

from hashstop.cli.database import (
    in_transaction,
    read_settings,
    require_schema,
    require_server,
    shown_url,
)
from hashstop.cli.errors import one_line_errors


@click.group("db")
def db() -> None:
    """Manage the database schema."""
    require_server()


@db.command("upgrade")
@one_line_errors
def db_upgrade() -> None:
    """Migrate the database (HASHSTOP_DATABASE_URL) to the newest schema."""
    from hashstop.storage.database import current_revision, upgrade

    settings = read_settings()
    upgrade(settings.database_url)
    click.echo(
        f"{shown_url(settings.database_url)} is at revision "
        f"{current_revision(settings.database_url)} (newest)"
    )


@click.group("keys")
def keys() -> None:
    """Create, list and revoke API keys (platform, moderator, admin)."""
    require_server()


def _key_service_run(action: Callable[[Any], Any]) -> Any:
    from hashstop.service.keys import KeyService
    from hashstop.service.tokens import Keyring

    # Keys belong to the database the service runs on: named on stderr, and never made anew.
    return in_transaction(
        lambda session, settings: action(KeyService(session, Keyring(settings.secret_key_bytes))),
        existing=True,
        announce=True,
    )


def _key_dict(key: Any) -> dict[str, Any]:
    return {
        "name": key.name,
        "role": key.role,
        "platform": key.platform or key.scope_platform,
        "created_at": key.created_at.isoformat(),
        "revoked_at": key.revoked_at.isoformat() if key.revoked_at else None,
    }


@keys.command("create")
@click.option("--role", type=click.Choice(["platform", "moderator", "admin"]), required=True)
@click.option("--name", required=True, help="A unique name, e.g. the team or service using it.")
@click.option(
    "--platform",
    default=None,
    help="The platform a platform key matches for (required), or a moderator key's scope.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON (with the key) instead of text.")
@one_line_errors
def keys_create(role: str, name: str, platform: str | None, as_json: bool) -> None:
    """Create a key and print it once: store it now, it cannot be shown again."""
    created = _key_service_run(lambda s: s.create(name=name, role=role, platform=platform))
    if as_json:
        click.echo(json.dumps({**_key_dict(created.key), "key": created.token}))
        return
    where = f" for platform {platform!r}" if platform else ""
    click.echo(f"Created {role} key {name!r}{where}. The key is shown only now:")
    click.echo(created.token)


@keys.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@one_line_errors
def keys_list(as_json: bool) -> None:
    """List the keys (never the tokens)."""
    rows = _key_service_run(lambda s: [_key_dict(k) for k in s.list()])
    if as_json:
        click.echo(json.dumps(rows))
        return
    if not rows:
        click.echo("No keys yet: hashstop keys create --role platform --name NAME --platform P")
        return
    click.echo(f"{'NAME':<24} {'ROLE':<10} {'PLATFORM':<16} {'CREATED':<20} STATE")
    for r in rows:
        state = f"revoked {r['revoked_at'][:19]}" if r["revoked_at"] else "active"
        click.echo(
            f"{r['name']:<24} {r['role']:<10} {r['platform'] or '-':<16} "
            f"{r['created_at'][:19]:<20} {state}"
        )


@keys.command("revoke")
@click.argument("name")
@one_line_errors
def keys_revoke(name: str) -> None:
    """Revoke a key: it is refused from the next request on."""
    _key_service_run(lambda s: s.revoke(name))
    click.echo(f"Revoked key {name!r}.")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64))
@click.option(
    "--migrate",
    is_flag=True,
    help="Migrate a PostgreSQL database to the newest schema first (under a lock, so replicas "
    "starting together take turns). SQLite is always migrated.",
)
@click.option(
    "--proxy-headers/--no-proxy-headers",
    default=True,
    show_default=True,
    help="Trust X-Forwarded-For/-Proto from the addresses in HASHSTOP_FORWARDED_ALLOW_IPS "
    "(--no-proxy-headers: trust no proxy; the connecting address is the client).",
)
@one_line_errors
def serve(host: str, port: int, workers: int, migrate: bool, proxy_headers: bool) -> None:
    """Run the service (the embedded SQLite database is created and migrated by itself)."""
    require_server()
    import uvicorn

    from hashstop.logs import configure_logging

    if not proxy_headers:
        # The app reads the trusted proxies from the settings (`hashstop.api.proxy`), in this
        # process and in every worker process (which read the environment).
        os.environ["HASHSTOP_FORWARDED_ALLOW_IPS"] = ""
    settings = read_settings()
    # Create the development key file before any worker, and refuse an unusable key before
    # touching the database.
    _ = settings.secret_key_bytes
    configure_logging(settings.log_level)
    if migrate:
        from hashstop.storage.database import upgrade

        upgrade(settings.database_url)
    require_schema(settings)
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"hashstop listening on http://{shown}:{port} ({workers} worker(s))")
    click.echo(f"database: {shown_url(settings.database_url)}")
    click.echo(
        "first key: hashstop keys create --role platform --name NAME --platform PLATFORM; "
        f"API docs at http://{shown}:{port}/docs"
    )
    sys.stdout.flush()
    from hashstop.cli.serving import GuardedH11Protocol, accept_backlog

    GuardedH11Protocol.configure(
        settings.header_timeout, settings.body_timeout, settings.max_connections
    )
    common: dict[str, Any] = {
        "host": host,
        "port": port,
        "access_log": False,
        "log_config": None,
        "timeout_graceful_shutdown": 5,
        # The app handles forwarded headers itself (uvicorn's middleware, IP values only).
        "proxy_headers": False,
        # Attack 9 of issue 12: slow and idle connections are timed out and capped.
        "http": GuardedH11Protocol,
        "backlog": accept_backlog(settings.max_connections),
        "timeout_keep_alive": settings.keepalive_timeout,
    }
    if workers > 1:
        uvicorn.run("hashstop.app:app_from_environment", factory=True, workers=workers, **common)
    else:
        from hashstop.app import create_app

        uvicorn.run(create_app(settings), **common)


COMMANDS = (serve, db, keys)
