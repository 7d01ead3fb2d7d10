"""Attack 10 of issue 12: weak secret keys are refused everywhere, with one clear line.

The red team found that an empty `hashstop.db.secret-key` file, or `HASHSTOP_SECRET_KEY=""`,
silently gave an empty HMAC key (every case secret and API key then an HMAC anyone can compute),
and that PostgreSQL checked only a key's length. Here each of those keys is refused: by
`Settings`, by the CLI (one line, exit 1) and by `hashstop serve` before it listens.
"""

from __future__ import annotations

import secrets

import pytest
from click.testing import CliRunner
from pydantic import ValidationError

from hashstop.cli import main
from hashstop.config import Settings, SettingsError, secret_weakness
from hashstop.service.keys import KeyService
from hashstop.service.tokens import Keyring
from hashstop.storage.database import Database, upgrade

PG_URL = "postgresql+psycopg://u@127.0.0.1/db"
WEAK = {
    "": "empty",
    "   ": "empty",
    "short-but-random-9f8e": "fewer than 32",
    "a" * 64: "entropy",
    "test-only-" + "k" * 40: "entropy",
    "changeme" * 5: "repeats",
    "0123456789abcdef" * 3: "sequence",
    "abcdefghijklmnopqrstuvwxyz0123456789": "sequence",
}


@pytest.mark.parametrize("url", [PG_URL, "sqlite:///./ignored.db"])
@pytest.mark.parametrize("weak", list(WEAK))
def test_a_weak_key_in_the_environment_is_refused_on_every_database(url, weak, monkeypatch):
    monkeypatch.setenv("HASHSTOP_DATABASE_URL", url)
    monkeypatch.setenv("HASHSTOP_SECRET_KEY", weak)
    with pytest.raises(ValidationError, match="too weak") as raised:
        Settings()
    assert WEAK[weak] in str(raised.value)


def test_random_keys_of_the_usual_generators_are_accepted():
    # The weakness rule (cheap) sees 6,000 random keys; Settings (about 10 ms each, pydantic
    # reads the environment) sees the first 60 of them, enough to show it applies the same rule.
    for round_ in range(2000):
        for key in (secrets.token_hex(16), secrets.token_urlsafe(24), secrets.token_urlsafe(48)):
            assert secret_weakness(key) is None, key
            if round_ < 20:
                settings = Settings(database_url=PG_URL, secret_key=key)
                assert settings.secret_key_bytes == key.encode()


@pytest.mark.parametrize("content", ["", "\n", "x" * 48 + "\n", "short\n"])
def test_an_unusable_key_file_is_refused_not_used(tmp_path, content):
    db = tmp_path / "hashstop.db"
    key_file = tmp_path / "hashstop.db.secret-key"
    key_file.write_text(content)
    settings = Settings(database_url=f"sqlite:///{db}")
    with pytest.raises(SettingsError, match="secret key file .* is not usable"):
        _ = settings.secret_key_bytes
    assert key_file.read_text() == content  # never replaced: the admin decides


def test_the_attack_an_empty_key_file_no_longer_gives_an_empty_hmac_key(tmp_path, monkeypatch):
    """The red team's steps: an empty key file, then a key made and checked with the CLI."""
    db = tmp_path / "hashstop.db"
    url = f"sqlite:///{db}"
    upgrade(url)
    (tmp_path / "hashstop.db.secret-key").write_text("")
    monkeypatch.setenv("HASHSTOP_DATABASE_URL", url)
    monkeypatch.delenv("HASHSTOP_SECRET_KEY", raising=False)
    for args in (
        ["keys", "create", "--role", "admin", "--name", "root"],
        ["serve", "--port", "1"],
    ):
        result = CliRunner().invoke(main, args)
        lines = result.output.strip().splitlines()
        assert result.exit_code == 1, result.output
        assert len(lines) == 1 and "secret key file" in lines[0] and "empty" in lines[0], lines
    # No key was made under the empty HMAC key.
    database = Database(url, pool_size=1)
    try:
        with database.transaction() as session:
            assert KeyService(session, Keyring(b"")).list() == []
    finally:
        database.dispose()


def test_the_cli_says_why_in_one_line(monkeypatch):
    monkeypatch.setenv("HASHSTOP_DATABASE_URL", PG_URL)
    monkeypatch.setenv("HASHSTOP_SECRET_KEY", "a" * 40)
    result = CliRunner().invoke(main, ["keys", "list"])
    lines = result.output.strip().splitlines()
    assert result.exit_code == 1 and len(lines) == 1
    assert "HASHSTOP_SECRET_KEY is too weak" in lines[0] and "token_urlsafe" in lines[0]
