"""The `hashstop` command: one entry point for victims (hash, submit), platforms and admins.

Each area registers its own commands here; every failure is one clear line on stderr and a
non-zero exit, never a traceback.
"""

from __future__ import annotations

import click

from hashstop import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="hashstop")
def main() -> None:
    """hashstop: stop the recirculation of intimate images, with fingerprints only."""


# The service's commands (issue 4): serve, db upgrade, keys create/list/revoke.
from hashstop.server_commands import COMMANDS as _SERVER_COMMANDS  # noqa: E402

for _command in _SERVER_COMMANDS:
    main.add_command(_command)
