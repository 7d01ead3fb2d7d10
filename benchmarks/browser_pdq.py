"""How long the /submit page takes to PDQ-hash a 12 MP phone photo in headless Chromium.

Decode (EXIF orientation applied) + fast path + PDQ, in a module Web Worker as the page does it,
against the exact path (every decoded pixel hashed) and, for scale, the Python reference
(Pillow decode + `pdqhash` on the full image). Each worker's first run is reported apart (cold
JIT, as for a victim's first photo); medians are over the runs after it. Target: under 1.5 s.

    .venv/bin/python benchmarks/browser_pdq.py [--runs 7] [--workers 3] [--conformance]
        [--digest-mib N] [--variants] [IMAGE]

With --variants it also times what the page does since issue 8: the full-resolution PDQ and the
stored variants of the photo (`hashPhotoFile`, variants.js), and compares them with Python's
`photo_variants` of the Pillow-decoded image.

With --digest-mib N it also times streamed MD5 + SHA-256 (digest.js) over N MiB in a worker.
With --conformance it also hashes every conformance image by the default path and prints each
one's Hamming distance to expected.json's `pdq` (the tests assert <= 8 where quality >= 80).

Loopback only; Chromium is /usr/bin/chromium.
"""

from __future__ import annotations

import argparse
import json
import statistics
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
import pdqhash
from PIL import Image, ImageOps
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
STATIC_JS = ROOT / "src" / "hashstop" / "web" / "static" / "js"
BENCH_JS = Path(__file__).resolve().parent / "browser_pdq_worker.js"
VARIANTS_JSON = ROOT / "src" / "hashstop" / "hashing" / "variants.json"
FACTS_JSON = ROOT / "src" / "hashstop" / "hashing" / "facts.json"
CONFORMANCE = ROOT / "tests" / "data" / "pdq-conformance"
DEFAULT_IMAGE = CONFORMANCE / "images" / "exif-rotn" / "exif-rotn-1.jpg"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-gpu",
]
PAGE = b"<!doctype html><meta charset=utf-8><title>browser_pdq benchmark</title>"

RUN_IN_WORKER = """(message) => new Promise((resolve, reject) => {
  const worker = new Worker("/bench/worker.js", { type: "module" });
  worker.onmessage = ({ data }) => { worker.terminate(); resolve(data); };
  worker.onerror = (event) => reject(new Error(event.message));
  worker.postMessage(message);
})"""


def serve(image: Path) -> ThreadingHTTPServer:
    files = {
        "/bench/worker.js": BENCH_JS,
        "/bench/image": image,
        "/static/js/variants.json": VARIANTS_JSON,
        "/static/js/facts.json": FACTS_JSON,
    }
    folders = {"/static/js/": STATIC_JS, "/conformance/": CONFORMANCE}

    class Handler(SimpleHTTPRequestHandler):
        def translate_path(self, path: str) -> str:
            if path in files:
                return str(files[path])
            for prefix, folder in folders.items():
                if path.startswith(prefix) and ".." not in path:
                    return str(folder / path.removeprefix(prefix))
            return str(files.get(path, ROOT / "missing"))

        def do_GET(self) -> None:
            if self.path == "/":
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.end_headers()
                self.wfile.write(PAGE)
                return
            super().do_GET()

        def end_headers(self) -> None:
            self.send_header("Content-Security-Policy", "default-src 'self'")
            super().end_headers()

        def guess_type(self, path: Any) -> str:
            return "text/javascript" if str(path).endswith(".js") else "application/octet-stream"

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def python_reference_seconds(image: Path, runs: int) -> tuple[float, str]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        with Image.open(image) as opened:
            rgb = np.asarray(ImageOps.exif_transpose(opened).convert("RGB"))
        bits, _ = pdqhash.compute(rgb)
        times.append(time.perf_counter() - start)
    return statistics.median(times), bytes(np.packbits(bits.astype(np.uint8))).hex()


def distance(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


def print_conformance_distances(page: Any, url: str) -> None:
    cases = json.loads((CONFORMANCE / "expected.json").read_text())["cases"]
    urls = [f"{url}/conformance/{case['file']}" for case in cases]
    hashes = page.evaluate(RUN_IN_WORKER, {"urls": urls})
    print("browser-decoded PDQ (default path) vs expected.json, distance per image:")
    worst = 0
    for case, got in zip(cases, hashes, strict=True):
        d = distance(got, case["pdq"])
        if case["quality"] >= 80:
            worst = max(worst, d)
        print(f"  {d:3d}  q={case['quality']:3d}  {case['file']}")
    print(f"  max distance where quality >= 80: {worst}")


def print_variants(
    stored: dict[str, Any], image: Path, warm: list[float], cold: list[float], local: list[float]
) -> None:
    from hashstop.hashing import open_image, photo_variants

    python = {v.name: v.pdq.hex for v in photo_variants(open_image(image))}
    browser = {v["name"]: v["pdq"] for v in stored["variants"]}
    shared = python.keys() & browser.keys()
    worst = max((distance(python[n], browser[n]) for n in shared), default=0)
    print(f"Chromium worker, full-resolution PDQ + {len(browser)} stored variants (variants.js):")
    print(
        f"  median {statistics.median(warm):.3f} s over {len(warm)} warm runs;"
        f" first run in a fresh worker: median {statistics.median(cold):.3f} s"
    )
    print(
        f"  vs Python photo_variants: {len(shared)} of {len(python)} names shared,"
        f" largest distance {worst} bits"
    )
    print(
        f"  of which the {len(stored.get('local', []))} local hashes (local.js, issue 14, on"
        f" decoded pixels): median {statistics.median(local):.3f} s over {len(local)} runs"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("image", nargs="?", type=Path, default=DEFAULT_IMAGE)
    parser.add_argument("--runs", type=int, default=7, help="runs per worker (first is cold)")
    parser.add_argument("--workers", type=int, default=3, help="fresh workers, one after another")
    parser.add_argument("--conformance", action="store_true", help="per-image distance table")
    parser.add_argument("--digest-mib", type=int, default=0, help="also time MD5+SHA-256")
    parser.add_argument("--variants", action="store_true", help="also time the stored variants")
    args = parser.parse_args()

    with Image.open(args.image) as opened:
        size = f"{opened.width}x{opened.height}"
    print(f"{args.image.name}: {size}, {args.image.stat().st_size:,} bytes")
    server = serve(args.image)
    url = f"http://127.0.0.1:{server.server_address[1]}"
    cold_fast, cold_exact, warm_fast, warm_exact = [], [], [], []
    cold_stored, warm_stored, local_s = [], [], []
    parts: dict[str, list[float]] = {"decode": [], "readback": [], "pdq": []}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        page = browser.new_page()
        page.goto(url + "/")
        for _ in range(args.workers):
            data = page.evaluate(
                RUN_IN_WORKER,
                {"url": url + "/bench/image", "runs": args.runs, "variants": args.variants},
            )
            if args.variants:
                cold_stored.append(data["stored"][0] / 1000)
                warm_stored += [t / 1000 for t in data["stored"][1:]]
                local_s += [t / 1000 for t in data["local"]]
            cold_fast.append(data["fast"][0] / 1000)
            cold_exact.append(data["exact"][0]["total"] / 1000)
            warm_fast += [t / 1000 for t in data["fast"][1:]]
            warm_exact += [t["total"] / 1000 for t in data["exact"][1:]]
            for timing in data["exact"][1:]:
                for key in parts:
                    parts[key].append(timing[key] / 1000)
        if args.conformance:
            print_conformance_distances(page, url)
        if args.digest_mib:
            seconds = page.evaluate(RUN_IN_WORKER, {"digestBytes": args.digest_mib << 20})
            print(
                f"MD5 + SHA-256 of {args.digest_mib} MiB in a worker: {seconds:.2f} s"
                f" ({args.digest_mib / seconds:.0f} MiB/s)"
            )
        browser.close()
    server.shutdown()
    reference_s, reference_hash = python_reference_seconds(args.image, 3)

    fast, exact = data["fastResult"], data["exactResult"]
    print(f"Chromium worker, fast path ({fast['hashedWidth']}x{fast['hashedHeight']} hashed):")
    print(
        f"  median {statistics.median(warm_fast):.3f} s over {len(warm_fast)} warm runs;"
        f" first run in a fresh worker: median {statistics.median(cold_fast):.3f} s,"
        f" max {max(cold_fast):.3f} s"
    )
    print("Chromium worker, exact path (every decoded pixel):")
    print(
        f"  median {statistics.median(warm_exact):.3f} s over {len(warm_exact)} warm runs"
        f" (decode {statistics.median(parts['decode']):.3f}, readback"
        f" {statistics.median(parts['readback']):.3f}, pdq {statistics.median(parts['pdq']):.3f});"
        f" first run: median {statistics.median(cold_exact):.3f} s"
    )
    if args.variants:
        print_variants(data["storedResult"], args.image, warm_stored, cold_stored, local_s)
    print(f"Python reference (Pillow + pdqhash, full image): median {reference_s:.3f} s")
    print(
        f"ratios: exact/fast {statistics.median(warm_exact) / statistics.median(warm_fast):.1f}x,"
        f" reference/fast {reference_s / statistics.median(warm_fast):.1f}x"
    )
    print(
        f"hash distance to the reference: fast path {distance(fast['hash'], reference_hash)},"
        f" exact path {distance(exact['hash'], reference_hash)}"
    )


if __name__ == "__main__":
    main()
