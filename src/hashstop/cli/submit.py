"""`hashstop submit`: register photos from the command line, by their fingerprints only.

The files are hashed on this computer; the victim sees the counts of what will be sent and
agrees (or passes --yes); then one case is opened, however many retries the network needs
(the request carries an idempotency key). The case id and secret are printed once, with a calm
reminder to keep them, and saved in a receipt readable only by the victim. Words are short and
plain: the person reading them may be frightened, and needs no jargon to act.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import click

from hashstop.cli.case_access import (
    ask,
    check_paths,
    not_kept_note,
    say,
    server_url,
    show_collection,
)
from hashstop.cli.errors import Problem, explain, one_line_errors
from hashstop.client import receipts
from hashstop.client.api_client import CaseClient, CaseClientError, new_idempotency_key
from hashstop.client.collection import collect
from hashstop.client.receipts import Receipt, ReceiptError
from hashstop.i18n import _


@click.command("submit")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--server", metavar="URL", help="The hashstop server (or HASHSTOP_SERVER).")
@click.option("--yes", "-y", is_flag=True, help="Send without asking first.")
@one_line_errors
def submit_command(paths: tuple[str, ...], server: str | None, yes: bool) -> None:
    """Register photos and other files: send their fingerprints (never the files) and open a case.

    Folders are read with everything inside them. You are shown what will be sent and asked
    before anything leaves this computer.
    """
    check_paths(paths)
    url = server_url(server)
    click.echo(_("Reading your files on this computer. Nothing is sent until you agree."))
    collection = collect(paths)
    show_collection(collection, url)
    ask(_("Send these fingerprints now?"), yes, _("Nothing was sent."))

    batches = list(collection.batches())
    with CaseClient(url) as client:
        opened = client.open_case(batches[0], new_idempotency_key())
        receipt = Receipt(
            case_id=opened.case_id,
            secret=opened.secret,
            server=url,
            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
            photos=collection.photos,
            other_files=collection.other_files,
            fingerprints_sent=len(batches[0]),
            fingerprints_kept=opened.accepted,
        )
        saved, save_error = _save(receipt)
        sent, kept, already = len(batches[0]), opened.accepted, opened.duplicates
        unsent: CaseClientError | None = None
        for batch in batches[1:]:
            try:
                added = client.add_hashes(opened.case_id, opened.secret, batch)
            except CaseClientError as exc:
                unsent = exc
                break
            sent, kept, already = (
                sent + len(batch),
                kept + added.accepted,
                already + added.duplicates,
            )
    if len(batches) > 1 and save_error is None:
        saved, save_error = _save(replace(receipt, fingerprints_sent=sent, fingerprints_kept=kept))

    click.echo("")
    click.echo(_("Your case is open."))
    click.echo("")
    labels = (_("Case ID:"), _("Secret:"))
    width = max(len(label) for label in labels) + 2
    click.echo(f"  {labels[0]:<{width}}{opened.case_id}")
    click.echo(f"  {labels[1]:<{width}}{opened.secret}")
    click.echo("")
    say(
        _(
            "Please keep the case ID and the secret somewhere safe, for example in a password "
            "manager or on paper. You need them to check the case or to withdraw it later, and "
            "the server cannot show the secret again. Anyone who has both can withdraw the "
            "case, so share them with no one."
        )
    )
    note = not_kept_note(sent, kept, already)
    if note:
        click.echo("")
        say(note)
    if saved is not None:
        click.echo("")
        click.echo(_("A copy is saved on this computer, readable only by you:"))
        click.echo(f"  {saved}")
    if save_error is not None:
        raise Problem(
            _("%(error)s; write down the case ID and secret shown above", error=save_error)
        )
    if unsent is not None:
        raise Problem(
            _(
                "some fingerprints were not sent (%(reason)s). Run `hashstop add %(case)s ...` "
                "with the same files to send the rest; nothing is sent twice",
                reason=explain(unsent),
                case=opened.case_id,
            )
        )


def _save(receipt: Receipt) -> tuple[Path | None, ReceiptError | None]:
    try:
        return receipts.save(receipt), None
    except ReceiptError as exc:
        return None, exc
