"""The victim pages and /docs as the server sends them: HTML with no inline code and nothing
from another origin, every asset they name served here, and the API reference kept at
/openapi.json. (What the pages do in a browser: tests/web/test_pages_*.py.)
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from hashstop.app import create_app
from hashstop.config import Settings
from hashstop.web.rendering import CONTENT_SECURITY_POLICY, STATIC_DIR
from tests.service_fixtures import make_settings, running_client

PAGES = ["/", "/submit", "/case", "/docs"]
PAGE_SCRIPTS = sorted((STATIC_DIR / "js" / "pages").glob("*.js"))


@pytest.fixture
def plain_client(sqlite_url: str) -> Iterator[TestClient]:
    app = create_app(make_settings(sqlite_url))
    yield running_client(app)
    app.state.runtime.database.dispose()


@pytest.mark.parametrize("path", PAGES)
def test_page_is_html_with_the_policy(plain_client: TestClient, path: str) -> None:
    response = plain_client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    html = response.text
    # A data block (the page's messages, type="application/json") is not code and never runs.
    code = re.compile(r"<script(?![^>]*\ssrc=)(?![^>]*type=\"application/json\")[^>]*>")
    assert code.search(html) is None, "inline script"
    assert re.search(r"\son[a-z]+\s*=", html) is None, "inline event handler"
    assert re.search(r"style\s*=", html) is None, "inline style"
    # No third-party address, but for the quick exit's link (a place the victim leaves to, which
    # the page never loads: HASHSTOP_QUICK_EXIT_URL, a neutral site by default).
    exit_link = f'<a class="quick-exit" id="quick-exit" href="{Settings().quick_exit_url}"'
    assert html.count(exit_link) <= 1
    rest = html.replace(exit_link, "")
    assert re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", rest, re.IGNORECASE) is None


@pytest.mark.parametrize("path", PAGES)
def test_every_asset_a_page_names_is_served_here(plain_client: TestClient, path: str) -> None:
    html = plain_client.get(path).text
    assets = re.findall(r'(?:src|href)="(/[^"]*)"', html)
    assert any(a.endswith(".css") for a in assets)
    for asset in assets:
        response = plain_client.get(asset)
        assert response.status_code == 200, asset
        if asset.endswith(".js"):
            assert response.headers["content-type"].startswith("text/javascript"), asset


def test_docs_use_the_packaged_swagger_ui(plain_client: TestClient) -> None:
    html = plain_client.get("/docs").text
    assert '<script defer src="/docs/assets/swagger-ui-bundle.js">' in html
    assert 'data-openapi-url="/openapi.json"' in html
    schema = plain_client.get("/openapi.json").json()
    assert "/v1/cases" in schema["paths"]
    assert not {"/", "/submit", "/case", "/docs"} & set(schema["paths"])
    assert plain_client.get("/redoc").status_code == 404  # its CDN page is gone, not broken


def test_pages_take_no_input(plain_client: TestClient) -> None:
    for path in ("/submit", "/case"):
        assert plain_client.post(path, data={"secret": "hsc_x"}).status_code == 405
        echoed = plain_client.get(path, params={"secret": "hsc_SHOULD-NOT-APPEAR"}).text
        assert "SHOULD-NOT-APPEAR" not in echoed


@pytest.mark.parametrize("script", PAGE_SCRIPTS, ids=lambda p: p.name)
def test_page_scripts_store_nothing_and_call_no_one_else(script: Path) -> None:
    source = script.read_text()
    assert re.search(r"https?://", source) is None, f"{script.name} names another origin"
    code = re.sub(r"//[^\n]*|/\*.*?\*/", "", source, flags=re.DOTALL)  # the comments may say so
    for forbidden in ("localStorage", "sessionStorage", "document.cookie", "indexedDB"):
        assert forbidden not in code, f"{script.name} uses {forbidden}"
    assert "innerHTML" not in code, f"{script.name} writes HTML from strings"
    assert "eval(" not in code and "new Function" not in code


def test_case_forms_cannot_put_the_secret_in_a_url(plain_client: TestClient) -> None:
    html = plain_client.get("/case").text
    form = html[html.index('<form id="open-form"') : html.index("</form>")]
    assert " name=" not in form  # an unnamed field is never submitted, with or without script
    assert re.search(r'id="case-secret" type="password" autocomplete="off"', form)
