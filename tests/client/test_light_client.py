"""`pip install hashstop` is the victim's light client; the service is the `server` extra.

The package's own dependencies are what hashing and submitting need; everything of the service
is in `server`, and the tests install both (`test` includes `hashstop[server]`). Run where the
service is not installed, every server command says so in one line, with the command that
installs it. (Install sizes and the per-platform wheel checks: docs/developers.md.)
"""

from __future__ import annotations

import subprocess
import sys
import tomllib

import pytest

from tests.conftest import REPO_ROOT

PYPROJECT = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
SERVER_ONLY = {
    "numba",
    "fastapi",
    "uvicorn",
    "sqlalchemy",
    "alembic",
    "psycopg",
    "pydantic",
    "pydantic-settings",
    "prometheus-client",
    "jinja2",
    "python-multipart",
    "fastapi-offline",
}


def _names(requirements: list[str]) -> set[str]:
    names = set()
    for requirement in requirements:
        name = requirement.split(";")[0]
        for mark in "<>=![ ":
            name = name.split(mark)[0]
        names.add(name.strip().lower())
    return names


def test_the_client_depends_on_nothing_of_the_service():
    client = _names(PYPROJECT["project"]["dependencies"])
    server = _names(PYPROJECT["project"]["optional-dependencies"]["server"])
    assert client & SERVER_ONLY == set()
    assert server >= SERVER_ONLY
    assert "hashstop[server]" in PYPROJECT["project"]["optional-dependencies"]["test"]


@pytest.mark.parametrize(
    "command",
    [
        ["serve"],
        ["db", "upgrade"],
        ["keys", "list"],
        ["keys", "create", "--role", "admin", "--name", "x"],
        ["allowlist", "list"],
    ],
)
def test_a_server_command_without_the_server_says_how_to_get_it(tmp_path, command):
    # The service's libraries made unimportable, as in a `pip install hashstop` environment.
    code = (
        "import sys\n"
        "for name in ('fastapi', 'uvicorn', 'sqlalchemy', 'numba'): sys.modules[name] = None\n"
        "from hashstop.cli import main\n"
        "main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, *command],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "HASHSTOP_DATA_DIR": str(tmp_path)},
    )
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr == (
        "Error: this command runs the hashstop service, which is not installed here "
        "(missing: fastapi, uvicorn, sqlalchemy, numba): pip install 'hashstop[server]'\n"
    )
    assert not list(tmp_path.glob("*.db")), "nothing was created"
