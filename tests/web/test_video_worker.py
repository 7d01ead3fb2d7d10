"""The hashing worker's videos (issue 13), in real headless Chromium: WebCodecs' VideoDecoder
with the vendored mp4box demuxer, the Python client's frame rule, float32 luma and pdq.js.

- Conformance clips (H.264 in MP4, as Debian's Chromium decodes it) give the same frame
  numbers, frame rate and frame count as `hashing.video.vpdq_hash`, and frame hashes a few bits
  from Python's (the decoders and the YUV to RGB rounding differ a little from FFmpeg's;
  docs/videos.md has the measured distribution).
- The frames a video is stored by are chosen exactly as `hashing.video.frame_hashes` chooses
  them (distinct, quality >= 50, at most 360 evenly spread, Python's rounding).
- A video the browser cannot hash falls back to its exact fingerprints with the reason: a codec
  it cannot decode (MPEG-4 Part 2), not an MP4 (WebM), a cut-short MP4.
- A cancelled request stops and answers "cancelled"; the worker goes on with the next one.
- The vendored mp4box is the locked version, byte for byte as recorded.
"""

from __future__ import annotations

import hashlib
import json
import random
import statistics
from collections.abc import Iterator
from typing import Any

import pytest

from hashstop.hashing.types import PdqHash
from hashstop.hashing.video import VpdqFeature, frame_hashes, vpdq_hash
from tests.conftest import REPO_ROOT
from tests.web.conftest import WebSite
from tests.web.reference import hamming
from tests.web.videos import make_clip

pytestmark = pytest.mark.chromium

CLIPS = REPO_ROOT / "tests" / "data" / "vpdq-conformance" / "videos"
NPM = REPO_ROOT / "src" / "hashstop" / "web" / "npm"
VENDOR = REPO_ROOT / "src" / "hashstop" / "web" / "static" / "vendor" / "mp4box"

START_WORKER = """() => {
  const worker = new Worker("/static/js/hash-worker.js", { type: "module" });
  const pending = new Map();
  worker.addEventListener("message", ({ data }) => {
    const request = pending.get(data.id);
    if (data.type === "progress") {
      request.progress.push([data.stage, data.done, data.total]);
      if (data.stage === "video" && request.cancelAt !== null && data.done >= request.cancelAt) {
        worker.postMessage({ type: "cancel", id: data.id });
        request.cancelAt = null;
      }
      return;
    }
    pending.delete(data.id);
    request.resolve({ ...data, progress: request.progress });
  });
  worker.addEventListener("error", (event) => { window.workerError = String(event.message); });
  let nextId = 0;
  // Fetch a URL into a File and fingerprint it; `cancelAt`: cancel once that many frames are read.
  window.fingerprint = async (url, options = {}, cancelAt = null) => {
    const bytes = await (await fetch(url)).blob();
    const file = new File([bytes], url.split("/").pop(), { type: "video/mp4" });
    const id = nextId++;
    const answer = new Promise((resolve) => pending.set(id, { resolve, progress: [], cancelAt }));
    worker.postMessage({ id, file, ...options });
    return answer;
  };
}"""

FINGERPRINT = "([url, options, cancelAt]) => window.fingerprint(url, options, cancelAt)"


@pytest.fixture(scope="module")
def worker_page(browser: Any, web_site: WebSite) -> Iterator[Any]:
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{web_site.url}/index.html")
    page.evaluate(START_WORKER)
    try:
        yield page
    finally:
        assert errors == []
        assert page.evaluate("() => window.workerError ?? null") is None
        context.close()


def fingerprint(
    page: Any, site: WebSite, name: str, data: bytes, cancel_at: int | None = None, **options: Any
) -> dict[str, Any]:
    (site.fixtures_dir / name).write_bytes(data)
    answer: dict[str, Any] = page.evaluate(
        FINGERPRINT, [site.fixture_url(name), options, cancel_at]
    )
    return answer


def features(answer: dict[str, Any]) -> list[VpdqFeature]:
    return [
        VpdqFeature(f["frame"], f["quality"], PdqHash.from_hex(f["pdq"]), f["timestamp"])
        for f in answer["vpdq"]
    ]


@pytest.mark.parametrize(
    "clip", ["chair-19-sd-bar.mp4", "pattern-hd-no-bar.mp4", "test-padded-dimensions.mp4"]
)
def test_conformance_clip_hashes_as_python_does(
    worker_page: Any, web_site: WebSite, clip: str
) -> None:
    data = (CLIPS / clip).read_bytes()
    answer = fingerprint(worker_page, web_site, clip, data)
    assert answer["type"] == "result" and answer["kind"] == "video", answer.get("video_message")
    python = vpdq_hash(CLIPS / clip)
    assert answer["frame_rate"] == pytest.approx(python.frame_rate)
    assert answer["frames_decoded"] == python.frames_decoded
    assert (answer["width"], answer["height"]) == (python.width, python.height)
    assert [f["frame"] for f in answer["vpdq"]] == [f.frame for f in python.features]
    for got, want in zip(answer["vpdq"], python.features, strict=True):
        assert got["timestamp"] == pytest.approx(want.timestamp)
    distances = [
        hamming(got["pdq"], want.pdq.hex)
        for got, want in zip(answer["vpdq"], python.features, strict=True)
        if got["quality"] >= 50 and want.quality >= 50
    ]
    assert distances, "no frame of quality >= 50"
    # Measured on every conformance clip at one frame a second: median 0, maximum 4.
    assert statistics.median(distances) <= 2 and max(distances) <= 8, distances
    assert answer["md5"] == hashlib.md5(data).hexdigest()  # noqa: S324
    assert answer["sha256"] == hashlib.sha256(data).hexdigest()
    # The frames it is stored by: chosen from its features exactly as the Python client does.
    stored = [f.pdq.hex for f in frame_hashes(features(answer))]
    assert [f["pdq"] for f in answer["frame_hashes"]] == stored
    video = [p for p in answer["progress"] if p[0] == "video"]
    assert video[-1][1:] == [python.frames_decoded, python.frames_decoded]


def test_frame_rule_follows_seconds_per_hash(worker_page: Any, web_site: WebSite) -> None:
    data = make_clip(seconds=3, rate=25, cut_seconds=0.5)
    answer = fingerprint(worker_page, web_site, "rule.mp4", data, secondsPerHash=0.5)
    python = vpdq_hash(data, seconds_per_hash=0.5)
    # int(25 * 0.5) = 12: frames 0, 12, 24, ... of the 75 decoded
    assert [f["frame"] for f in answer["vpdq"]] == [f.frame for f in python.features]
    assert [f.frame for f in python.features] == list(range(0, 75, 12))
    every = fingerprint(worker_page, web_site, "every.mp4", data, secondsPerHash=0)
    assert len(every["vpdq"]) == answer["frames_decoded"] == 75


def test_stored_frames_are_chosen_as_the_python_client_chooses(worker_page: Any) -> None:
    rng = random.Random(3)
    python: list[VpdqFeature] = []
    for n in range(1000):
        value = f"{rng.getrandbits(256):064x}" if n % 7 else "ab" * 32  # some repeats
        python.append(VpdqFeature(n, rng.choice([20, 49, 50, 80, 100]), PdqHash.from_hex(value), 0))
    made = [{"frame": f.frame, "quality": f.quality, "pdq": f.pdq.hex} for f in python]
    # 7 distinct good frames thinned to 5: steps of 1.5, so Python's round (halves to even)
    # picks 0, 2, 3, 4, 6 where rounding halves up would pick 0, 2, 3, 5, 6.
    seven = [VpdqFeature(n, 90, PdqHash.from_hex(f"{n + 1:064x}"), 0) for n in range(7)]
    made_seven = [{"frame": f.frame, "quality": f.quality, "pdq": f.pdq.hex} for f in seven]
    got = worker_page.evaluate(
        """async ([made, seven]) => {
          const { frameHashes } = await import("/static/js/video-hash.js");
          const frames = (list) => list.map((f) => f.frame);
          return [frames(frameHashes(made)), frames(frameHashes(made, 5)),
                  frames(frameHashes(seven, 5))];
        }""",
        [made, made_seven],
    )
    assert got[0] == [f.frame for f in frame_hashes(python)]
    assert len(got[0]) == 360
    assert got[1] == [f.frame for f in frame_hashes(python, 5)]
    assert got[2] == [f.frame for f in frame_hashes(seven, 5)] == [0, 2, 3, 4, 6]


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("mpeg4.mp4", make_clip(seconds=1, codec="mpeg4"), "codec"),  # MPEG-4 Part 2
        ("vp9.webm", make_clip(seconds=1, codec="libvpx-vp9", container="webm"), "not-mp4"),
        ("cut.mp4", make_clip(seconds=2)[:20_000], "damaged"),  # its moov (at the end) is cut
    ],
)
def test_a_video_it_cannot_hash_keeps_its_exact_fingerprints(
    worker_page: Any, web_site: WebSite, name: str, data: bytes, reason: str
) -> None:
    answer = fingerprint(worker_page, web_site, name, data)
    assert answer["type"] == "result"
    assert (answer["kind"], answer["format"], answer["video_error"]) == ("file", "video", reason)
    assert "vpdq" not in answer and "frame_hashes" not in answer
    assert answer["md5"] == hashlib.md5(data).hexdigest()  # noqa: S324
    assert answer["sha256"] == hashlib.sha256(data).hexdigest()


def test_a_cancelled_video_stops_and_the_next_file_is_hashed(
    worker_page: Any, web_site: WebSite
) -> None:
    long = make_clip(seconds=20, width=640, height=360, seed=11)
    answer = fingerprint(worker_page, web_site, "long.mp4", long, cancel_at=30)
    assert (answer["type"], answer["reason"]) == ("error", "cancelled")
    read = [p[1] for p in answer["progress"] if p[0] == "video"]
    assert max(read) < 600  # stopped long before its 600 frames
    assert not any(p[0] == "digest" for p in answer["progress"])
    short = make_clip(seconds=2)
    after = fingerprint(worker_page, web_site, "after.mp4", short)
    assert after["type"] == "result" and after["kind"] == "video"
    assert len(after["vpdq"]) == 2


def test_the_vendored_mp4box_is_the_locked_version() -> None:
    wanted = json.loads((NPM / "package.json").read_text())["dependencies"]["mp4box"]
    lock = json.loads((NPM / "package-lock.json").read_text())
    entry = lock["packages"]["node_modules/mp4box"]
    assert entry["version"] == wanted
    assert entry["license"] == "BSD-3-Clause"
    recorded = {}
    for line in (NPM / "vendored.sha256").read_text().splitlines():
        digest, name = line.split()
        recorded[name] = digest
    assert recorded == {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(VENDOR.iterdir())
    }
    installed = NPM / "node_modules" / "mp4box"
    if installed.exists():  # after `npm ci` there: the served files are the package's
        assert json.loads((installed / "package.json").read_text())["version"] == wanted
        for name in recorded:
            source = installed / ("LICENSE" if name == "LICENSE" else f"dist/{name}")
            assert source.read_bytes() == (VENDOR / name).read_bytes(), name
