"""Fixtures for the browser tests: a loopback web server and one headless Chromium per session.

The server serves the real static directory at /static/js/ (as the service will), the PDQ
conformance images at /conformance/, generated test data at /fixtures/ and an empty harness page
at /, all under the strict Content-Security-Policy the service will send, so the modules are
proven to load as real ES modules (and in a module worker) under that policy. It listens on
127.0.0.1 only. Chromium is the machine's /usr/bin/chromium, driven by Playwright; a missing
Chromium skips (or fails under HASHSTOP_TEST_REQUIRE).
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CONFORMANCE_DIR, REPO_ROOT, skip_or_fail
from tests.web.live_service import live_service  # noqa: F401 - the real app, for the page tests

STATIC_JS_DIR = REPO_ROOT / "src" / "hashstop" / "web" / "static" / "js"
STATIC_VENDOR_DIR = STATIC_JS_DIR.parent / "vendor"
VARIANTS_JSON = REPO_ROOT / "src" / "hashstop" / "hashing" / "variants.json"
FACTS_JSON = REPO_ROOT / "src" / "hashstop" / "hashing" / "facts.json"
HARNESS_DIR = Path(__file__).resolve().parent / "harness"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-gpu",
]
# What the service will send: scripts, workers and fetches from its own origin only.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; worker-src 'self'; connect-src 'self'; "
    "img-src 'self' blob:; style-src 'self'; base-uri 'none'; form-action 'self'"
)


def make_handler(fixtures_dir: Path) -> type[SimpleHTTPRequestHandler]:
    roots = {
        "/static/js/variants.json": VARIANTS_JSON,  # as the service serves it
        "/static/js/facts.json": FACTS_JSON,
        "/static/js/": STATIC_JS_DIR,
        "/static/vendor/": STATIC_VENDOR_DIR,
        "/conformance/": CONFORMANCE_DIR,
        "/fixtures/": fixtures_dir,
        "/": HARNESS_DIR,
    }

    class Handler(SimpleHTTPRequestHandler):
        extensions_map = {
            **SimpleHTTPRequestHandler.extensions_map,
            ".js": "text/javascript",
            ".mjs": "text/javascript",
            ".bin": "application/octet-stream",
            ".json": "application/json",
        }

        def translate_path(self, path: str) -> str:
            path = path.split("?", 1)[0].split("#", 1)[0]
            for prefix, root in roots.items():
                if path.startswith(prefix):
                    relative = Path(path[len(prefix) :])
                    if ".." in relative.parts:
                        break
                    return str(root / relative)
            return str(HARNESS_DIR / "missing")

        def do_GET(self) -> None:
            if self.path == "/favicon.ico":  # the browser asks; answer without a console error
                self.send_response(204)
                self.end_headers()
                return
            super().do_GET()

        def end_headers(self) -> None:
            self.send_header("Content-Security-Policy", CONTENT_SECURITY_POLICY)
            self.send_header("X-Content-Type-Options", "nosniff")
            self.send_header("Cache-Control", "no-store")
            super().end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep the test output quiet

    return Handler


@dataclass(frozen=True)
class WebSite:
    """The loopback server: its base URL and the folder served at /fixtures/."""

    url: str
    fixtures_dir: Path

    def fixture_url(self, name: str) -> str:
        return f"{self.url}/fixtures/{name}"


@pytest.fixture(scope="session")
def web_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebSite]:
    fixtures_dir = tmp_path_factory.mktemp("web-fixtures")
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(fixtures_dir))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    try:
        yield WebSite(url=f"http://{host!s}:{port}", fixtures_dir=fixtures_dir)
    finally:
        server.shutdown()
        server.server_close()
        shutil.rmtree(fixtures_dir, ignore_errors=True)


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    """One headless Chromium for a run of browser tests (a launch costs about a second).

    Package scope, not session: Playwright's synchronous API keeps an asyncio loop running in the
    main thread while it is open, so `asyncio.run` in any later test (the crash test's burst)
    failed after the browser tests. In random order pytest closes it whenever the run leaves
    tests/web and launches it again on the way back.
    """
    if not CHROMIUM.exists():
        skip_or_fail(f"{CHROMIUM} is not installed")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail("playwright is not installed (pip install -e '.[test]')")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="package")
def browser_context(browser: Any) -> Iterator[Any]:
    context = browser.new_context()
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def page(browser_context: Any, web_site: WebSite) -> Iterator[Any]:
    """A fresh page on the harness, with console errors collected in `page.console_errors`."""
    harness = browser_context.new_page()
    errors: list[str] = []
    harness.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    harness.on("pageerror", lambda e: errors.append(str(e)))
    harness.console_errors = errors
    harness.goto(f"{web_site.url}/index.html")
    try:
        yield harness
    finally:
        harness.close()
