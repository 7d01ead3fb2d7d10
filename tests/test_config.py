import os
import stat

import pytest
from pydantic import ValidationError

from hashstop.config import Settings

STRONG = "strong-Vb8Kq2Wz7Rm4Tx9Lp3Nc6Hj1Fd5Gs0Ya"


def test_the_embedded_default_needs_no_configuration(tmp_path):
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'h.db'}")
    assert settings.is_development
    key = settings.secret_key_bytes
    key_file = tmp_path / "h.db.secret-key"
    assert len(key) >= 32 and key_file.read_text().strip().encode() == key
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    # Generated once: a second start reads the same key.
    assert Settings(database_url=f"sqlite:///{tmp_path / 'h.db'}").secret_key_bytes == key


def test_production_requires_a_strong_secret_key():
    url = "postgresql+psycopg://u@127.0.0.1/db"
    with pytest.raises(ValidationError, match="HASHSTOP_SECRET_KEY is required"):
        Settings(database_url=url)
    for weak in ("changeme", "secret", "short-but-random-9f8e"):
        with pytest.raises(ValidationError, match="too weak"):
            Settings(database_url=url, secret_key=weak)
    assert Settings(database_url=url, secret_key=STRONG).secret_key_bytes == STRONG.encode()


def test_settings_come_from_hashstop_environment_variables(monkeypatch):
    monkeypatch.setenv("HASHSTOP_DATABASE_URL", "postgresql+psycopg://u@127.0.0.1/db")
    monkeypatch.setenv("HASHSTOP_SECRET_KEY", STRONG)
    monkeypatch.setenv("HASHSTOP_MAX_DISTANCE_PDQ", "20")
    monkeypatch.setenv("HASHSTOP_LOG_LEVEL", "warning")
    settings = Settings()
    assert settings.max_distance_pdq == 20 and settings.log_level == "WARNING"
    assert not settings.is_development


@pytest.mark.parametrize(
    "overrides",
    [
        {"database_url": "mysql://x/y"},
        {"sync_interval": 2.0},
        {"default_distance_phash": 8, "max_distance_phash": 6},
    ],
)
def test_nonsense_is_refused(tmp_path, overrides):
    with pytest.raises(ValidationError):
        Settings(**{"database_url": f"sqlite:///{tmp_path / 'h.db'}", **overrides})
