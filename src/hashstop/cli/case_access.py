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
from hashstop.i18n import _, ngettext

DEFAULT_SERVER = "http://127.0.0.1:8000"
SERVER_VARIABLE = "HASHSTOP_SERVER"
SECRET_VARIABLE = "HASHSTOP_CASE_SECRET"  # noqa: S105 - a variable's name  # nosec B105


def check_paths(paths: tuple[str, ...]) -> None:
    missing = [p for p in paths if not os.path.lexists(p)]
    if missing:
        names = ", ".join(printable(p) for p in missing)
        raise MistypedPath(_("no such file or folder: %(names)s; nothing was sent", names=names))


def server_url(flag: str | None, receipt: Receipt | None = None) -> str:
    """The server to talk to (see the module docstring), checked; notes go to stderr."""
    url = flag or os.environ.get(SERVER_VARIABLE) or (receipt.server if receipt else None)
    if not url:
        click.echo(
            _(
                "No server given (--server or %(variable)s), so using %(server)s, a hashstop "
                "server on this computer.",
                variable=SERVER_VARIABLE,
                server=DEFAULT_SERVER,
            ),
            err=True,
        )
        url = DEFAULT_SERVER
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        parsed = None
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.host:
        raise Problem(
            _(
                "%(url)s is not a server address; it looks like https://example.org",
                url=repr(url),
            )
        )
    if parsed.scheme == "http" and not _loopback(parsed.host):
        click.echo(
            _(
                "Note: the connection to %(url)s is not encrypted; a server on the internet "
                "should have an address starting with https://",
                url=url,
            ),
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
            _(
                "there is no saved receipt for case %(case)s on this computer (looked in "
                "%(folder)s); give its secret with --secret hsc_... or %(variable)s",
                case=case_id,
                folder=receipts.receipts_dir(),
                variable=SECRET_VARIABLE,
            )
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


def show_collection(collection: Collection, where: str) -> None:
    """List the files set aside, then the counts of what will be sent: nothing else."""
    if collection.skipped:
        click.echo(
            ngettext(
                "%(num)s file could not be read and will be left out:",
                "%(num)s files could not be read and will be left out:",
                len(collection.skipped),
            )
        )
        for outcome in collection.skipped:
            click.echo(f"  - {printable(outcome.error or outcome.path)}")
    if not collection.files:
        raise Problem(_("none of these files could be read, so nothing was sent"))
    rows = [
        (_("photos:"), str(collection.photos)),
        (_("other files:"), _("%(num)s  (videos, documents...)", num=collection.other_files)),
        (_("fingerprints:"), str(collection.fingerprints)),
    ]
    width = max(len(label) for label, _value in rows) + 2
    click.echo("")
    click.echo(_("Ready to send to %(server)s:", server=where))
    for label, value in rows:
        click.echo(f"  {label:<{width}}{value}")
    click.echo(_("Only fingerprints leave this computer, never the photos or files themselves."))


def not_kept_note(sent: int, kept: int, already: int) -> str | None:
    """A calm sentence about fingerprints the server did not keep, or None."""
    refused = sent - kept - already
    if refused <= 0:
        return None
    return ngettext(
        "%(num)s fingerprint of %(sent)s could not be used, usually because a picture is too "
        "plain to be recognised reliably. The others are registered.",
        "%(num)s fingerprints of %(sent)s could not be used, usually because a picture is too "
        "plain to be recognised reliably. The others are registered.",
        refused,
        sent=sent,
    )


def when(text: str | None) -> str:
    """An ISO time from the server as `2026-11-28 07:31 UTC`."""
    if not text:
        return _("unknown")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M UTC")
