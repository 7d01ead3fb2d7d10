"""`hashstop export` and `hashstop import`: the hash list as files pytx and HMA read, on the server.

Run against HASHSTOP_DATABASE_URL as the command line's admin (`cli` in the audit log). Export
writes the active hashes in pytx's dataset CSV, its local-file lines, or bare values; import
reads the same forms into a named bank (`service/banks.py`).
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from hashstop.cli.database import in_transaction, require_server
from hashstop.cli.errors import Problem, one_line_errors

FORMAT_HELP = (
    "csv: pytx's dataset CSV; lines: `<signal_type> <hash>` per line (pytx's local file); "
    "values: one bare hash per line (needs --algorithm)"
)
FORMAT = click.Choice(["csv", "lines", "values"])
ALGORITHM = click.Choice(["pdq", "phash", "md5", "sha256"])


@click.command("export")
@click.option("--format", "fmt", type=FORMAT, default="csv", show_default=True, help=FORMAT_HELP)
@click.option("--algorithm", type=ALGORITHM, help="Only this algorithm.")
@click.option("--collab", default="hashstop", show_default=True, help="The CSV's collab column.")
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="A file (default stdout).")
@one_line_errors
def export_command(fmt: str, algorithm: str | None, collab: str, output: str | None) -> None:
    """Write the active hashes in a form pytx and HMA read (admin, audited)."""
    require_server()
    from hashstop.service.actors import CLI
    from hashstop.service.banks import export_hashes

    lines = in_transaction(
        lambda session, _: export_hashes(session, CLI, fmt, algorithm=algorithm, collab=collab)
    )
    text = "".join(line + "\n" for line in lines)
    if output is None:
        sys.stdout.write(text)
        return
    try:
        with open(output, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as exc:
        raise Problem(f"cannot write {output}: {exc.strerror}") from None
    count = len(lines) - (1 if fmt == "csv" else 0)
    click.echo(f"Wrote {count} hash(es) to {output}.", err=True)


@click.command("import")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--bank", required=True, help="The bank to add them to (made if missing).")
@click.option("--format", "fmt", type=FORMAT, default="csv", show_default=True, help=FORMAT_HELP)
@click.option("--algorithm", type=ALGORITHM, help="The values' algorithm (or only this one).")
@click.option(
    "--republish/--no-republish",
    default=None,
    help="A new bank's republishing policy (default off: its values stay out of the feeds, "
    "they match either way); `hashstop bank republish` changes it later.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@one_line_errors
def import_command(
    path: str,
    bank: str,
    fmt: str,
    algorithm: str | None,
    republish: bool | None,
    as_json: bool,
) -> None:
    """Add the hashes of a file (pytx's forms) to a named bank (admin, audited)."""
    require_server()
    from hashstop.service.actors import CLI
    from hashstop.service.banks import import_hashes
    from hashstop.service.screening import MatchDistances

    try:
        with open(path, encoding="utf-8", newline="") as f:
            lines = f.read().splitlines()
    except OSError as exc:
        raise Problem(f"cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise Problem(f"{path} is not a text file (UTF-8)") from None

    def run(session: Any, settings: Any) -> Any:
        distances = MatchDistances(pdq=settings.max_distance_pdq, phash=settings.max_distance_phash)
        return import_hashes(
            session,
            CLI,
            lines,
            fmt,
            bank,
            algorithm=algorithm,
            distances=distances,
            republish=republish,
        )

    result = in_transaction(run)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "bank": result.bank,
                    "accepted": result.accepted,
                    "duplicates": result.duplicates,
                    "rejected": [{"line": r.index, "reason": r.reason} for r in result.rejected],
                }
            )
        )
        return
    click.echo(
        f"Bank {result.bank}: {result.accepted} hash(es) added, {result.duplicates} duplicate(s), "
        f"{len(result.rejected)} line(s) refused."
    )
    for r in result.rejected[:20]:
        click.echo(f"  line {r.index}: {r.reason}", err=True)
