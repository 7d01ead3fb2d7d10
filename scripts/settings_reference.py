"""The operators' configuration reference, made from the `Settings` class (one row per setting).

    .venv/bin/python -m scripts.settings_reference           # print the table
    .venv/bin/python -m scripts.settings_reference --write   # put it into docs/operators.md

The table sits in docs/operators.md between `<!-- settings-reference -->` and
`<!-- /settings-reference -->`. `tests/test_deployment.py` fails when that table differs
from what this makes, so a new setting (or a changed default) cannot miss the docs: describe
it with a docstring under the field in `src/hashstop/config.py`, then run `--write`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pydantic.fields import FieldInfo

from hashstop.config import Settings

README = Path(__file__).resolve().parent.parent / "docs" / "operators.md"
START = "<!-- settings-reference -->"
END = "<!-- /settings-reference -->"


def _default(field: FieldInfo) -> str:
    value = field.default
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    return f"`{value}`"


def table() -> str:
    """The Markdown table: variable, default, meaning."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    prefix = str(Settings.model_config.get("env_prefix", "")).upper()
    for name, field in Settings.model_fields.items():
        description = " ".join((field.description or "").split()).replace("|", "\\|")
        if not description:
            raise SystemExit(f"Settings.{name} has no docstring: describe it in config.py")
        rows.append(f"| `{prefix}{name.upper()}` | {_default(field)} | {description} |")
    return "\n".join(rows)


def block() -> str:
    return f"{START}\n{table()}\n{END}"


def readme_block(text: str) -> str | None:
    start, end = text.find(START), text.find(END)
    if start < 0 or end < start:
        return None
    return text[start : end + len(END)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help="update docs/operators.md in place")
    args = parser.parse_args()
    if not args.write:
        sys.stdout.write(table() + "\n")
        return 0
    text = README.read_text()
    current = readme_block(text)
    if current is None:
        raise SystemExit(f"docs/operators.md has no {START} ... {END} block to fill")
    README.write_text(text.replace(current, block()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
