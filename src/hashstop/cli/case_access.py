"""What the victim's commands share: which server, which case and secret, and how to say no.

The server is the first of `--server`, `HASHSTOP_SERVER`, the case's receipt, and a server on
this computer (http://127.0.0.1:8000, said out loud when used). The secret is `--secret`, else
the receipt, else `HASHSTOP_CASE_SECRET`, so a victim with a receipt never retypes it.

Every failure becomes one calm line on stderr and a non-zero exit (`cli/errors.py`). Nothing here
prints a secret; only `hashstop submit` does, once, when the case is opened.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from datetime import UTC, datetime

import click
import httpx

from hashstop.cli.errors import MistypedPath, Problem
from hashstop.client import receipts
from hashstop.client.collection import Collection
from hashstop.client.fingerprints import printable
from hashstop.client.receipts import Receipt

DEFAULT_SERVER = "http://127.0.0.1:8000"
SERVER_VARIABLE = "HASHSTOP_SERVER"
SECRET_VARIABLE = "HASHSTOP_CASE_SECRET"  # noqa: S105 - a variable's name  # nosec B105


def check_paths(paths: tuple[str, ...]) -> None:
    missing = [p for p in paths if not os.path.lexists(p)]
    if missing:
        names = ", ".join(printable(p) for p in missing)
        raise MistypedPath(f"no such file or folder: {names}; nothing was sent")


def server_url(flag: str | None, receipt: Receipt | None = None) -> str:
    """The server to talk to (see the module docstring), checked; notes go to stderr."""
    url = flag or os.environ.get(SERVER_VARIABLE) or (receipt.server if receipt else None)
    if not url:
        click.echo(
            f"No server given (--server or {SERVER_VARIABLE}), so using {DEFAULT_SERVER}, "
            "a hashstop server on this computer.",
            err=True,
        )
        url = DEFAULT_SERVER
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        parsed = None
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.host:
        raise Problem(f"{url!r} is not a server address; it looks like https://example.org")
    if parsed.scheme == "http" and not _loopback(parsed.host):
        click.echo(
            f"Note: the connection to {url} is not encrypted; a server on the internet should "
            "have an address starting with https://",
            err=True,
        )
    return url.rstrip("/")


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class CaseAccess:
    case_id: str
    secret: str
    server: str
    receipt: Receipt | None


def case_access(case_id: str, secret: str | None, server: str | None) -> CaseAccess:
    """The case, its secret and its server, from the options and the saved receipt."""
    case_id = case_id.strip().lower()
    receipt = receipts.load(case_id)  # refuses what is not a case ID before using it as a name
    secret = secret or (receipt.secret if receipt else None) or os.environ.get(SECRET_VARIABLE)
    if not secret:
        raise Problem(
            f"there is no saved receipt for case {case_id} on this computer (looked in "
            f"{receipts.receipts_dir()}); give its secret with --secret hsc_... or "
            f"{SECRET_VARIABLE}"
        )
    return CaseAccess(case_id, secret.strip(), server_url(server, receipt), receipt)


def ask(question: str, yes: bool, declined: str) -> None:
    """Ask a yes/no question (default no) unless `yes`; a no says `declined` and exits 1."""
    if yes:
        return
    try:
        agreed = click.confirm(question, default=False)
    except click.Abort:
        agreed = False
    if not agreed:
        click.echo(declined)
        raise click.exceptions.Exit(1)


def say(text: str) -> None:
    """A paragraph for the victim, wrapped to a comfortable width."""
    click.echo(click.wrap_text(text, width=78, preserve_paragraphs=True))


def counted(number: int, thing: str, things: str | None = None) -> str:
    """`1 photo`, `2 photos`, `no photos`."""
    plural = things or thing + "s"
    return f"no {plural}" if number == 0 else f"{number} {thing if number == 1 else plural}"


def show_collection(collection: Collection, where: str) -> None:
    """List the files set aside, then the counts of what will be sent: nothing else."""
    if collection.skipped:
        left_out = counted(len(collection.skipped), "file")
        click.echo(f"{left_out} could not be read and will be left out:".capitalize())
        for outcome in collection.skipped:
            click.echo(f"  - {printable(outcome.error or outcome.path)}")
    if not collection.files:
        raise Problem("none of these files could be read, so nothing was sent")
    click.echo("")
    click.echo(f"Ready to send to {where}:")
    click.echo(f"  photos:        {collection.photos}")
    click.echo(f"  other files:   {collection.other_files}  (videos, documents...)")
    click.echo(f"  fingerprints:  {collection.fingerprints}")
    click.echo("Only fingerprints leave this computer, never the photos or files themselves.")


def not_kept_note(sent: int, kept: int, already: int) -> str | None:
    """A calm sentence about fingerprints the server did not keep, or None."""
    refused = sent - kept - already
    if refused <= 0:
        return None
    return (
        f"{counted(refused, 'fingerprint')} of {sent} could not be used, usually because a "
        "picture is too plain to be recognised reliably. The others are registered."
    )


def when(text: str | None) -> str:
    """An ISO time from the server as `2026-11-28 07:31 UTC`."""
    if not text:
        return "unknown"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M UTC")
