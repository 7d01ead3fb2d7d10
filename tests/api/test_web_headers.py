"""The security headers every response carries, and the static files pages load."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

import hashstop.web
from hashstop.app import create_app
from hashstop.web.rendering import CONTENT_SECURITY_POLICY
from tests.service_fixtures import make_settings, running_client

CONFIG = Path(hashstop.web.__file__).parents[1] / "config.py"


@pytest.fixture
def plain_client(sqlite_url):
    app = create_app(make_settings(sqlite_url))
    yield running_client(app)
    app.state.runtime.database.dispose()


@pytest.mark.parametrize("path", ["/healthz", "/static/css/site.css", "/no-such-page"])
def test_every_response_carries_the_security_headers(plain_client, path):
    response = plain_client.get(path)
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "connect-src 'self'" in CONTENT_SECURITY_POLICY
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-frame-options"] == "DENY"


def test_scripts_are_served_as_javascript(plain_client):
    response = plain_client.get("/static/js/pdq.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")


TRAVERSALS = (
    "/static/../../config.py",
    "/static/css/../../../config.py",
    "/static/%2e%2e/%2e%2e/config.py",
    "/static/..%2f..%2fconfig.py",
)


def _raw_get(app, raw_path: str) -> tuple[int, bytes]:
    """GET `raw_path` as a server hands it to the app: not normalised, only percent-decoded.

    httpx (and so TestClient) removes dot segments before sending, so `/static/../x` would never
    reach the app through it; this builds the ASGI request itself, as uvicorn does."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": unquote(raw_path),
        "raw_path": raw_path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 1),
        "server": ("testserver", 80),
    }
    sent: list[dict[str, Any]] = []
    received: list[bool] = []

    async def receive():
        if not received:
            received.append(True)
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()  # the client stays connected until the response ends

    async def send(message):
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, body


@pytest.mark.parametrize("raw_path", TRAVERSALS)
def test_static_path_traversal_is_refused(plain_client, raw_path):
    status, body = _raw_get(plain_client.app, raw_path)
    assert status == 404
    assert CONFIG.read_bytes()[:200] not in body


def test_the_traversal_requests_reach_the_file_without_the_check(plain_client, monkeypatch):
    """The requests above do point at src/hashstop/config.py: with Starlette's containment
    check disabled (a seeded defect), the first of them is answered with the file."""
    from starlette.staticfiles import StaticFiles

    def unchecked(self, path):
        full = os.path.realpath(os.path.join(self.all_directories[0], path))
        return (full, os.stat(full)) if os.path.isfile(full) else ("", None)

    monkeypatch.setattr(StaticFiles, "lookup_path", unchecked)
    status, body = _raw_get(plain_client.app, TRAVERSALS[0])
    assert status == 200 and body == CONFIG.read_bytes()
