"""`hashstop keys ...` and `hashstop db upgrade`: output, exit codes, one-line errors."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from hashstop.cli import main
from hashstop.storage.database import current_revision, head_revision


@pytest.fixture
def run(monkeypatch, database_url):
    from tests.service_fixtures import TEST_SECRET_KEY

    monkeypatch.setenv("HASHSTOP_DATABASE_URL", database_url)
    monkeypatch.setenv("HASHSTOP_SECRET_KEY", TEST_SECRET_KEY)

    def invoke(*args):
        return CliRunner().invoke(main, list(args))

    return invoke


def test_keys_create_list_revoke(run):
    created = run(
        "keys",
        "create",
        "--role",
        "platform",
        "--name",
        "acme-prod",
        "--platform",
        "acme",
        "--json",
    )
    assert created.exit_code == 0, created.output
    key = json.loads(created.stdout)
    assert key["key"].startswith("hsk_") and key["role"] == "platform" and key["platform"] == "acme"
    text = run("keys", "create", "--role", "moderator", "--name", "mod")
    assert text.exit_code == 0 and "shown only now" in text.output
    listed = run("keys", "list")
    assert "acme-prod" in listed.output and "mod" in listed.output
    assert key["key"] not in listed.output
    assert run("keys", "revoke", "acme-prod").exit_code == 0
    rows = json.loads(run("keys", "list", "--json").stdout)
    assert {r["name"]: bool(r["revoked_at"]) for r in rows} == {"acme-prod": True, "mod": False}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("keys", "create", "--role", "platform", "--name", "x"), "needs --platform"),
        (("keys", "revoke", "nobody"), "no key named 'nobody'"),
        (("keys", "create", "--role", "admin", "--name", "bad name"), "key name"),
    ],
)
def test_errors_are_one_line_and_exit_non_zero(run, args, message):
    result = run(*args)
    assert result.exit_code != 0
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and message in lines[0]


def test_db_upgrade_reports_the_revision(run, database_url):
    result = run("db", "upgrade")
    assert result.exit_code == 0 and head_revision() in result.output
    assert current_revision(database_url) == head_revision()


def test_production_without_a_strong_secret_key_is_refused(monkeypatch):
    monkeypatch.setenv("HASHSTOP_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1/x")
    monkeypatch.delenv("HASHSTOP_SECRET_KEY", raising=False)
    result = CliRunner().invoke(main, ["db", "upgrade"])
    assert result.exit_code == 1 and "HASHSTOP_SECRET_KEY is required" in result.output
    monkeypatch.setenv("HASHSTOP_SECRET_KEY", "changeme")
    result = CliRunner().invoke(main, ["keys", "list"])
    assert result.exit_code == 1 and "too weak" in result.output


def test_keys_name_the_database_on_stderr(run, database_url):
    result = run("keys", "list", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == []  # stdout stays JSON
    assert result.stderr.startswith("Database: ")
    if database_url.startswith("sqlite"):
        from hashstop.config import Settings

        assert str(Settings(database_url=database_url).sqlite_path) in result.stderr


def test_keys_refuse_to_create_a_database_elsewhere(monkeypatch, tmp_path):
    """`hashstop keys create` in another directory must not make a second, empty database."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("HASHSTOP_DATABASE_URL", raising=False)
    monkeypatch.delenv("HASHSTOP_SECRET_KEY", raising=False)
    result = CliRunner().invoke(
        main, ["keys", "create", "--role", "admin", "--name", "someone", "--json"]
    )
    assert result.exit_code == 1
    assert f"there is no database at {tmp_path / 'hashstop.db'}" in result.output
    assert "hashstop db upgrade" in result.output
    assert not (tmp_path / "hashstop.db").exists()
    assert list(tmp_path.iterdir()) == []
