"""Screenshots of the victim pages on a phone-sized screen, in two languages, for docs/victims.md.

Run by hand (not by the test suite, so CI never rewrites them):

    .venv/bin/python -m tests.web.phone_screenshots [--out docs/screenshots] [--languages en ar]

It starts the real service on a loopback port with a throwaway SQLite database (an example
operator name and helplines file), and in headless Chromium at 390 x 844 CSS pixels, as a touch
phone, it shows for each language: the home page, /submit with two photos and a damaged file
fingerprinted (thumbnails hidden), the receipt, and the open case. The case id and secret in the
pictures belong to that throwaway database.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from typing import Any

from playwright.sync_api import FilePayload, expect, sync_playwright

from tests.conftest import CONFORMANCE_DIR, REPO_ROOT
from tests.web.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.web.live_service import running_service

PHOTOS = ["images/bridge-mods/aaa-orig.jpg", "images/misc/pen-and-coaster.png"]
WAIT_MS = 120_000
HELPLINES = {
    "helplines": [
        {
            "country": "international",
            "name": "Example helpline (set yours: HASHSTOP_HELPLINES_FILE)",
            "url": "https://helpline.example/",
        }
    ]
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "docs" / "screenshots")
    parser.add_argument("--languages", nargs="+", default=["en", "ar"])
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
    damaged = (CONFORMANCE_DIR / PHOTOS[0]).read_bytes()
    files.append(
        FilePayload(name="IMG_2041.jpg", mimeType="image/jpeg", buffer=damaged[: len(damaged) // 3])
    )
    written = []
    with tempfile.TemporaryDirectory() as folder:
        helplines = Path(folder) / "helplines.json"
        helplines.write_text(json.dumps(HELPLINES))
        with (
            running_service(
                Path(folder),
                operator_name="Example Support Charity",
                operator_contact="help@charity.example",
                privacy_notice_url="https://charity.example/privacy",
                helplines_file=helplines,
            ) as service,
            sync_playwright() as playwright,
        ):
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
            for language in args.languages:
                context = browser.new_context(
                    viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
                )
                page = context.new_page()

                def shot(page: Any, name: str, lang: str = language) -> None:
                    # A tall viewport, not full_page: Chromium's full-page capture drops the
                    # touch emulation, and the page would be drawn as on a computer.
                    page.evaluate("document.activeElement?.blur()")
                    height = page.evaluate("document.documentElement.scrollHeight")
                    page.set_viewport_size({"width": 390, "height": max(844, height)})
                    path = args.out / f"phone-{lang}-{name}.png"
                    page.screenshot(path=path)
                    page.set_viewport_size({"width": 390, "height": 844})
                    written.append(path)

                page.goto(f"{service.url}/?lang={language}")
                shot(page, "home")
                page.goto(f"{service.url}/submit")
                page.locator("#submit-files").set_input_files(files)
                expect(page.locator("#send")).to_be_enabled(timeout=WAIT_MS)
                page.locator("#submit-thumbs").click()
                shot(page, "submit")
                page.locator("#send").click()
                expect(page.locator("#receipt")).to_be_visible(timeout=WAIT_MS)
                case_id = page.locator("#case-id").inner_text()
                secret = page.locator("#case-secret").inner_text()
                shot(page, "receipt")
                page.evaluate("window.onbeforeunload = null")
                page.on("dialog", lambda dialog: dialog.accept())
                page.goto(f"{service.url}/case")
                page.locator("#case-id").fill(case_id)
                page.locator("#case-secret").fill(secret)
                page.locator("#open-case").click()
                expect(page.locator("#case-view")).to_be_visible(timeout=WAIT_MS)
                shot(page, "case")
                context.close()
            browser.close()
    for path in written:
        print(f"wrote {path}")  # noqa: T201


if __name__ == "__main__":
    main()
