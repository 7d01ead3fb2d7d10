"""Safety on the victim pages, in real Chromium against the real service: the quick exit (a tap
or Esc) leaves for a neutral site without a back-button entry, thumbnails can be hidden, leaving
an unsaved receipt asks first, touch screens are not told to "drop" files, and the operator's
name, contact, privacy notice and helplines are on the pages.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.web.live_service import LiveService, running_service

pytestmark = pytest.mark.chromium

WAIT_MS = 60_000
NEUTRAL = "https://neutral.example/"
HELPLINES = {
    "helplines": [
        {
            "country": "GB",
            "country_name": "United Kingdom",
            "name": "Example Helpline",
            "phone": "0100 000 000",
            "url": "https://helpline.example/",
            "hours": "Mon-Fri 10:00-16:00",
        },
        {"country": "international", "name": "Example Network", "url": "https://net.example/"},
    ]
}


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveService]:
    folder = tmp_path_factory.mktemp("safety")
    helplines = folder / "helplines.json"
    helplines.write_text(json.dumps(HELPLINES))
    with running_service(
        folder,
        operator_name="Example Support Charity",
        operator_contact="help@charity.example",
        privacy_notice_url="https://charity.example/privacy",
        helplines_file=helplines,
        quick_exit_url=NEUTRAL,
    ) as running:
        yield running


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1000, "height": 900})
    # The neutral site, answered here: the tests never leave the machine.
    context.route(
        f"{NEUTRAL}**",
        lambda route: route.fulfill(content_type="text/html", body="<title>Neutral</title>"),
    )
    try:
        yield context
    finally:
        context.close()


def history_length(page: Any) -> int:
    length: int = page.evaluate("history.length")
    return length


@pytest.mark.parametrize("how", ["tap", "escape"])
@pytest.mark.parametrize("where", ["/", "/submit", "/case"])
def test_quick_exit_leaves_no_history_entry(
    context: Any, service: LiveService, how: str, where: str
) -> None:
    page = context.new_page()
    page.goto(f"{service.url}/nowhere-first")  # a page before: where "back" must land
    page.goto(f"{service.url}{where}")
    before = history_length(page)
    if how == "tap":
        page.get_by_role("link", name="Quick exit").click()
    else:
        page.locator("body").press("Escape")
    page.wait_for_url(NEUTRAL)
    assert history_length(page) == before  # replaced, not added
    page.go_back()
    # Back skips the page the person left: it lands on the one before it.
    assert page.url == f"{service.url}/nowhere-first"


def test_quick_exit_is_the_first_control_and_works_without_javascript(
    browser: Any, service: LiveService
) -> None:
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{service.url}/submit")
        page.keyboard.press("Tab")  # the skip link
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.id")
        assert focused == "quick-exit"
        assert page.locator("#quick-exit").get_attribute("href") == NEUTRAL
    finally:
        context.close()


def test_thumbnails_can_be_hidden(
    context: Any, service: LiveService, conformance: dict[str, Any]
) -> None:
    case = next(c for c in conformance["cases"] if c["file"].endswith("aaa-orig.jpg"))
    page = context.new_page()
    page.goto(f"{service.url}/submit")
    toggle = page.get_by_role("button", name="Hide thumbnails")
    expect(toggle).to_be_hidden()
    page.get_by_label("Choose photos or videos").set_input_files(
        [{"name": "a.jpg", "mimeType": "image/jpeg", "buffer": Path(case["path"]).read_bytes()}]
    )
    thumbnail = page.locator(".thumb img")
    expect(thumbnail).to_be_visible()
    toggle.click()
    expect(thumbnail).to_be_hidden()
    shown = page.get_by_role("button", name="Show thumbnails")
    expect(shown).to_have_attribute("aria-pressed", "true")
    shown.click()
    expect(thumbnail).to_be_visible()


def test_leaving_an_unsaved_receipt_asks_first(
    context: Any, service: LiveService, conformance: dict[str, Any]
) -> None:
    case = next(c for c in conformance["cases"] if c["file"].endswith("aaa-orig.jpg"))
    page = context.new_page()
    dialogs: list[str] = []

    def on_dialog(dialog: Any) -> None:
        dialogs.append(dialog.type)
        dialog.dismiss()  # "stay on this page"

    page.on("dialog", on_dialog)
    page.goto(f"{service.url}/submit")
    page.get_by_label("Choose photos or videos").set_input_files(
        [{"name": "a.jpg", "mimeType": "image/jpeg", "buffer": Path(case["path"]).read_bytes()}]
    )
    send = page.get_by_role("button", name="Send the fingerprints")
    expect(send).to_be_enabled(timeout=WAIT_MS)
    send.click()
    page.locator("#receipt").wait_for(state="visible", timeout=WAIT_MS)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Your case").click()
    page.wait_for_timeout(500)
    assert dialogs == ["beforeunload"]
    assert page.url == f"{service.url}/submit"
    expect(page.locator("#receipt")).to_be_visible()
    with page.expect_download():
        page.get_by_role("button", name="Download receipt").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Your case").click()
    page.wait_for_url(f"{service.url}/case")
    assert dialogs == ["beforeunload"]  # saved: no second question


def test_touch_screens_are_not_told_to_drop(browser: Any, service: LiveService) -> None:
    phone = browser.new_context(
        viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True
    )
    desktop = browser.new_context(viewport={"width": 1000, "height": 800})
    try:
        on_phone = phone.new_page()
        on_phone.goto(f"{service.url}/submit")
        expect(on_phone.locator("#submit-files-hint")).to_be_visible()
        assert "drop" not in on_phone.locator("#submit-files-hint").inner_text().lower()
        on_desktop = desktop.new_page()
        on_desktop.goto(f"{service.url}/submit")
        expect(on_desktop.locator("#submit-files-hint")).to_contain_text("Or drop them here.")
    finally:
        phone.close()
        desktop.close()


@pytest.mark.parametrize("where", ["/", "/submit", "/case", "/nowhere"])
def test_the_operator_is_named_on_every_victim_page(
    context: Any, service: LiveService, where: str
) -> None:
    page = context.new_page()
    page.goto(f"{service.url}{where}")
    footer = page.locator("footer")
    expect(footer).to_contain_text("This service is run by Example Support Charity.")
    expect(footer.get_by_role("link", name="help@charity.example")).to_have_attribute(
        "href", "mailto:help@charity.example"
    )
    expect(footer.get_by_role("link", name="Privacy notice")).to_have_attribute(
        "href", "https://charity.example/privacy"
    )
    expect(page.get_by_text("Staying safe on this device")).to_be_visible()


def test_helplines_by_country_on_the_home_page(context: Any, service: LiveService) -> None:
    page = context.new_page()
    page.goto(f"{service.url}/?lang=de")
    help_box = page.locator("section.help")
    expect(help_box.get_by_role("heading", name="United Kingdom")).to_be_visible()
    expect(help_box.get_by_role("heading", name="International")).to_be_visible()
    expect(help_box.get_by_role("link", name="Example Helpline")).to_have_attribute(
        "href", "https://helpline.example/"
    )
    expect(help_box.get_by_role("link", name="0100 000 000")).to_have_attribute(
        "href", "tel:0100000000"
    )
    expect(help_box).to_contain_text("Mon-Fri 10:00-16:00")
