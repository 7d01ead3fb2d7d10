"""The victim pages tell the truth, in real Chromium against the real service: files that cannot
be protected (damaged, truncated, random bytes, empty) are named as such and never sent, the
receipt counts what the service holds, and a mistyped page address gets an HTML page (the API
keeps problem+json).
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.web.live_service import LiveService
from tests.web.recording import Recorder

pytestmark = pytest.mark.chromium

WAIT_MS = 60_000
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.fixture
def page(browser: Any, live_service: LiveService) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1000, "height": 900})
    context.recorder = Recorder().attach(context)
    try:
        yield context.new_page()
    finally:
        context.close()


def photo(conformance: dict[str, Any], suffix: str) -> bytes:
    case = next(c for c in conformance["cases"] if c["file"].endswith(suffix))
    data: bytes = case["path"].read_bytes()
    return data


def test_damaged_files_are_named_and_never_sent(
    page: Any, live_service: LiveService, conformance: dict[str, Any]
) -> None:
    good = photo(conformance, "aaa-orig.jpg")
    files = [
        {"name": "good.jpg", "mimeType": "image/jpeg", "buffer": good},
        {"name": "truncated.jpg", "mimeType": "image/jpeg", "buffer": good[: len(good) // 2]},
        {
            "name": "random.jpg",
            "mimeType": "image/jpeg",
            "buffer": random.Random(1).randbytes(40_000),
        },
        {"name": "empty.jpg", "mimeType": "image/jpeg", "buffer": b""},
    ]
    page.goto(f"{live_service.url}/submit")
    page.get_by_label("Choose photos or videos").set_input_files(files)
    send = page.get_by_role("button", name="Send the fingerprints")
    expect(send).to_be_enabled(timeout=WAIT_MS)

    def state(name: str) -> str:
        text: str = page.locator(".file", has_text=name).locator(".file-state").inner_text()
        return text

    assert state("good.jpg") == "Fingerprinted."
    assert state("truncated.jpg").startswith("This photo is damaged or incomplete")
    assert state("random.jpg").startswith("This file is not a photo")
    assert state("empty.jpg").startswith("This file is empty (0 bytes)")
    for name in ("truncated.jpg", "random.jpg", "empty.jpg"):
        assert "It will not be sent." in state(name)
        # Never the old claim that the photo is protected some other way.
        assert "exact fingerprint" not in state(name)
        assert "hashstop program" not in state(name)
    summary = page.locator("#summary").inner_text()
    assert summary.startswith("Ready to send 1 photo:")
    assert "3 files cannot be protected and will not be sent" in summary
    preview = json.loads(page.locator("#payload").text_content() or "null")
    assert len({h["photo"] for h in preview["hashes"]}) == 1

    send.click()
    page.locator("#receipt").wait_for(state="visible", timeout=WAIT_MS)
    case_id = page.locator("#case-id").inner_text()
    secret = page.locator("#case-secret").inner_text()
    with live_service.api() as api:
        held = api.get(f"/v1/cases/{case_id}", headers={"Authorization": f"Bearer {secret}"})
    held_case = held.json()
    assert held_case["photo_count"] == 1
    # The receipt counts what the service holds.
    expect(page.locator("#receipt-summary")).to_have_text(
        f"{held_case['hash_count']} fingerprints of 1 file registered. Platforms that work "
        "with hashstop can now recognise them."
    )
    sent = [
        h
        for r in page.context.recorder.to("POST", "/v1/cases")
        for h in json.loads(r.body)["hashes"]
    ]
    assert len(sent) == len(preview["hashes"])


def test_only_refused_files_leave_nothing_to_send(page: Any, live_service: LiveService) -> None:
    page.goto(f"{live_service.url}/submit")
    page.get_by_label("Choose photos or videos").set_input_files(
        [{"name": "empty.mp4", "mimeType": "video/mp4", "buffer": b""}]
    )
    expect(page.locator(".file-state")).to_contain_text("This file is empty", timeout=WAIT_MS)
    expect(page.get_by_role("button", name="Send the fingerprints")).to_be_disabled()
    assert not page.context.recorder.to("POST", "/v1/cases")


@pytest.mark.parametrize("path", ["/sumbit", "/case/extra", "/nothing-here"])
def test_mistyped_page_address_gets_an_html_page(live_service: LiveService, path: str) -> None:
    response = httpx.get(
        f"{live_service.url}{path}", headers={"Accept-Language": "fr", "Accept": BROWSER_ACCEPT}
    )
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["content-language"] == "fr"
    assert "Il n'y a pas de page à cette adresse" in response.text
    assert 'href="/submit"' in response.text
    assert path not in response.text  # the page echoes nothing of the request


@pytest.mark.parametrize("path", ["/v1/nothing", "/v1", "/static/none.js"])
def test_program_paths_keep_problem_json(live_service: LiveService, path: str) -> None:
    response = httpx.get(f"{live_service.url}{path}", headers={"Accept": BROWSER_ACCEPT})
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_a_program_keeps_problem_json_on_any_path(live_service: LiveService) -> None:
    response = httpx.get(f"{live_service.url}/sumbit", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_wrong_method_on_a_page_is_an_html_page(live_service: LiveService) -> None:
    response = httpx.post(f"{live_service.url}/submit", headers={"Accept": BROWSER_ACCEPT})
    assert response.status_code == 405
    assert response.headers["content-type"].startswith("text/html")
    assert "This address cannot be used this way" in response.text
