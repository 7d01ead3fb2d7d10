"""`hashstop allowlist add|list|remove`: the allowlist of known benign pictures, on the server.

The same use cases as `/v1/admin/allowlist`, run against HASHSTOP_DATABASE_URL with the actor
`cli` in the audit log. `add --image PATH` hashes the picture here (every hash a client could
derive from it) and allowlists them as one picture; `--print-hashes` only prints them, for the
API or the /review page. Adding suspends every stored photo that now screens as allowlisted and
says how many. Every failure is one line and a non-zero exit.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import click

from hashstop.cli.database import in_transaction, require_server
from hashstop.cli.errors import Problem, one_line_errors


def _run(action: Callable[[Any, Any], Any]) -> Any:
    """`action(session, distances)` in one transaction, as the command line's admin."""
    from hashstop.service.screening import MatchDistances

    def run(session: Any, settings: Any) -> Any:
        distances = MatchDistances(pdq=settings.max_distance_pdq, phash=settings.max_distance_phash)
        return action(session, distances)

    return in_transaction(run)


def _entry_dict(entry: Any) -> dict[str, Any]:
    return {
        "id": entry.id,
        "algorithm": entry.algorithm,
        "value": entry.value.hex(),
        "reason": entry.reason,
        "created_by": entry.created_by,
        "created_at": entry.created_at.isoformat(),
        "picture_id": entry.picture_id,
    }


@click.group("allowlist")
def allowlist() -> None:
    """Manage the allowlist of known benign hashes (news photos, memes)."""
    require_server()


@allowlist.command("add")
@click.option(
    "--image",
    type=click.Path(dir_okay=False),
    help="A benign picture: every hash a client could derive from it is allowlisted "
    "(computed here; the image goes nowhere).",
)
@click.option("--algorithm", type=click.Choice(["pdq", "phash", "md5", "sha256"]))
@click.option("--value", help="A single hash in hex (with --algorithm), instead of --image.")
@click.option("--reason", help="What the picture is, for the audit log.")
@click.option(
    "--print-hashes",
    is_flag=True,
    help="With --image: print the picture's hashes as JSON (the body of "
    "POST /v1/admin/allowlist/pictures, or the /review allowlist form) and add nothing.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@one_line_errors
def allowlist_add(
    image: str | None,
    algorithm: str | None,
    value: str | None,
    reason: str | None,
    print_hashes: bool,
    as_json: bool,
) -> None:
    """Allowlist a picture (--image) or one hash; stored photos near it are suspended."""
    if image is not None and (algorithm or value):
        raise Problem("give --image, or --algorithm with --value, not both")
    if image is None and not (algorithm and value):
        raise Problem("give --image PATH, or --algorithm and --value")
    one_algorithm, one_value = algorithm or "", value or ""
    if image is not None:
        from hashstop.hashing import HashingError
        from hashstop.hashing.picture import picture_hashes

        try:
            hashes = picture_hashes(image)
        except HashingError as exc:
            raise Problem(f"{image}: {exc}") from None
        if print_hashes:
            click.echo(json.dumps([{"algorithm": a, "value": v} for a, v in hashes]))
            return
        if not reason:
            raise Problem("--reason is required: say what the picture is")
        _add_picture(hashes, reason, as_json)
        return
    if not reason:
        raise Problem("--reason is required: say what the picture is")
    from hashstop.service.actors import CLI
    from hashstop.service.allowlist import add_entry

    def add(session: Any, distances: Any) -> dict[str, Any]:
        added = add_entry(
            session,
            algorithm=one_algorithm,
            value=one_value,
            reason=reason,
            actor=CLI,
            distances=distances,
        )
        return {**_entry_dict(added.entry), "suspended": added.suspended}

    result = _run(add)
    if as_json:
        click.echo(json.dumps(result))
        return
    click.echo(
        f"Added allowlist entry {result['id']} ({algorithm}); "
        f"{len(result['suspended'])} stored hash(es) of photos near it suspended."
    )


def _add_picture(hashes: list[tuple[str, str]], reason: str, as_json: bool) -> None:
    from hashstop.service.actors import CLI
    from hashstop.service.allowlist import add_picture

    def add(session: Any, distances: Any) -> dict[str, Any]:
        added = add_picture(session, hashes=hashes, reason=reason, actor=CLI, distances=distances)
        return {
            "picture_id": added.picture.id,
            "entries": len(added.entries),
            "photos_suspended": added.photos,
            "suspended": added.suspended,
        }

    result = _run(add)
    if as_json:
        click.echo(json.dumps(result))
        return
    click.echo(
        f"Allowlisted picture {result['picture_id']} as {result['entries']} hashes; "
        f"{result['photos_suspended']} stored photo(s) near it suspended "
        f"({len(result['suspended'])} hashes)."
    )


@allowlist.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@one_line_errors
def allowlist_list(as_json: bool) -> None:
    """List the allowlist entries."""
    from hashstop.service.actors import CLI
    from hashstop.service.allowlist import list_entries

    rows = _run(lambda session, _: [_entry_dict(e) for e in list_entries(session, CLI)])
    if as_json:
        click.echo(json.dumps(rows))
        return
    if not rows:
        click.echo("The allowlist is empty.")
        return
    click.echo(f"{'ID':>6}  {'ALGORITHM':<9} {'ADDED':<19}  REASON")
    for r in rows:
        click.echo(f"{r['id']:>6}  {r['algorithm']:<9} {r['created_at'][:19]:<19}  {r['reason']}")


@allowlist.command("remove")
@click.argument("entry_id", type=click.IntRange(1))
@click.option("--reason", required=True, help="Why, for the audit log.")
@one_line_errors
def allowlist_remove(entry_id: int, reason: str) -> None:
    """Remove an entry (hashes it suspended stay suspended until a moderator restores them)."""
    from hashstop.service.actors import CLI
    from hashstop.service.allowlist import remove_entry

    _run(lambda session, _: remove_entry(session, entry_id, reason=reason, actor=CLI))
    click.echo(f"Removed allowlist entry {entry_id}.")
