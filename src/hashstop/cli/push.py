"""`hashstop push hma`: keep a bank of an HMA (OpenMediaMatch) equal to the hash list.

Runs on the hashstop server against HASHSTOP_DATABASE_URL, as the command line's admin (`cli`
in the audit log), like `hashstop export`: it reads the published hash list in-process and writes
through HMA's curator API (`service/push.py`, `service/hma.py`). Without `--once` it follows the
list until stopped; HMA being down is logged and retried, never fatal.
"""

from __future__ import annotations

import logging
import time

import click

from hashstop.cli.database import read_settings, require_schema, require_server
from hashstop.cli.errors import Problem, one_line_errors

log = logging.getLogger("hashstop.push")


@click.group("push")
def push() -> None:
    """Push the hash list into another system (HMA)."""


def _headers(values: tuple[str, ...]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for value in values:
        name, sep, content = value.partition(":")
        if not sep or not name.strip() or not content.strip():
            raise Problem(f"--header is 'Name: value', got {value!r}")
        headers[name.strip()] = content.strip()
    return headers


@push.command("hma")
@click.option("--url", required=True, help="HMA's base URL (its /c/ routes are below it).")
@click.option("--bank", required=True, help="The HMA bank to fill (made if missing).")
@click.option("--once", is_flag=True, help="One pass up to the end of the list, then exit.")
@click.option(
    "--interval",
    type=click.FloatRange(min=0.1),
    default=10.0,
    show_default=True,
    help="Seconds between passes when following.",
)
@click.option(
    "--header",
    "header_values",
    multiple=True,
    help="'Name: value' sent with every HMA call (a proxy's credentials). Repeatable.",
)
@click.option("--json", "as_json", is_flag=True, help="With --once: print the pass as JSON.")
@one_line_errors
def push_hma(
    url: str,
    bank: str,
    once: bool,
    interval: float,
    header_values: tuple[str, ...],
    as_json: bool,
) -> None:
    """Add every active PDQ/MD5 hash to an HMA bank, delete withdrawn and suspended ones."""
    require_server()
    import json

    from hashstop.service.actors import CLI
    from hashstop.service.hashlist import BatchPolicy
    from hashstop.service.hma import HmaCurator, HmaError
    from hashstop.service.push import Pusher, check_target
    from hashstop.service.tokens import Keyring
    from hashstop.storage.database import Database

    check_target(url, bank)
    headers = _headers(header_values)
    settings = read_settings()
    require_schema(settings)
    database = Database(settings.database_url, pool_size=1)
    curator = HmaCurator(url, headers)
    policy = BatchPolicy(
        cases=settings.hashlist_batch_cases,
        min_seconds=settings.hashlist_batch_min_seconds,
        max_seconds=settings.hashlist_batch_max_seconds,
    )
    try:
        pusher = Pusher(
            database, curator, Keyring(settings.secret_key_bytes), url, bank, CLI, policy
        )
        if once:
            result = pusher.run_once()
            summary = {
                "bank": bank,
                "added": result.added,
                "deleted": result.deleted,
                "reconciled": result.reconciled,
                "duplicates_removed": result.duplicates_removed,
                "position": result.position,
            }
            if as_json:
                click.echo(json.dumps(summary))
            else:
                click.echo(
                    f"HMA bank {bank}: {result.added} added, {result.deleted} deleted, "
                    f"{result.reconciled} reconciled, {result.duplicates_removed} duplicate(s) "
                    f"removed; hash list position {result.position}."
                )
            return
        click.echo(f"Following the hash list into HMA bank {bank} at {url}; Ctrl-C stops.")
        wait = interval
        while True:
            try:
                result = pusher.run_once()
            except HmaError as exc:
                log.warning("push to HMA failed, retrying in %.0f s: %s", wait, exc)
                time.sleep(wait)
                wait = min(wait * 2, max(interval, 300.0))
                continue
            wait = interval
            if result.anything:
                log.info(
                    "HMA bank %s: %d added, %d deleted, %d reconciled, position %d",
                    bank,
                    result.added,
                    result.deleted,
                    result.reconciled,
                    result.position,
                )
            time.sleep(interval)
    finally:
        curator.close()
        database.dispose()
