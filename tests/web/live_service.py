"""The real hashstop app on a loopback port, for tests that drive its pages in Chromium.

`running_service()` migrates a fresh SQLite file, builds the app with `create_app` and serves it
with uvicorn in a thread on 127.0.0.1 (a port the OS picks), until the block ends. The fixture
`live_service` gives one per test module. `platform_key()` makes a real platform API key through
the KeyService, to check from outside that the page's case matches (and stops matching).
"""

from __future__ import annotations

import secrets
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from hashstop.app import create_app
from hashstop.config import Settings
from hashstop.service.keys import KeyService
from hashstop.service.tokens import Keyring
from hashstop.storage.database import Database, upgrade
from tests.service_fixtures import make_settings


@dataclass(frozen=True)
class LiveService:
    url: str
    settings: Settings

    def platform_key(self, platform: str = "example-platform") -> str:
        database = Database(self.settings.database_url, pool_size=1)
        try:
            with database.transaction() as session:
                created = KeyService(session, Keyring(self.settings.secret_key_bytes)).create(
                    name=f"{platform}-{secrets.token_hex(3)}", role="platform", platform=platform
                )
        finally:
            database.dispose()
        return created.token

    def api(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=10)


@contextmanager
def running_service(folder: Path, **overrides: Any) -> Iterator[LiveService]:
    """The service on a fresh SQLite file; `overrides` are settings (operator_name=...)."""
    database_url = f"sqlite:///{folder / 'hashstop.db'}"
    upgrade(database_url)
    settings = make_settings(database_url, **({"log_level": "WARNING"} | overrides))
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), log_level="warning", lifespan="on", access_log=False)
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    service = LiveService(url=f"http://127.0.0.1:{port}", settings=settings)
    try:
        _wait_ready(service)
        yield service
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        listener.close()


def _wait_ready(service: LiveService, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    with service.api() as api:
        while time.monotonic() < deadline:
            try:
                if api.get("/readyz").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
    raise AssertionError(f"the service at {service.url} did not become ready")


@pytest.fixture(scope="module")
def live_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveService]:
    with running_service(tmp_path_factory.mktemp("live-service")) as service:
        yield service
