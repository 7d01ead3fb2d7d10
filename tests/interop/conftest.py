"""Fixtures of the interoperability tests: hashstop served on a real loopback port.

pytx's clients speak HTTP through `requests`, so the app (`create_app` on the test database,
both SQLite and PostgreSQL) runs in uvicorn on a free port, in a thread of the test process.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any

import httpx
import pytest
import uvicorn

from hashstop.app import create_app
from hashstop.config import Settings
from tests.service_fixtures import bearer


class JsonHandler(BaseHTTPRequestHandler):
    """A stand-in service's request handler: quiet, and answers JSON."""

    def log_message(self, *_args: Any) -> None:
        pass

    def _answer(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Served:
    url: str
    platform_key: str
    admin_key: str

    def open_case(self, entries: list[dict[str, object]]) -> dict[str, str]:
        answer = httpx.post(f"{self.url}/v1/cases", json={"hashes": entries}, timeout=30)
        assert answer.status_code == 201, answer.text
        return dict(answer.json())

    def withdraw(self, case: dict[str, str]) -> None:
        answer = httpx.delete(
            f"{self.url}/v1/cases/{case['case_id']}", headers=bearer(case["secret"]), timeout=30
        )
        assert answer.status_code == 200, answer.text

    def hash_id(self, algorithm: str, value: str) -> int:
        after = 0
        while True:
            page = httpx.get(
                f"{self.url}/v1/hashlist",
                params={"after": after},
                headers=bearer(self.platform_key),
                timeout=30,
            ).json()
            for e in page["entries"]:
                if e["algorithm"] == algorithm and e["value"] == value:
                    return int(e["hash_id"])
            if not page["has_more"]:
                raise AssertionError(f"{algorithm} {value} is not on the hash list")
            after = page["next"]

    def suspend(self, hash_id: int, moderator: str) -> None:
        answer = httpx.post(
            f"{self.url}/v1/review/hashes/{hash_id}/suspend",
            json={"reason": "a known benign picture"},
            headers=bearer(moderator),
            timeout=30,
        )
        assert answer.status_code == 200, answer.text


def serve(settings: Settings) -> Iterator[str]:
    """Run the app on a free loopback port until the generator is closed; yield its URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while True:
            try:
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert thread.is_alive() and time.monotonic() < deadline, "hashstop did not start"
            time.sleep(0.05)
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@pytest.fixture
def served(settings: Settings, make_key) -> Iterator[Served]:
    for url in serve(settings):
        yield Served(url, make_key("platform", platform="acme"), make_key("admin"))
