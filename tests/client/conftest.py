"""Fixtures of the victim CLI tests: a really running `hashstop serve`, a victim's folder.

The service is the installed `hashstop` script started as a subprocess on a free loopback port,
with a temporary SQLite database and secret key, once per test session; tests tell their cases
apart by case id. Platform checks go through the real match API with a key made by
`hashstop keys create`.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from PIL import Image

from tests.conftest import CONFORMANCE_DIR
from tests.hashing.generated import scene

HASHSTOP = str(Path(sys.executable).with_name("hashstop"))
SMALL_JPEG = CONFORMANCE_DIR / "images" / "labelme-subset" / "q2821.jpg"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def clean_environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("HASHSTOP_")}


@dataclass
class LiveService:
    url: str
    env: dict[str, str]
    database: Path
    platform_key: str
    log: Path

    def count_cases(self) -> int:
        with sqlite3.connect(f"file:{self.database}?mode=ro", uri=True) as conn:
            return int(conn.execute("SELECT count(*) FROM cases").fetchone()[0])

    def matches(self, algorithm: str, value: str) -> bool:
        query = {"items": [{"ref": "upload", "hashes": [{"algorithm": algorithm, "value": value}]}]}
        answer = httpx.post(
            f"{self.url}/v1/match",
            json=query,
            headers={"Authorization": f"Bearer {self.platform_key}"},
            timeout=10,
        )
        assert answer.status_code == 200, answer.text
        return bool(answer.json()["results"][0]["matched"])


@pytest.fixture(scope="session")
def live_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveService]:
    home = tmp_path_factory.mktemp("service")
    database = home / "hashstop.db"
    env = clean_environment() | {
        "HASHSTOP_DATABASE_URL": f"sqlite:///{database}",
        "HASHSTOP_SECRET_KEY": "client-tests-uP4eW9rK2xN7bM3qZ8vT1yH6jL0dG5fC",
        "HASHSTOP_CASE_CREATIONS_PER_HOUR": "100000",
        "HASHSTOP_HASHES_PER_ADDRESS_PER_HOUR": "100000000",
    }
    port = free_port()
    log = home / "serve.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [HASHSTOP, "serve", "--port", str(port)],
            env=env,
            cwd=home,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, log.read_text()
            try:
                if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the service did not become ready"
            time.sleep(0.1)
        created = subprocess.run(
            [HASHSTOP, "keys", "create", "--role", "platform", "--name", "p", "--platform", "acme"]
            + ["--json"],
            env=env,
            cwd=home,
            capture_output=True,
            text=True,
            check=True,
        )
        yield LiveService(url, env, database, json.loads(created.stdout)["key"], log)
    finally:
        server.terminate()
        server.wait(timeout=20)
    assert "Traceback" not in log.read_text()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The victim's data folder (receipts), empty; no server or secret in the environment."""
    for name in list(os.environ):
        if name.startswith("HASHSTOP_"):
            monkeypatch.delenv(name)
    folder = tmp_path / "victim-data"
    monkeypatch.setenv("HASHSTOP_DATA_DIR", str(folder))
    return folder


def write_scene(path: Path, seed: int) -> Path:
    Image.fromarray(scene(np.random.default_rng(seed), 180, 240)).save(path)
    return path


@pytest.fixture
def mixed_folder(tmp_path: Path) -> Path:
    """A victim's folder: two photos (one nested), a "video", a note, and a damaged photo."""
    root = tmp_path / "to-register"
    (root / "holiday" / "day 2").mkdir(parents=True)
    write_scene(root / "holiday" / "one.png", 1)
    (root / "holiday" / "day 2" / "two.jpg").write_bytes(SMALL_JPEG.read_bytes())
    (root / "clip.mp4").write_bytes(np.random.default_rng(7).bytes(20_000))
    (root / "note.txt").write_text("a note that is not a picture\n")
    (root / "damaged.jpg").write_bytes(SMALL_JPEG.read_bytes()[:2500])
    return root


def receipt_of(data_dir: Path, case_id: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((data_dir / "receipts" / f"{case_id}.json").read_text())
    return data
