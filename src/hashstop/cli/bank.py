"""`hashstop bank list|republish`: banks' republishing policy (issue 17).

A bank (imported with `hashstop import`, or following an exchange with `hashstop subscribe`)
holds another exchange's hashes: they match, but their values go out in the feeds
(`/v1/hashlist`, the StopNCII-shaped feed, `hashstop export`, `hashstop push hma`) only while
the bank's republishing is on. It is off unless the bank was made with `--republish`; an admin
changes it here (audited as `bank.republish_changed`, with the number of hashes, never values).
"""

from __future__ import annotations

import json

import click

from hashstop.cli.database import in_transaction, require_server
from hashstop.cli.errors import one_line_errors


@click.group("bank")
def bank() -> None:
    """Banks of other exchanges' hashes: whether their values are published."""
    require_server()


@bank.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@one_line_errors
def bank_list(as_json: bool) -> None:
    """The banks and their republishing policy (admin)."""
    from hashstop.service.actors import CLI
    from hashstop.service.banks import bank_policies

    rows = in_transaction(lambda session, _: bank_policies(session, CLI))
    if as_json:
        click.echo(json.dumps([{"bank": name, "republish": on} for name, on in rows]))
        return
    for name, on in rows:
        click.echo(f"{name}\t{'republished' if on else 'not republished'}")


@bank.command("republish")
@click.argument("name")
@click.option(
    "--on/--off",
    "republish",
    required=True,
    default=None,
    help="Publish the bank's values in the feeds, or stop (followers delete their copies).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@one_line_errors
def bank_republish(name: str, republish: bool, as_json: bool) -> None:
    """Turn a bank's republishing on or off (admin, audited)."""
    from hashstop.service.actors import CLI
    from hashstop.service.banks import set_republish

    count = in_transaction(lambda session, _: set_republish(session, CLI, name, republish))
    if as_json:
        click.echo(json.dumps({"bank": name, "republish": republish, "hashes": count}))
        return
    state = "republished" if republish else "not republished"
    click.echo(f"Bank {name} is {state}; {count} hash(es) announced to followers.")
