"""`hashstop hash`: fingerprint files and folders on the victim's own device.

Nothing leaves the machine here: the command reads files, prints their hashes, and stops. It
walks folders recursively in a stable sorted order, goes on past a file it cannot hash (that
file gets an error instead of hashes, and the exit status is 1), and never prints a traceback.
A path that does not exist stops the run before anything is hashed (exit status 2): it is
usually a typo, and a partial list of hashes would be easy to mistake for a complete one.
"""

from __future__ import annotations

import json
import os
import sys

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from hashstop.client.collection import DESCRIPTION, video_progress
from hashstop.client.fingerprints import Outcome, files_under, hash_one, printable
from hashstop.hashing.facts import FACTS
from hashstop.i18n import _, ngettext


def _hash_lines(outcome: Outcome, dihedral: bool) -> str:
    from hashstop.hashing import DIHEDRAL_ORDER

    hashes = outcome.hashes
    assert hashes is not None  # noqa: S101 - only called for hashed files  # nosec B101
    rows: list[tuple[str, str]] = []
    if hashes.pdq is not None:
        rows.append(("PDQ", hashes.pdq.hex))
        if dihedral and hashes.pdq_dihedral is not None:
            turns = zip(DIHEDRAL_ORDER[1:], hashes.pdq_dihedral[1:], strict=True)
            rows.extend((f"PDQ {turn}", value.hex) for turn, value in turns)
    if hashes.phash is not None:
        rows.append(("pHash", hashes.phash.hex))
    if hashes.vpdq is not None:
        rows.extend((f"frame {f.frame} q{f.quality}", f.pdq.hex) for f in hashes.vpdq)
    rows.append(("MD5", hashes.md5.hex))
    rows.append(("SHA-256", hashes.sha256.hex))
    if outcome.variants is not None:
        if not outcome.variants and hashes.kind == "image":
            rows.append(
                ("stored", f"none: too little detail (PDQ quality under {FACTS.min_pdq_quality})")
            )
        rows.extend((f"stored {v.name} q{v.quality}", v.pdq.hex) for v in outcome.variants)
    if outcome.query is not None:
        rows.extend(
            (f"query {i} {algorithm}", value)
            for i, (algorithm, value) in enumerate(outcome.query, start=1)
        )
    width = max(len(label) for label, _value in rows) + 2
    return "\n".join(f"{label:<{width}}{value}" for label, value in rows)


def _table(outcomes: list[Outcome], dihedral: bool) -> Table:
    """One row per file: its name, kind, PDQ quality and its hashes, one per line."""
    table = Table(show_lines=True)
    table.add_column("file", overflow="fold", ratio=1)
    table.add_column("kind")
    table.add_column("quality", justify="right")
    table.add_column("hashes", overflow="fold", min_width=30)
    for outcome in outcomes:
        name = Text(printable(outcome.path))
        if outcome.hashes is None:
            table.add_row(
                name, Text("error", style="red"), "", Text(outcome.error or "", style="red")
            )
            continue
        h = outcome.hashes
        quality = "" if h.pdq_quality is None else str(h.pdq_quality)
        table.add_row(name, h.kind, quality, Text(_hash_lines(outcome, dihedral)))
    return table


@click.command("hash")
@click.argument("paths", nargs=-1, required=True, type=click.Path(dir_okay=True))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per file and line.")
@click.option(
    "--full-resolution",
    is_flag=True,
    help="Hash every pixel of large photos too (bit-exact with the reference, slower).",
)
@click.option("--dihedral", is_flag=True, help="Add the PDQ hashes of the 8 rotations and flips.")
@click.option(
    "--variants",
    is_flag=True,
    help="Add the PDQ hashes a victim's client stores for each photo (crops, mirror, turns).",
)
@click.option(
    "--query",
    is_flag=True,
    help="Add the hashes a platform sends to /v1/match for each file (borders removed, turns).",
)
@click.option(
    "--seconds-per-hash",
    type=click.FloatRange(0, 3600),
    default=1.0,
    show_default=True,
    help="Videos: hash one frame each this many seconds (0: every frame).",
)
def hash_command(
    paths: tuple[str, ...],
    as_json: bool,
    full_resolution: bool,
    dihedral: bool,
    variants: bool,
    query: bool,
    seconds_per_hash: float,
) -> None:
    """Print the fingerprints of files and folders (recursively); nothing is sent anywhere.

    Images get PDQ (with its quality, 0-100) and pHash; videos vPDQ (`vpdq` in JSON: frame,
    quality, pdq, timestamp; one frame a second, --seconds-per-hash); every file gets MD5 and
    SHA-256.
    --variants adds the stored variants of each photo (`variants` in JSON: name, pdq,
    pdq_quality); --query the hashes to match an upload with (`query_hashes`: algorithm, value).
    """
    missing = [p for p in paths if not os.path.lexists(p)]
    if missing:
        for path in missing:
            click.echo(
                _("hashstop hash: no such file or folder: %(path)s", path=printable(path)), err=True
            )
        sys.exit(2)
    items = files_under(paths)
    stderr = Console(stderr=True)
    # Full hashes on one line each when printing to a file or pipe; fold to a terminal's width.
    out = None if as_json else Console(width=None if sys.stdout.isatty() else 160)
    outcomes: list[Outcome] = []
    progress = Progress(
        TextColumn(DESCRIPTION),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=stderr,
        transient=True,
        disable=not sys.stderr.isatty(),
    )
    try:
        with progress:
            task = progress.add_task(_("hashing"), total=len(items))
            for item in items:
                if isinstance(item, Outcome):
                    outcome = item
                else:
                    with video_progress(progress) as report:
                        outcome = hash_one(
                            item,
                            full_resolution,
                            dihedral,
                            variants=variants,
                            query=query,
                            seconds_per_hash=seconds_per_hash,
                            progress=report,
                        )
                outcomes.append(outcome)
                if as_json:
                    click.echo(json.dumps(outcome.as_json()))
                progress.advance(task)
    except KeyboardInterrupt:
        click.echo(_("hashstop hash: interrupted"), err=True)
        sys.exit(130)
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, without a flush error at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
    if out is not None:
        out.print(_table(outcomes, dihedral))
    failed = sum(1 for o in outcomes if o.error is not None)
    if failed:
        click.echo(
            ngettext(
                "hashstop hash: %(failed)s of %(num)s file could not be hashed",
                "hashstop hash: %(failed)s of %(num)s files could not be hashed",
                len(outcomes),
                failed=failed,
            ),
            err=True,
        )
        sys.exit(1)
