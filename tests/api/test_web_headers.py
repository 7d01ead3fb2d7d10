"""The security headers every response carries, and the static files pages load."""

from __future__ import annotations

import pytest

from hashstop.app import create_app
from hashstop.web.rendering import CONTENT_SECURITY_POLICY
from tests.service_fixtures import make_settings, running_client


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


def test_static_path_traversal_is_refused(plain_client):
    response = plain_client.get("/static/../config.py")
    assert response.status_code == 404
