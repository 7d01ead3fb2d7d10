"""The one-command start: `hashstop serve` on a fresh SQLite database, as a real process."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests import sample_hashes

HASHSTOP = str(Path(sys.executable).parent / "hashstop")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
@pytest.mark.parametrize("workers", [1, 2])
def test_serve_starts_the_whole_service_with_one_command(tmp_path, workers):
    env = {k: v for k, v in os.environ.items() if not k.startswith("HASHSTOP_")} | {
        "HASHSTOP_DATABASE_URL": f"sqlite:///{tmp_path / 'hashstop.db'}"
    }
    port = free_port()
    server = subprocess.Popen(
        [HASHSTOP, "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120  # a loaded shared machine imports slowly
        while True:
            assert server.poll() is None, server.stdout.read() if server.stdout else ""
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not become ready"
            time.sleep(0.1)
        key = json.loads(
            subprocess.run(
                [
                    HASHSTOP,
                    "keys",
                    "create",
                    "--role",
                    "platform",
                    "--name",
                    "p",
                    "--platform",
                    "acme",
                    "--json",
                ],
                env=env,
                cwd=tmp_path,
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        )["key"]
        opened = httpx.post(f"{base}/v1/cases", json={"hashes": [sample_hashes.pdq_entry(1)]})
        assert opened.status_code == 201
        query = {
            "items": [{"ref": "r", "hashes": [{"algorithm": "pdq", "value": sample_hashes.pdq(1)}]}]
        }
        headers = {"Authorization": f"Bearer {key}"}
        # With two workers the other one learns of the new case within its poll interval.
        deadline = time.monotonic() + 5
        matched = 0
        while matched < 4 and time.monotonic() < deadline:
            result = httpx.post(f"{base}/v1/match", json=query, headers=headers).json()
            matched = matched + 1 if result["results"][0]["matched"] else 0
        assert matched == 4
        key_file = tmp_path / "hashstop.db.secret-key"
        assert key_file.stat().st_mode & 0o777 == 0o600
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=20)
    assert f"listening on http://127.0.0.1:{port}" in output
    assert "hashstop keys create --role platform" in output
    assert "Traceback" not in output
    assert sample_hashes.pdq(1) not in output and key not in output
