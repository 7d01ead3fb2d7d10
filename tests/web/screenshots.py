"""Make the README's screenshots of the victim pages: docs/submit.png and docs/receipt.png.

Run by hand (not by the test suite, so CI never rewrites them):

    .venv/bin/python -m tests.web.screenshots [--out docs]

It starts the real service on a loopback port with a throwaway SQLite database, chooses three
conformance images and a stand-in video on /submit in headless Chromium, waits for the
fingerprints and screenshots the page; then sends them and screenshots the receipt. The case id
and secret in the picture belong to that throwaway database.
"""

from __future__ import annotations

import argparse
import random
import tempfile
from pathlib import Path

from playwright.sync_api import FilePayload, expect, sync_playwright

from tests.conftest import CONFORMANCE_DIR, REPO_ROOT
from tests.web.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.web.live_service import running_service

PHOTOS = [
    "images/bridge-mods/aaa-orig.jpg",
    "images/misc/pen-and-coaster.png",
    "images/exif-rotn/exif-rotn-6.jpg",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "docs")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    files = [
        FilePayload(
            name=Path(p).name,
            mimeType="image/png" if p.endswith(".png") else "image/jpeg",
            buffer=(CONFORMANCE_DIR / p).read_bytes(),
        )
        for p in PHOTOS
    ]
    video = random.Random(1).randbytes(2**20)
    files.append(FilePayload(name="clip.mp4", mimeType="video/mp4", buffer=video))
    with tempfile.TemporaryDirectory() as folder, running_service(Path(folder)) as service:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
            page = browser.new_page(viewport={"width": 880, "height": 900})
            page.goto(f"{service.url}/submit")
            page.get_by_label("Choose photos or videos").set_input_files(files)
            send = page.get_by_role("button", name="Send the fingerprints")
            expect(send).to_be_enabled(timeout=60_000)
            page.mouse.move(0, 0)
            page.screenshot(path=args.out / "submit.png", full_page=True)
            send.click()
            expect(page.locator("#receipt")).to_be_visible(timeout=60_000)
            page.evaluate("document.activeElement.blur()")
            page.screenshot(path=args.out / "receipt.png", full_page=True)
            browser.close()
    print(f"wrote {args.out / 'submit.png'} and {args.out / 'receipt.png'}")  # noqa: T201


if __name__ == "__main__":
    main()
