"""`hashstop serve` as a container runs it: `--migrate` on a fresh PostgreSQL database, and the
client address taken from X-Forwarded-For when the proxy is trusted (the rate limit counts it)."""

from __future__ import annotations

import subprocess

import httpx
import pytest

from tests import sample_hashes
from tests.reliability.server import HASHSTOP, ServerProcess, server_env


@pytest.mark.slow
@pytest.mark.postgres
def test_serve_migrates_postgresql_and_trusts_the_proxy_for_client_addresses(
    tmp_path, blank_postgres_url
):
    env = server_env(blank_postgres_url, HASHSTOP_CASE_CREATIONS_PER_HOUR="1")
    server = ServerProcess(env, 1, tmp_path / "server.log", tmp_path, ("--migrate",))
    try:
        refused = subprocess.run(
            [HASHSTOP, "serve", "--port", "1"], env=env, capture_output=True, text=True, timeout=60
        )
        assert refused.returncode == 1 and "hashstop db upgrade" in refused.stderr
        server.start()
        server.wait_ready()
        body = {"hashes": [sample_hashes.pdq_entry(1)]}

        def open_from(address: str) -> int:
            headers = {"X-Forwarded-For": address, "X-Forwarded-Proto": "https"}
            return httpx.post(f"{server.base}/v1/cases", json=body, headers=headers).status_code

        assert open_from("203.0.113.1") == 201
        assert open_from("203.0.113.1") == 429  # one case per hour from that client
        assert open_from("203.0.113.2") == 201  # another client behind the same proxy
    finally:
        server.stop()
    assert "Traceback" not in server.log_text()
