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
    counted,
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
    click.echo(f"Case {state.case_id}: {state.status}")
    if state.status == "withdrawn":
        click.echo(f"  withdrawn on {when(state.withdrawn_at)}; its fingerprints were erased")
    else:
        click.echo(
            f"  registered: {counted(state.photo_count, 'photo or file', 'photos or files')}, "
            f"{counted(state.hash_count, 'fingerprint')}"
        )
        found = "none so far" if state.matches_total == 0 else str(state.matches_total)
        if state.matches_confirmed:
            found += f" ({state.matches_confirmed} confirmed by the platform)"
        click.echo(f"  copies found on platforms: {found}")
    click.echo(f"  opened on {when(state.created_at)}, at {server}")


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
            f"there are no saved cases on this computer (looked in {receipts.receipts_dir()}); "
            "to check a case opened elsewhere: hashstop status CASE-ID --secret hsc_..."
        )
    failed = 0
    for number, path in enumerate(paths):
        if number:
            click.echo("")
        reason = _check_saved(path, server)
        if reason is not None:
            failed += 1
            click.echo(f"Case {path.stem}: could not be checked: {reason}", err=True)
    if failed:
        raise Problem(f"{failed} of {len(paths)} saved case(s) could not be checked")


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
    click.echo("Reading your files on this computer. Nothing is sent until you agree.")
    collection = collect(paths)
    show_collection(collection, access.server)
    ask(f"Add these fingerprints to case {access.case_id}?", yes, "Nothing was sent.")
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
    click.echo(f"Added {counted(kept, 'new fingerprint')} to case {access.case_id}.")
    if already:
        click.echo(f"{counted(already, 'fingerprint')} were already registered, so not again.")
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
        f"Withdrawing case {access.case_id} erases its fingerprints from the server, and "
        "platforms stop recognising these photos through it. This cannot be undone, but you "
        "can open a new case at any time."
    )
    ask(f"Withdraw case {access.case_id} now?", yes, "Nothing was changed.")
    with CaseClient(access.server) as client:
        state = client.withdraw(access.case_id, access.secret)
    click.echo(f"Case {state.case_id} is withdrawn; its fingerprints were erased.")


COMMANDS = (status_command, add_command, withdraw_command)
