"""Every page of ours passes axe-core at WCAG 2.1 A and AA, in real Chromium: the victim pages
in each of their states (empty, files chosen, receipt; sign-in, open case, confirm, withdrawn),
in a left-to-right and a right-to-left language, the HTML error page, and the /review pages as a
moderator and an admin sees them. The vendored Swagger UI at /docs is not ours and is left out.

axe-core is vendored for the tests only (tests/web/axe/vendor/axe.min.js, from the npm package
locked in tests/web/axe/package-lock.json; hashstop never serves it). It is injected into the
page, so these contexts bypass the Content-Security-Policy; test_pages_browser.py checks the
policy itself. Any violation fails, with its rule, impact and the offending elements.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from hashstop.storage.database import upgrade
from tests.service_fixtures import make_settings
from tests.web.live_app import live_app
from tests.web.review_demo import Scene, build

pytestmark = pytest.mark.chromium

AXE_DIR = Path(__file__).resolve().parent / "axe"
AXE = AXE_DIR / "vendor" / "axe.min.js"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
WAIT_MS = 60_000


def test_the_vendored_axe_is_the_locked_version() -> None:
    lock = json.loads((AXE_DIR / "package-lock.json").read_text())
    locked = lock["packages"]["node_modules/axe-core"]["version"]
    header = AXE.read_text(encoding="utf-8")[:200]
    assert re.match(rf"/\*! axe v{re.escape(locked)}\b", header), header[:40]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Scene]]:
    database_url = f"sqlite:///{tmp_path_factory.mktemp('axe') / 'hashstop.db'}"
    upgrade(database_url)
    settings = make_settings(
        database_url,
        log_level="WARNING",
        operator_name="Example Support Charity",
        operator_contact="help@charity.example",
        privacy_notice_url="https://charity.example/privacy",
    )
    with live_app(settings) as base:
        yield base, build(base, settings, flood=True)


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(bypass_csp=True, viewport={"width": 1000, "height": 900})
    try:
        yield context.new_page()
    finally:
        context.close()


def violations(page: Any) -> list[str]:
    """axe's WCAG 2.1 A/AA violations on the page as it is now, one line each."""
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        """async (tags) => {
          const result = await axe.run(document, { runOnly: { type: "tag", values: tags } });
          const where = (n) => `${n.target.join(" ")} [${n.failureSummary}]`;
          return result.violations.map((v) =>
            `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map(where).join(", ")}`);
        }""",
        WCAG_21_AA,
    )
    return list(found)


def photo(conformance: dict[str, Any]) -> dict[str, Any]:
    case = next(c for c in conformance["cases"] if c["file"].endswith("aaa-orig.jpg"))
    return {"name": "a.jpg", "mimeType": "image/jpeg", "buffer": case["path"].read_bytes()}


def submit_with_files(page: Any, base: str, conformance: dict[str, Any]) -> None:
    page.goto(f"{base}/submit")
    page.get_by_label("Choose photos or videos").set_input_files(
        [photo(conformance), {"name": "empty.jpg", "mimeType": "image/jpeg", "buffer": b""}]
    )
    expect(page.locator("#send")).to_be_enabled(timeout=WAIT_MS)
    page.locator("details.payload summary").click()
    page.locator("details.safety summary").click()


def submit_receipt(page: Any, base: str, conformance: dict[str, Any]) -> None:
    submit_with_files(page, base, conformance)
    page.locator("#send").click()
    page.locator("#receipt").wait_for(state="visible", timeout=WAIT_MS)


def case_opened(page: Any, base: str, conformance: dict[str, Any]) -> tuple[str, str]:
    submit_receipt(page, base, conformance)
    case_id = page.locator("#case-id").inner_text()
    secret = page.locator("#case-secret").inner_text()
    page.evaluate("window.onbeforeunload = null")
    page.once("dialog", lambda dialog: dialog.accept())
    page.goto(f"{base}/case")
    page.get_by_label("Case id").fill(case_id)
    page.get_by_label("Secret", exact=True).fill(secret)
    page.get_by_role("button", name="Open my case").click()
    page.locator("#case-view").wait_for(state="visible", timeout=WAIT_MS)
    return case_id, secret


def case_confirm(page: Any, base: str, conformance: dict[str, Any]) -> None:
    case_opened(page, base, conformance)
    page.get_by_role("button", name="Withdraw my case…").click()


def case_withdrawn(page: Any, base: str, conformance: dict[str, Any]) -> None:
    case_confirm(page, base, conformance)
    page.get_by_role("button", name="Yes, withdraw my case").click()
    page.locator("#fact-status", has_text="Withdrawn").wait_for(timeout=WAIT_MS)


@functools.cache
def clip(seconds: int, codec: str = "libx264") -> bytes:
    from tests.web.videos import make_clip

    return make_clip(seconds=seconds, width=640, height=360, codec=codec)


def submit_video_reading(page: Any, base: str, _conformance: dict[str, Any]) -> None:
    """A video's frames being read: its progress and its Stop button."""
    page.goto(f"{base}/submit")
    page.get_by_label("Choose photos or videos").set_input_files(
        [{"name": "long.mp4", "mimeType": "video/mp4", "buffer": clip(60)}]
    )
    stop = page.get_by_role("button", name="Stop fingerprinting long.mp4")
    expect(stop).to_be_visible(timeout=WAIT_MS)


def submit_videos(page: Any, base: str, _conformance: dict[str, Any]) -> None:
    """A video fingerprinted by its frames, one by its exact fingerprint only, one stopped."""
    page.goto(f"{base}/submit")
    page.get_by_label("Choose photos or videos").set_input_files(
        [
            {"name": "long.mp4", "mimeType": "video/mp4", "buffer": clip(60)},
            {"name": "a.mp4", "mimeType": "video/mp4", "buffer": clip(2)},
            {"name": "b.mp4", "mimeType": "video/mp4", "buffer": clip(1, "mpeg4")},
        ]
    )
    page.get_by_role("button", name="Stop fingerprinting long.mp4").click(timeout=WAIT_MS)
    expect(page.locator("#send")).to_be_enabled(timeout=WAIT_MS)
    page.locator("details.payload summary").click()


def goto(path: str) -> Callable[[Any, str, dict[str, Any]], None]:
    def visit(page: Any, base: str, _conformance: dict[str, Any]) -> None:
        page.goto(f"{base}{path}")

    return visit


VICTIM_STATES: dict[str, Callable[[Any, str, dict[str, Any]], Any]] = {
    "home": goto("/"),
    "submit": goto("/submit"),
    "submit-files": submit_with_files,
    "submit-receipt": submit_receipt,
    "submit-video-reading": submit_video_reading,
    "submit-videos": submit_videos,
    "case": goto("/case"),
    "case-open": case_opened,
    "case-confirm": case_confirm,
    "case-withdrawn": case_withdrawn,
    "not-found": goto("/no-such-page"),
}


# Every state in English; the pages themselves in Arabic too (right to left). The flows are
# driven by their English labels, so the Arabic run covers the pages as they open.
VICTIM_CASES = [(state, "en") for state in VICTIM_STATES] + [
    (state, "ar") for state in ("home", "submit", "case", "not-found")
]


@pytest.mark.parametrize(("state", "language"), VICTIM_CASES)
def test_victim_pages_have_no_violations(
    page: Any, site: tuple[str, Scene], conformance: dict[str, Any], state: str, language: str
) -> None:
    base, _ = site
    page.goto(f"{base}/?lang={language}")  # remembered in the cookie for the pages after
    VICTIM_STATES[state](page, base, conformance)
    assert violations(page) == []


REVIEW_PAGES = [
    "/review/queue",
    "/review/queue?status=all",
    "/review/matches/{match}",
    "/review/hashes",
    "/review/hashes/{hash}",
    "/review/activity",
    "/review/allowlist",
    "/review/keys",
    "/review/matches/nonexistent",
]


def test_review_sign_in_has_no_violations(page: Any, site: tuple[str, Scene]) -> None:
    base, _ = site
    page.goto(f"{base}/review/sign-in")
    assert violations(page) == []


@pytest.mark.parametrize("path", REVIEW_PAGES)
@pytest.mark.parametrize("who", ["moderator", "admin"])
def test_review_pages_have_no_violations(
    page: Any, site: tuple[str, Scene], path: str, who: str
) -> None:
    base, scene = site
    page.goto(f"{base}/review/sign-in")
    page.fill("#key", scene.keys[who])
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/review/queue.*"))
    target = path.format(
        match=next(iter(scene.match_ids.values())), hash=next(iter(scene.hash_ids.values()))
    )
    page.goto(f"{base}{target}")
    assert violations(page) == []
