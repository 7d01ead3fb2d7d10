"""The `hashstop` command: one entry point for victims (hash, submit), platforms and admins.

Each area registers its own commands here; every failure is one clear line on stderr and a
non-zero exit, never a traceback. Command modules import their heavy libraries (Pillow, FastAPI,
SQLAlchemy) only when their command runs, so `hashstop --help` stays instant.
"""

from __future__ import annotations

import click

from hashstop import __version__, i18n
from hashstop.cli.allowlist import allowlist
from hashstop.cli.bank import bank
from hashstop.cli.case import COMMANDS as CASE_COMMANDS
from hashstop.cli.files import export_command, import_command
from hashstop.cli.hash import hash_command
from hashstop.cli.push import push
from hashstop.cli.server import COMMANDS as SERVER_COMMANDS
from hashstop.cli.submit import submit_command
from hashstop.cli.subscribe import subscribe


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="hashstop")
def main() -> None:
    """hashstop: stop the recirculation of intimate images, with fingerprints only."""
    # The victim's messages speak the terminal's language (LANGUAGE, LC_ALL, LC_MESSAGES, LANG);
    # options' help and the server's commands are English.
    i18n.set_language(i18n.terminal_language())


main.add_command(hash_command)
main.add_command(submit_command)
for _command in CASE_COMMANDS:  # status, add, withdraw
    main.add_command(_command)
for _command in SERVER_COMMANDS:  # serve, db upgrade, keys create/list/revoke
    main.add_command(_command)
main.add_command(allowlist)  # hashstop allowlist add/list/remove (issue 6)
main.add_command(export_command)  # hashstop export / import (issue 17)
main.add_command(import_command)
main.add_command(subscribe)  # hashstop subscribe add/fetch/feedback (issue 17)
main.add_command(push)  # hashstop push hma (issue 17)
main.add_command(bank)  # hashstop bank list/republish (issue 17)
