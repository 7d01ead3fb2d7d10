"""`hashstop status`, `hashstop add` and `hashstop withdraw`: come back to a case.

Each reads the case's receipt, so the victim types the case ID at most (`status` alone lists
every saved case). Changes are asked about first (`--yes` skips every question); a withdrawal
says plainly what it does before it is done. None of these commands prints the secret.
"""

from __future__ import annotations

from pathlib import Path

import click

from hashstop.cli.case_access import (
    ask,
    case_access,
    check_paths,
    not_kept_note,
    say,
    server_url,
    show_collection,
    when,
)
from hashstop.cli.errors import Problem, explain, one_line_errors
from hashstop.client import receipts
from hashstop.client.api_client import CaseClient, CaseClientError, CaseState
from hashstop.client.collection import collect
from hashstop.client.receipts import ReceiptError
from hashstop.i18n import _, ngettext

server_option = click.option(
    "--server", metavar="URL", help="The hashstop server (default: the one in the receipt)."
)
secret_option = click.option(
    "--secret",
    metavar="SECRET",
    help="The case secret (hsc_...), if this computer has no receipt for the case "
    "(or HASHSTOP_CASE_SECRET).",
)
yes_option = click.option("--yes", "-y", is_flag=True, help="Do not ask before changing anything.")


def _show(state: CaseState, server: str) -> None:
    if state.status == "withdrawn":
        click.echo(_("Case %(case)s: withdrawn", case=state.case_id))
        click.echo(
            "  "
            + _(
                "withdrawn on %(date)s; its fingerprints were erased",
                date=when(state.withdrawn_at),
            )
        )
    else:
        click.echo(_("Case %(case)s: active", case=state.case_id))
        photos = ngettext("%(num)s photo or file", "%(num)s photos or files", state.photo_count)
        hashes = ngettext("%(num)s fingerprint", "%(num)s fingerprints", state.hash_count)
        click.echo("  " + _("registered: %(photos)s, %(hashes)s", photos=photos, hashes=hashes))
        if state.matches_total == 0:
            found = _("copies found on platforms: none so far")
        elif state.matches_confirmed:
            found = ngettext(
                "copies found on platforms: %(num)s (%(confirmed)s confirmed by the platform)",
                "copies found on platforms: %(num)s (%(confirmed)s confirmed by the platforms)",
                state.matches_total,
                confirmed=state.matches_confirmed,
            )
        else:
            found = _("copies found on platforms: %(num)s", num=state.matches_total)
        click.echo(f"  {found}")
    click.echo(
        "  " + _("opened on %(date)s, at %(server)s", date=when(state.created_at), server=server)
    )


@click.command("status")
@click.argument("case", required=False)
@server_option
@secret_option
@one_line_errors
def status_command(case: str | None, server: str | None, secret: str | None) -> None:
    """Show a case (or, with no CASE, every case saved on this computer)."""
    if case is not None:
        access = case_access(case, secret, server)
        with CaseClient(access.server) as client:
            _show(client.get_case(access.case_id, access.secret), access.server)
        return
    paths = receipts.saved_paths()
    if not paths:
        raise Problem(
            _(
                "there are no saved cases on this computer (looked in %(folder)s); to check a "
                "case opened elsewhere: hashstop status CASE-ID --secret hsc_...",
                folder=receipts.receipts_dir(),
            )
        )
    failed = 0
    for number, path in enumerate(paths):
        if number:
            click.echo("")
        reason = _check_saved(path, server)
        if reason is not None:
            failed += 1
            click.echo(
                _("Case %(case)s: could not be checked: %(reason)s", case=path.stem, reason=reason),
                err=True,
            )
    if failed:
        raise Problem(
            ngettext(
                "%(failed)s of %(num)s saved case could not be checked",
                "%(failed)s of %(num)s saved cases could not be checked",
                len(paths),
                failed=failed,
            )
        )


def _check_saved(path: Path, server: str | None) -> str | None:
    """Show the case of one saved receipt; the reason if that failed."""
    try:
        receipt = receipts.read(path)
        url = server_url(server, receipt)
        with CaseClient(url) as client:
            _show(client.get_case(receipt.case_id, receipt.secret), url)
    except CaseClientError as exc:
        return explain(exc)
    except ReceiptError as exc:
        return str(exc)
    except Problem as exc:
        return exc.message
    return None


@click.command("add")
@click.argument("case")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@server_option
@secret_option
@yes_option
@one_line_errors
def add_command(
    case: str, paths: tuple[str, ...], server: str | None, secret: str | None, yes: bool
) -> None:
    """Add photos and other files to a case (their fingerprints only)."""
    check_paths(paths)
    access = case_access(case, secret, server)
    click.echo(_("Reading your files on this computer. Nothing is sent until you agree."))
    collection = collect(paths)
    show_collection(collection, access.server)
    ask(
        _("Add these fingerprints to case %(case)s?", case=access.case_id),
        yes,
        _("Nothing was sent."),
    )
    sent = kept = already = 0
    with CaseClient(access.server) as client:
        for batch in collection.batches():
            added = client.add_hashes(access.case_id, access.secret, batch)
            sent, kept, already = (
                sent + len(batch),
                kept + added.accepted,
                already + added.duplicates,
            )
    click.echo("")
    click.echo(
        ngettext(
            "Added %(num)s new fingerprint to case %(case)s.",
            "Added %(num)s new fingerprints to case %(case)s.",
            kept,
            case=access.case_id,
        )
    )
    if already:
        click.echo(
            ngettext(
                "%(num)s fingerprint was already registered, so not again.",
                "%(num)s fingerprints were already registered, so not again.",
                already,
            )
        )
    note = not_kept_note(sent, kept, already)
    if note:
        say(note)


@click.command("withdraw")
@click.argument("case")
@server_option
@secret_option
@yes_option
@one_line_errors
def withdraw_command(case: str, server: str | None, secret: str | None, yes: bool) -> None:
    """Withdraw a case: its fingerprints are erased and stop being matched."""
    access = case_access(case, secret, server)
    say(
        _(
            "Withdrawing case %(case)s erases its fingerprints from the server, and platforms "
            "stop recognising these photos through it. This cannot be undone, but you can open "
            "a new case at any time.",
            case=access.case_id,
        )
    )
    ask(_("Withdraw case %(case)s now?", case=access.case_id), yes, _("Nothing was changed."))
    with CaseClient(access.server) as client:
        state = client.withdraw(access.case_id, access.secret)
    click.echo(_("Case %(case)s is withdrawn; its fingerprints were erased.", case=state.case_id))


COMMANDS = (status_command, add_command, withdraw_command)
