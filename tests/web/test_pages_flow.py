"""The victim's whole journey in real Chromium against the real service, and the proof that
nothing but fingerprints left the page.

One journey per module (the `journey` fixture): choose conformance photos, a HEIC photo
Chromium cannot decode and a "video" on /submit, wait for the Web Worker, send, read the case id
and secret from the page (and the receipt it downloads), open /case with them, add a photo and
withdraw. Every request of the pages and of their worker is recorded. The tests then judge the
recording and the service's state: what was sent, where, and that the case stopped matching.
"""

from __future__ import annotations

import hashlib
import io
import json
import random
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from PIL import Image
from playwright.sync_api import expect

from hashstop.hashing import local_hashes, photo_variants
from hashstop.hashing.facts import FACTS
from tests.web.live_service import LiveService
from tests.web.recording import ImageBytes, Recorder
from tests.web.reference import displayed_rgb, hamming

pytestmark = pytest.mark.chromium

MAX_PDQ_DISTANCE = 8
HASH_FIELDS = {"algorithm", "value", "quality", "photo", "variant"}
WAIT_MS = 60_000


@dataclass(frozen=True)
class Chosen:
    """A file the test chooses in the page, and the PDQ the page should send for it (or None)."""

    name: str
    mime: str
    data: bytes
    pdq: str | None
    variants: tuple[str, ...] = ()  # the stored variants' names, as Python computes them
    local: int = 0  # how many local hashes Python computes for it (issue 14)

    @property
    def fingerprints(self) -> int:
        """What the page sends for this file: its PDQ variants, local hashes, MD5 and SHA-256."""
        return len(self.variants) + self.local + 2

    def payload(self) -> dict[str, Any]:
        return {"name": self.name, "mimeType": self.mime, "buffer": self.data}

    @property
    def md5(self) -> str:
        return hashlib.md5(self.data).hexdigest()  # noqa: S324 - a fingerprint, not security

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def conformance_file(conformance: dict[str, Any], relative: str) -> Chosen:
    case = next(c for c in conformance["cases"] if c["file"] == relative)
    mime = "image/png" if relative.endswith(".png") else "image/jpeg"
    pdq = case["pdq"] if case["quality"] >= 80 else None
    rgb = displayed_rgb(case["path"])
    names = tuple(v.name for v in photo_variants(rgb))
    # A photo too flat for variants stores no local hash; these photos have more than 64
    # keypoints, so the browser's decoder sends 64 as well.
    local = len(local_hashes(rgb)) if names else 0
    return Chosen(Path(relative).name, mime, case["path"].read_bytes(), pdq, names, local)


def heic_file(conformance: dict[str, Any]) -> Chosen:
    """A HEIC photo (made from a conformance image): Chromium cannot decode HEIC."""
    import pillow_heif

    pillow_heif.register_heif_opener()
    source = conformance_file(conformance, "images/bridge-mods/square-256x256.jpg")
    out = io.BytesIO()
    with Image.open(io.BytesIO(source.data)) as image:
        image.save(out, format="HEIF", quality=80)
    return Chosen("IMG_0042.HEIC", "image/heic", out.getvalue(), None)


@pytest.fixture(scope="module")
def chosen(conformance: dict[str, Any]) -> list[Chosen]:
    video = random.Random(5).randbytes(300_000)
    return [
        conformance_file(conformance, "images/bridge-mods/aaa-orig.jpg"),
        conformance_file(conformance, "images/exif-rotn/exif-rotn-6.jpg"),  # 12 MP, EXIF rotated
        conformance_file(conformance, "images/misc/pen-and-coaster.png"),
        conformance_file(conformance, "images/labelme-subset/q0003.jpg"),  # quality 3: no PDQ
        heic_file(conformance),
        Chosen("holiday-clip.mp4", "video/mp4", video, None),
    ]


@pytest.fixture(scope="module")
def added(conformance: dict[str, Any]) -> Chosen:
    return conformance_file(conformance, "images/labelme-subset/q0122.jpg")


@dataclass
class Journey:
    recorder: Recorder
    file_states: dict[str, str]
    summary: str
    preview: dict[str, Any]
    case_id: str
    secret: str
    focus_after_send: str | None
    clipboard: str
    receipt: dict[str, Any]
    urls_seen: list[str]
    storage: dict[str, Any]
    facts_opened: str
    facts_added: str
    add_result: str
    focus_on_confirm: str | None
    facts_withdrawn: str
    matched_before: dict[str, bool]
    match_records: int
    matched_after: dict[str, bool]
    case_after: dict[str, Any]


def match_each(service: LiveService, key: str, hashes: list[dict[str, Any]]) -> dict[str, bool]:
    """Ask the match API about each hash alone, and about each photo's local hashes together
    (one alone never matches: several must agree); {algorithm:value or local:photo: matched}."""
    items = [
        {
            "ref": f"{h['algorithm']}:{h['value']}",
            "hashes": [{k: h[k] for k in ("algorithm", "value")}],
        }
        for h in hashes
        if h["algorithm"] != "local"
    ]
    local: dict[str, list[dict[str, Any]]] = {}
    for h in hashes:
        if h["algorithm"] == "local":
            local.setdefault(h["photo"], []).append({"algorithm": "local", "value": h["value"]})
    items += [{"ref": f"local:{photo}", "hashes": group} for photo, group in local.items()]
    with service.api() as api:
        response = api.post(
            "/v1/match", json={"items": items}, headers={"Authorization": f"Bearer {key}"}
        )
    assert response.status_code == 200, response.text
    return {r["ref"]: r["matched"] for r in response.json()["results"]}


def sent_hashes(recorder: Recorder) -> list[dict[str, Any]]:
    return [h for r in recorder.to("POST", "/v1/cases") for h in json.loads(r.body)["hashes"]]


@pytest.fixture(scope="module")
def journey(
    browser: Any, live_service: LiveService, chosen: list[Chosen], added: Chosen
) -> Iterator[Journey]:
    context = browser.new_context(viewport={"width": 1000, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_service.url)
    recorder = Recorder().attach(context)
    page = context.new_page()
    urls: list[str] = []
    page.on("framenavigated", lambda frame: urls.append(frame.url))
    try:
        page.goto(f"{live_service.url}/submit")
        page.get_by_label("Choose photos or videos").set_input_files([c.payload() for c in chosen])
        send = page.get_by_role("button", name="Send the fingerprints")
        expect(send).to_be_enabled(timeout=WAIT_MS)
        states = {
            c.name: page.locator(".file", has_text=c.name).locator(".file-state").inner_text()
            for c in chosen
        }
        summary = page.locator("#summary").inner_text()
        preview = json.loads(page.locator("#payload").text_content() or "null")
        send.click()
        page.locator("#receipt").wait_for(state="visible", timeout=WAIT_MS)
        case_id = page.locator("#case-id").inner_text()
        secret = page.locator("#case-secret").inner_text()
        focus_after_send = page.evaluate("document.activeElement?.id")
        page.get_by_role("button", name="Copy the secret").click()
        page.get_by_text("Copied the secret.").wait_for()
        clipboard = page.evaluate("navigator.clipboard.readText()")
        with page.expect_download() as download:
            page.get_by_role("button", name="Download receipt").click()
        receipt = json.loads(Path(download.value.path()).read_text())

        page.get_by_role("navigation", name="Main").get_by_role("link", name="Your case").click()
        page.get_by_label("Case id").fill(case_id)
        page.get_by_label("Secret", exact=True).fill(secret)
        page.get_by_role("button", name="Open my case").click()
        page.locator("#case-view").wait_for(state="visible")
        storage = page.evaluate(
            "({local: localStorage.length, session: sessionStorage.length, cookie: document.cookie,"
            " secretField: document.getElementById('case-secret').value})"
        )
        storage["cookies"] = context.cookies()
        facts_opened = page.locator("#facts").inner_text()

        page.get_by_label("Choose more photos or videos").set_input_files([added.payload()])
        add = page.get_by_role("button", name="Add these fingerprints")
        expect(add).to_be_enabled(timeout=WAIT_MS)
        add.click()
        page.get_by_text(f"Added {added.fingerprints} fingerprints").wait_for(timeout=WAIT_MS)
        add_result = page.locator("#add-result").inner_text()
        total = sum(c.fingerprints for c in chosen) + added.fingerprints
        expect(page.locator("#fact-hashes")).to_have_text(str(total), timeout=WAIT_MS)
        facts_added = page.locator("#facts").inner_text()

        # Every hash the pages sent matches now (each matched item is one match record).
        key = live_service.platform_key()
        hashes = sent_hashes(recorder)
        deadline = time.monotonic() + 10
        matched_before = match_each(live_service, key, hashes)
        match_records = sum(matched_before.values())
        while not all(matched_before.values()) and time.monotonic() < deadline:
            time.sleep(0.1)  # the index follows the change log every 0.1 s here
            matched_before = match_each(live_service, key, hashes)
            match_records += sum(matched_before.values())

        page.get_by_role("button", name="Withdraw my case…").click()
        page.locator("#withdraw-confirm").wait_for(state="visible")
        focus_on_confirm = page.evaluate("document.activeElement?.id")
        page.get_by_role("button", name="Yes, withdraw my case").click()
        page.locator("#fact-status", has_text="Withdrawn").wait_for(timeout=WAIT_MS)
        facts_withdrawn = page.locator("#facts").inner_text()

        matched_after = match_each(live_service, key, sent_hashes(recorder))
        with live_service.api() as api:
            case_after = api.get(
                f"/v1/cases/{case_id}", headers={"Authorization": f"Bearer {secret}"}
            ).json()
        yield Journey(
            recorder=recorder,
            file_states=states,
            summary=summary,
            preview=preview,
            case_id=case_id,
            secret=secret,
            focus_after_send=focus_after_send,
            clipboard=clipboard,
            receipt=receipt,
            urls_seen=urls,
            storage=storage,
            facts_opened=facts_opened,
            facts_added=facts_added,
            add_result=add_result,
            focus_on_confirm=focus_on_confirm,
            facts_withdrawn=facts_withdrawn,
            matched_before=matched_before,
            match_records=match_records,
            matched_after=matched_after,
            case_after=case_after,
        )
    finally:
        context.close()


def test_files_are_fingerprinted_and_explained(journey: Journey, chosen: list[Chosen]) -> None:
    states = journey.file_states
    for name in ("aaa-orig.jpg", "exif-rotn-6.jpg", "pen-and-coaster.png"):
        assert states[name] == "Fingerprinted."
    assert "too little detail" in states["q0003.jpg"]
    assert "cannot open HEIC, TIFF or JPEG 2000 photos" in states["IMG_0042.HEIC"]
    assert "exact fingerprint" in states["IMG_0042.HEIC"]
    assert "video or other file" in states["holiday-clip.mp4"]
    # 3 photos with their PDQ variants + MD5 + SHA-256, 3 files with MD5 + SHA-256 only.
    photos = [c for c in chosen if c.variants]
    assert len(photos) == 3 and all(len(c.variants) >= 15 for c in photos)
    sent = sum(c.fingerprints for c in chosen)
    assert f"3 photos and 3 files by exact fingerprint only: {sent} fingerprints" in journey.summary


def test_case_id_and_secret_shown_copied_and_in_the_receipt(
    journey: Journey, live_service: LiveService
) -> None:
    assert re.fullmatch(r"[0-9a-z]{13}", journey.case_id)
    assert journey.secret.startswith("hsc_")
    assert journey.focus_after_send == "receipt-title"
    assert journey.clipboard == journey.secret
    assert set(journey.receipt) == {"case_id", "secret", "server", "created_at"}
    assert journey.receipt["case_id"] == journey.case_id
    assert journey.receipt["secret"] == journey.secret
    assert journey.receipt["server"] == live_service.url
    datetime.fromisoformat(journey.receipt["created_at"])


def test_case_page_shows_adds_and_withdraws(
    journey: Journey, chosen: list[Chosen], added: Chosen
) -> None:
    opened = sum(c.fingerprints for c in chosen)
    total = opened + added.fingerprints
    assert "Active" in journey.facts_opened
    assert re.search(rf"Photos and files\s+6\s+Fingerprints\s+{opened}\b", journey.facts_opened)
    assert re.search(
        r"Matches on platforms\s+0\s+Matches confirmed by a platform\s+0", journey.facts_opened
    )
    assert journey.add_result.startswith(f"Added {added.fingerprints} fingerprints.")
    assert re.search(rf"Photos and files\s+7\s+Fingerprints\s+{total}\b", journey.facts_added)
    assert journey.focus_on_confirm == "withdraw-confirm-title"
    assert "Withdrawn on" in journey.facts_withdrawn
    # Its photos and fingerprints are erased: no stale counts of them are shown.
    assert "Photos and files" not in journey.facts_withdrawn
    assert "Fingerprints" not in journey.facts_withdrawn
    # The fixture's match requests before the withdrawal made these match records (one per
    # hash, a photo's local hashes asked together).
    assert journey.match_records >= len(journey.matched_before)
    assert re.search(rf"Matches on platforms\s+{journey.match_records}\s", journey.facts_withdrawn)
    assert journey.case_after["status"] == "withdrawn"
    assert journey.case_after["withdrawn_at"] is not None


def test_withdrawn_case_stops_matching(
    journey: Journey, chosen: list[Chosen], added: Chosen
) -> None:
    files = [*chosen, added]
    # one item per hash, but a photo's local hashes are one item
    items = sum(c.fingerprints - c.local + (1 if c.local else 0) for c in files)
    assert len(journey.matched_before) == items
    assert all(journey.matched_before.values()), journey.matched_before
    assert not any(journey.matched_after.values()), journey.matched_after


def test_secret_is_never_in_a_url_storage_or_cookie(journey: Journey) -> None:
    assert journey.storage == {
        "local": 0,
        "session": 0,
        "cookie": "",
        "secretField": "",
        "cookies": [],
    }
    for request in journey.recorder.requests:
        assert journey.secret not in request.url
        assert journey.secret[4:] not in request.url
    for url in journey.urls_seen:
        assert journey.secret not in url and journey.case_id not in url


def test_every_request_stays_on_this_origin(journey: Journey, live_service: LiveService) -> None:
    requests = journey.recorder.requests
    paths = {urlsplit(r.url).path for r in requests}
    # The worker's module loads are recorded too, so the recording covers the worker.
    assert {"/static/js/hash-worker.js", "/static/js/pdq.js", "/static/js/sha256.js"} <= paths
    assert {r.origin for r in requests} == {live_service.url}


def test_no_request_body_carries_any_image_byte(
    journey: Journey, chosen: list[Chosen], added: Chosen
) -> None:
    bodies = [r.body for r in journey.recorder.with_body()]
    assert len(bodies) == 2  # the case creation and the addition; nothing else sent a body
    for file in [*chosen, added]:
        sample = ImageBytes(file.name, file.data)
        assert sample.windows >= len(file.data) // 16
        for body in bodies:
            assert sample.found_in(body) == [], file.name
            assert file.name.encode() not in body
            assert Path(file.name).stem.encode() not in body


def test_post_bodies_hold_only_the_hashes(
    journey: Journey, chosen: list[Chosen], added: Chosen
) -> None:
    recorder = journey.recorder
    [opening] = recorder.to("POST", "/v1/cases")[:1]
    assert urlsplit(opening.url).path == "/v1/cases"
    assert [urlsplit(r.url).path for r in recorder.to("POST", "/v1/cases")[1:]] == [
        f"/v1/cases/{journey.case_id}/hashes"
    ]
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", opening.headers["idempotency-key"])
    assert "authorization" not in opening.headers
    for request in recorder.requests:
        if request.url.startswith(f"{recorder.requests[0].origin}/v1/cases/"):
            assert request.headers["authorization"] == f"Bearer {journey.secret}"

    batches = [json.loads(r.body) for r in recorder.to("POST", "/v1/cases")]
    assert batches[0] == journey.preview  # the page showed exactly what it then sent
    for files, body in ((chosen, batches[0]), ([added], batches[1])):
        assert set(body) == {"hashes"}
        by_photo: dict[str, dict[str, Any]] = {}
        pdq_of_photo: dict[str, list[dict[str, Any]]] = {}
        for h in body["hashes"]:
            assert set(h) <= HASH_FIELDS
            # A value is the hash, in lower-case hex of its algorithm's size, and nothing else.
            size = FACTS.algorithms[h["algorithm"]].bits // 4
            assert re.fullmatch(f"[0-9a-f]{{{size}}}", h["value"]), h
            assert re.fullmatch(r"[0-9a-f]{32}", h["photo"])
            assert ("quality" in h) == (h["algorithm"] == "pdq")
            assert ("variant" in h) == (h["algorithm"] in ("pdq", "local"))
            by_photo.setdefault(h["photo"], {})[h["algorithm"]] = h
            if h["algorithm"] == "pdq":
                pdq_of_photo.setdefault(h["photo"], []).append(h)
        assert len(by_photo) == len(files)  # one photo key per file
        for file in files:
            [group] = [g for g in by_photo.values() if g["md5"]["value"] == file.md5]
            assert group["sha256"]["value"] == file.sha256
            if file.pdq is None:
                assert set(group) == {"md5", "sha256"}, file.name
            else:
                assert set(group) == {"pdq", "local", "md5", "sha256"}, file.name
                variants = pdq_of_photo[group["md5"]["photo"]]
                # The page's variants are Python's (the same definition, the same pixels).
                assert tuple(v["variant"] for v in variants) == file.variants, file.name
                original = variants[0]
                assert original["variant"] == "original"
                assert hamming(original["value"], file.pdq) <= MAX_PDQ_DISTANCE
                assert all(v["quality"] >= 50 for v in variants)


def test_no_console_errors_or_csp_violations(journey: Journey) -> None:
    assert journey.recorder.csp_violations() == []
    assert journey.recorder.console_errors() == []


def test_the_leak_detector_finds_leaks(chosen: list[Chosen]) -> None:
    """The byte check above can fail: a slice of a file, raw, hex or base64, is found."""
    import base64

    file = chosen[0]
    sample = ImageBytes(file.name, file.data)
    for start in (5001, 5007, 5015):  # any 47-byte run, wherever it starts
        run = file.data[start : start + 47]
        assert sample.found_in(b'{"x": "' + run + b'"}')
        assert sample.found_in(json.dumps({"x": run.hex().upper()}).encode())
    assert sample.found_in(json.dumps({"x": base64.b64encode(file.data).decode()}).encode())
    for start in range(5000, 5006):  # base64 of a slice at every alignment, either alphabet
        run = file.data[start : start + 83]
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            assert sample.found_in(json.dumps({"x": encode(run).decode()}).encode()), start
    assert sample.found_in(file.data[:32])
    assert sample.found_in(file.data[-32:])
    assert not sample.found_in(json.dumps({"md5": file.md5, "sha256": file.sha256}).encode())
