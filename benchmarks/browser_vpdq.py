"""vPDQ in headless Chromium (the /submit page's Web Worker) against the Python client's.

    .venv/bin/python -m benchmarks.browser_vpdq [--conformance] [--seconds-per-hash 1]
        [--timing] [--seconds 60] [--runs 3]

--conformance hashes every clip of tests/data/vpdq-conformance in the worker (WebCodecs
VideoDecoder, mp4box, pdq.js) and with `hashing.video.vpdq_hash`, checks that both keep the
same frame numbers, and prints the per-frame Hamming distances: per clip and over all frames
(median, 95th percentile, maximum, share identical), for all frames and for frames whose two
qualities are >= 50; and over all clips against the reference C++ hasher's features (the
conformance set's hashes/, every frame).

--timing makes one minute of 720p at 30 fps (H.264, the clip of benchmarks/video_cost.py) and
times the worker's whole answer for it at one frame a second (decode every frame, PDQ of 60,
MD5 and SHA-256), `--runs` times in one worker (the first run is cold). Target: under 20 s.
`--bit-rate 8000000` makes a grainy clip at a phone's bit rate instead (harder to decode).

Loopback only; Chromium is /usr/bin/chromium.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from playwright.sync_api import sync_playwright

from hashstop.hashing.video import parse_lines, vpdq_hash

ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "src" / "hashstop" / "web" / "static"
HASHING = ROOT / "src" / "hashstop" / "hashing"
CLIPS = ROOT / "tests" / "data" / "vpdq-conformance" / "videos"
REFERENCE = ROOT / "tests" / "data" / "vpdq-conformance" / "hashes"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-gpu",
]
PAGE = b"<!doctype html><meta charset=utf-8><title>browser_vpdq benchmark</title>"

START = """() => {
  const worker = new Worker("/static/js/hash-worker.js", { type: "module" });
  let next = 0;
  window.hashVideo = async (url, secondsPerHash) => {
    const blob = await (await fetch(url)).blob();
    const file = new File([blob], url.split("/").pop(), { type: "video/mp4" });
    const id = next++;
    return new Promise((resolve) => {
      const listen = ({ data }) => {
        if (data.id !== id || data.type === "progress") return;
        worker.removeEventListener("message", listen);
        resolve({ ...data, ms: performance.now() - started });
      };
      worker.addEventListener("message", listen);
      const started = performance.now();
      worker.postMessage({ id, file, secondsPerHash });
    });
  };
}"""


class Handler(SimpleHTTPRequestHandler):
    extensions_map = {
        **SimpleHTTPRequestHandler.extensions_map,
        ".js": "text/javascript",
        ".mjs": "text/javascript",
        ".json": "application/json",
    }

    def __init__(self, *args: Any, clips: Path, **kwargs: Any) -> None:
        self.clips = clips
        super().__init__(*args, **kwargs)

    def translate_path(self, path: str) -> str:
        path = path.split("?", 1)[0]
        if path in ("/static/js/variants.json", "/static/js/facts.json"):
            return str(HASHING / path.rsplit("/", 1)[1])
        if path.startswith("/static/") and ".." not in path:
            return str(STATIC / path[len("/static/") :])
        if path.startswith("/clips/") and ".." not in path:
            return str(self.clips / path[len("/clips/") :])
        return "/nonexistent"

    def do_GET(self) -> None:
        if self.path in ("/", "/index.html"):
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(PAGE)
            return
        super().do_GET()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def worker_page(clips: Path) -> Iterator[tuple[Any, str]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, clips=clips))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
            )
            page = browser.new_page()
            page.goto(f"{base}/index.html")
            page.evaluate(START)
            try:
                yield page, base
            finally:
                browser.close()
    finally:
        server.shutdown()
        server.server_close()


def hamming(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


def summary(values: list[int]) -> str:
    if not values:
        return "no frames"
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    same = 100 * sum(1 for v in values if v == 0) / len(values)
    return (
        f"{len(values)} frames, median {statistics.median(values):g}, 95th percentile {p95}, "
        f"maximum {ordered[-1]}, identical {same:.1f}%"
    )


def conformance(page: Any, base: str, seconds_per_hash: float) -> None:
    every: list[int] = []
    good: list[int] = []
    against_reference: list[int] = []
    for clip in sorted(CLIPS.glob("*.mp4")):
        answer = page.evaluate(
            "([url, s]) => window.hashVideo(url, s)",
            [f"{base}/clips/{clip.name}", seconds_per_hash],
        )
        if answer.get("kind") != "video":
            reason = f"{answer.get('video_error')}: {answer.get('video_message')}"
            print(f"{clip.name}: not hashed ({reason})")
            continue
        python = vpdq_hash(clip, seconds_per_hash=seconds_per_hash).features
        browser = answer["vpdq"]
        frames_equal = [f["frame"] for f in browser] == [f.frame for f in python]
        distances = [hamming(b["pdq"], p.pdq.hex) for b, p in zip(browser, python, strict=False)]
        good_distances = [
            d
            for d, b, p in zip(distances, browser, python, strict=False)
            if b["quality"] >= 50 and p.quality >= 50
        ]
        every += distances
        good += good_distances
        # The reference C++ hasher's features of every frame, where the clip has them.
        reference_file = REFERENCE / f"{clip.stem}.txt"
        if reference_file.exists():
            reference = {f.frame: f for f in parse_lines(reference_file.read_text())}
            against_reference += [
                hamming(b["pdq"], reference[b["frame"]].pdq.hex)
                for b in browser
                if b["frame"] in reference
                and b["quality"] >= 50
                and reference[b["frame"]].quality >= 50
            ]
        print(
            f"{clip.name}: same frames {frames_equal} ({len(browser)} / {len(python)}), "
            f"{answer['ms'] / 1000:.1f} s; all: {summary(distances)}; "
            f"quality >= 50: {summary(good_distances)}"
        )
    print(f"ALL frames: {summary(every)}")
    print(f"ALL frames of quality >= 50 (both): {summary(good)}")
    print(f"against the C++ reference (quality >= 50 both): {summary(against_reference)}")


def make_noisy_clip(path: Path, seconds: int, bit_rate: int) -> None:
    """The same pan with fresh grain on every frame, encoded at `bit_rate` (a phone's rate):
    far harder to decode than the clean clip."""
    import av
    import numpy as np

    from benchmarks.video_cost import HEIGHT, RATE, WIDTH

    rng = np.random.default_rng(17)
    with av.open(str(path), mode="w") as muxer:
        stream: Any = muxer.add_stream("libx264", rate=RATE)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        stream.bit_rate = bit_rate
        stream.options = {"preset": "veryfast"}
        grain = rng.integers(-24, 25, size=(8, HEIGHT, WIDTH, 1), dtype=np.int16)
        texture = None
        for i in range(seconds * RATE):
            if i % (10 * RATE) == 0:
                small = rng.integers(0, 256, size=(HEIGHT // 16, (WIDTH + 912) // 16, 3))
                texture = np.kron(small.astype(np.int16), np.ones((16, 16, 1), dtype=np.int16))
            assert texture is not None  # noqa: S101  # nosec B101
            x = 3 * (i % (10 * RATE))
            picture = np.clip(texture[:HEIGHT, x : x + WIDTH] + grain[i % 8], 0, 255)
            frame = av.VideoFrame.from_ndarray(picture.astype(np.uint8), format="rgb24")
            for packet in stream.encode(frame):
                muxer.mux(packet)
        for packet in stream.encode():
            muxer.mux(packet)


def timing(
    page: Any, base: str, folder: Path, seconds: int, runs: int, bit_rate: int | None
) -> None:
    from benchmarks.video_cost import make_clip

    clip = folder / "clip-720p.mp4"
    started = time.perf_counter()
    if bit_rate:
        make_noisy_clip(clip, seconds, bit_rate)
    else:
        make_clip(clip, seconds)
    print(
        f"made {seconds} s of 1280x720 at 30 fps ({clip.stat().st_size / 1e6:.1f} MB) "
        f"in {time.perf_counter() - started:.1f} s"
    )
    times = []
    for run in range(runs):
        answer = page.evaluate(
            "([url, s]) => window.hashVideo(url, s)", [f"{base}/clips/{clip.name}", 1]
        )
        assert answer["kind"] == "video", answer
        times.append(answer["ms"] / 1000)
        print(
            f"run {run + 1}: {times[-1]:.1f} s, {answer['frames_decoded']} frames decoded, "
            f"{len(answer['vpdq'])} hashed, {len(answer['frame_hashes'])} stored"
        )
    print(f"median {statistics.median(times):.1f} s (first run {times[0]:.1f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conformance", action="store_true")
    parser.add_argument("--seconds-per-hash", type=float, default=1.0)
    parser.add_argument("--timing", action="store_true")
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--bit-rate", type=int, default=0, help="timing: a grainy clip at this rate (e.g. 8000000)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        if args.conformance:
            with worker_page(CLIPS) as (page, base):
                conformance(page, base, args.seconds_per_hash)
        if args.timing:
            with worker_page(folder) as (page, base):
                timing(page, base, folder, args.seconds, args.runs, args.bit_rate or None)


if __name__ == "__main__":
    main()
