"""Videos on /submit (issue 13), in real headless Chromium against the real service.

A generated H.264 MP4 is fingerprinted by its frames in the page's Web Worker and sent as one
item exactly as the Python client (`hashstop submit`) sends it: its frame hashes as `pdq`
entries of variant `frame`, then its MD5 and SHA-256, under one photo key. A video the browser
cannot decode (MPEG-4 Part 2 in an MP4), one that is not an MP4 (WebM) and a browser without
WebCodecs fall back to the exact fingerprints, and the page says which and why. The Stop button
stops a video. Every request of the page and its worker is recorded: no byte of a video leaves
the page, and every request stays on the service's origin.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from hashstop.client.collection import collect
from hashstop.hashing.video import frame_hashes, vpdq_hash
from tests.web.live_service import LiveService
from tests.web.recording import ImageBytes, Recorder
from tests.web.reference import hamming
from tests.web.videos import make_clip

pytestmark = pytest.mark.chromium

WAIT_MS = 120_000
PICKER = "Choose photos or videos"


@dataclass(frozen=True)
class Video:
    name: str
    mime: str
    data: bytes

    def payload(self) -> dict[str, Any]:
        return {"name": self.name, "mimeType": self.mime, "buffer": self.data}

    @property
    def md5(self) -> str:
        return hashlib.md5(self.data).hexdigest()  # noqa: S324


@pytest.fixture(scope="module")
def videos() -> dict[str, Video]:
    return {
        "clip": Video("holiday.mp4", "video/mp4", make_clip(seconds=6, seed=21)),
        "codec": Video("old-phone.mp4", "video/mp4", make_clip(seconds=2, codec="mpeg4")),
        "webm": Video(
            "screen.webm", "video/webm", make_clip(seconds=2, codec="libvpx-vp9", container="webm")
        ),
    }


@dataclass
class Journey:
    recorder: Recorder
    states: dict[str, str]
    summary: str
    preview: dict[str, Any]


def file_state(page: Any, name: str) -> str:
    text: str = page.locator(".file", has_text=name).locator(".file-state").inner_text()
    return text


@pytest.fixture(scope="module")
def journey(browser: Any, live_service: LiveService, videos: dict[str, Video]) -> Iterator[Journey]:
    context = browser.new_context(viewport={"width": 1000, "height": 900})
    recorder = Recorder().attach(context)
    page = context.new_page()
    try:
        page.goto(f"{live_service.url}/submit")
        page.get_by_label(PICKER).set_input_files([v.payload() for v in videos.values()])
        send = page.get_by_role("button", name="Send the fingerprints")
        expect(send).to_be_enabled(timeout=WAIT_MS)
        states = {v.name: file_state(page, v.name) for v in videos.values()}
        summary = page.locator("#summary").inner_text()
        preview = json.loads(page.locator("#payload").text_content() or "null")
        send.click()
        page.locator("#receipt").wait_for(state="visible", timeout=WAIT_MS)
        yield Journey(recorder, states, summary, preview)
    finally:
        context.close()


def test_each_video_is_explained_truthfully(journey: Journey, videos: dict[str, Video]) -> None:
    states = journey.states
    assert states["holiday.mp4"] == (
        "Fingerprinted: 6 frames of this video (one a second) and its exact fingerprint."
    )
    assert states["old-phone.mp4"].startswith(
        "This browser cannot decode this video's format, so it is registered by its exact "
        "fingerprint only"
    )
    assert states["screen.webm"].startswith("This page reads only MP4 videos")
    assert "1 video by its frames and 2 files by exact fingerprint only" in journey.summary


def test_a_video_is_sent_as_one_item_as_the_python_client_sends_it(
    journey: Journey, videos: dict[str, Video], tmp_path: Path, live_service: LiveService
) -> None:
    [request] = journey.recorder.to("POST", "/v1/cases")
    body = json.loads(request.body)
    assert body == journey.preview  # the page showed exactly what it then sent
    clip = videos["clip"]
    [photo] = {h["photo"] for h in body["hashes"] if h["value"] == clip.md5}
    sent = [h for h in body["hashes"] if h["photo"] == photo]

    path = tmp_path / clip.name
    path.write_bytes(clip.data)
    [python] = collect((str(path),)).files
    assert python.is_video
    # The same entries in the same order, field for field; frame hashes within a few bits.
    assert [{k for k in h if k != "photo"} for h in sent] == [
        {k for k in h if k != "photo"} for h in python.entries
    ]
    assert [(h["algorithm"], h.get("variant")) for h in sent] == [
        (h["algorithm"], h.get("variant")) for h in python.entries
    ]
    assert [h["algorithm"] for h in sent] == ["pdq"] * 6 + ["md5", "sha256"]
    for got, want in zip(sent, python.entries, strict=True):
        if got["algorithm"] == "pdq":
            assert hamming(got["value"], want["value"]) <= 8
            assert abs(got["quality"] - want["quality"]) <= 5
        else:
            assert got["value"] == want["value"]
    # The fallbacks: their exact fingerprints only, each file one item.
    for video in (videos["codec"], videos["webm"]):
        group = [
            h
            for h in body["hashes"]
            if h["photo"] in {g["photo"] for g in body["hashes"] if g["value"] == video.md5}
        ]
        assert [h["algorithm"] for h in group] == ["md5", "sha256"], video.name
        assert group[1]["value"] == hashlib.sha256(video.data).hexdigest()

    # A still of one of its frames (the frame hash itself here) matches the registered video.
    with live_service.api() as api:
        response = api.post(
            "/v1/match",
            json={
                "items": [
                    {"ref": "still", "hashes": [{"algorithm": "pdq", "value": sent[2]["value"]}]}
                ]
            },
            headers={"Authorization": f"Bearer {live_service.platform_key()}"},
        )
    assert response.status_code == 200, response.text
    assert response.json()["results"][0]["matched"] is True


def test_no_byte_of_a_video_leaves_the_page(
    journey: Journey, videos: dict[str, Video], live_service: LiveService
) -> None:
    requests = journey.recorder.requests
    paths = {urlsplit(r.url).path for r in requests}
    # The worker's video code was loaded, so the recording covers the worker that read them.
    assert {
        "/static/js/hash-worker.js",
        "/static/js/video-hash.js",
        "/static/vendor/mp4box/mp4box.all.mjs",
    } <= paths
    assert {r.origin for r in requests} == {live_service.url}
    bodies = [r.body for r in journey.recorder.with_body()]
    assert len(bodies) == 1  # the case creation; nothing else sent a body
    for video in videos.values():
        sample = ImageBytes(video.name, video.data)
        assert sample.windows >= len(video.data) // 16
        for body in bodies:
            assert sample.found_in(body) == [], video.name
            assert video.name.encode() not in body
            assert Path(video.name).stem.encode() not in body
    for request in requests:  # nor in an address
        for video in videos.values():
            assert video.name not in request.url


def test_no_console_errors_or_csp_violations(journey: Journey) -> None:
    assert journey.recorder.csp_violations() == []
    assert journey.recorder.console_errors() == []


def test_the_leak_detector_finds_a_video_slice(videos: dict[str, Video]) -> None:
    data = videos["clip"].data
    sample = ImageBytes("clip", data)
    middle = len(data) // 2
    assert sample.found_in(b'{"x": "' + data[middle : middle + 47] + b'"}')
    assert sample.found_in(json.dumps({"x": data[middle : middle + 47].hex()}).encode())


def test_stop_cancels_a_video_and_it_is_not_sent(browser: Any, live_service: LiveService) -> None:
    long = Video("long.mp4", "video/mp4", make_clip(seconds=40, width=640, height=360, seed=5))
    short = Video("short.mp4", "video/mp4", make_clip(seconds=2, seed=6))
    context = browser.new_context(viewport={"width": 1000, "height": 900})
    page = context.new_page()
    try:
        page.goto(f"{live_service.url}/submit")
        page.get_by_label(PICKER).set_input_files([long.payload()])
        stop = page.get_by_role("button", name="Stop fingerprinting long.mp4")
        expect(stop).to_be_visible(timeout=WAIT_MS)
        expect(page.locator(".file", has_text="long.mp4").locator(".file-state")).to_contain_text(
            "Reading the video's frames"
        )
        stop.click()
        state = page.locator(".file", has_text="long.mp4").locator(".file-state")
        expect(state).to_have_text(
            "You stopped the fingerprinting of this video. It will not be sent: remove it, or "
            "choose it again to start over.",
            timeout=WAIT_MS,
        )
        expect(stop).to_be_hidden()
        focused = page.evaluate("document.activeElement?.getAttribute('aria-label')")
        assert focused == "Remove long.mp4"  # the keyboard's place stays on the file
        # The worker goes on with the next file; the stopped video is not in what is sent.
        page.get_by_label(PICKER).set_input_files([short.payload()])
        expect(page.get_by_role("button", name="Send the fingerprints")).to_be_enabled(
            timeout=WAIT_MS
        )
        preview = json.loads(page.locator("#payload").text_content() or "null")
        values = {h["value"] for h in preview["hashes"]}
        assert short.md5 in values and long.md5 not in values
    finally:
        context.close()


def test_a_browser_without_webcodecs_says_so(browser: Any, live_service: LiveService) -> None:
    """A page on an insecure origin has no WebCodecs (it is only for secure contexts): the
    video is registered by its exact fingerprints, and the page says why. The origin
    http://insecure.test is answered by the service through the browser's request routing."""
    insecure = "http://insecure.test"

    def forward(route: Any) -> None:
        url = live_service.url + route.request.url[len(insecure) :]
        route.fulfill(response=route.fetch(url=url))

    clip = Video("clip.mp4", "video/mp4", make_clip(seconds=2, seed=8))
    context = browser.new_context(viewport={"width": 1000, "height": 900})
    context.route(f"{insecure}/**", forward)
    try:
        page = context.new_page()
        page.goto(f"{insecure}/submit")
        assert page.evaluate("() => window.isSecureContext") is False
        page.get_by_label(PICKER).set_input_files([clip.payload()])
        expect(page.get_by_role("button", name="Send the fingerprints")).to_be_enabled(
            timeout=WAIT_MS
        )
        assert file_state(page, "clip.mp4").startswith(
            "This browser cannot read videos, so this one is registered by its exact "
            "fingerprint only"
        )
        preview = json.loads(page.locator("#payload").text_content() or "null")
        assert [h["algorithm"] for h in preview["hashes"]] == ["md5", "sha256"]
    finally:
        context.close()


def test_a_video_is_added_to_a_case_on_the_case_page(
    browser: Any, live_service: LiveService
) -> None:
    first = make_clip(seconds=2, seed=31)
    with live_service.api() as api:
        opened = api.post(
            "/v1/cases",
            json={"hashes": [{"algorithm": "md5", "value": hashlib.md5(first).hexdigest()}]},  # noqa: S324
        )
    assert opened.status_code == 201, opened.text
    case_id, secret = opened.json()["case_id"], opened.json()["secret"]
    video = Video("later.mp4", "video/mp4", make_clip(seconds=3, seed=32))
    context = browser.new_context(viewport={"width": 1000, "height": 900})
    recorder = Recorder().attach(context)
    try:
        page = context.new_page()
        page.goto(f"{live_service.url}/case")
        page.get_by_label("Case id").fill(case_id)
        page.get_by_label("Secret", exact=True).fill(secret)
        page.get_by_role("button", name="Open my case").click()
        page.locator("#case-view").wait_for(state="visible", timeout=WAIT_MS)
        page.get_by_label("Choose more photos or videos").set_input_files([video.payload()])
        add = page.get_by_role("button", name="Add these fingerprints")
        expect(add).to_be_enabled(timeout=WAIT_MS)
        assert file_state(page, video.name).startswith("Fingerprinted: 3 frames of this video")
        add.click()
        page.get_by_text("Added 5 fingerprints").wait_for(timeout=WAIT_MS)
    finally:
        context.close()
    [request] = recorder.to("POST", f"/v1/cases/{case_id}/hashes")
    sent = json.loads(request.body)["hashes"]
    assert [(h["algorithm"], h.get("variant")) for h in sent] == [
        *[("pdq", "frame")] * 3,
        ("md5", None),
        ("sha256", None),
    ]
    assert len({h["photo"] for h in sent}) == 1
    assert ImageBytes(video.name, video.data).found_in(request.body) == []
    python = vpdq_hash(video.data)
    for got, want in zip(sent, frame_hashes(python.features), strict=False):
        assert hamming(got["value"], want.pdq.hex) <= 8
