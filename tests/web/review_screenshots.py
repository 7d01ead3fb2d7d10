"""Screenshots of the /review pages for the README: `python -m tests.web.review_screenshots`.

Opt-in and run by hand (never by CI): it builds the demo scene of `review_demo.py` in a
throwaway SQLite database, serves the real app on a loopback port, signs in with headless
Chromium and writes docs/review-queue.png, docs/review-match.png and docs/review-activity.png.
For the activity chart only, some match records and verdicts are moved back a few days in the
throwaway database, so the chart has more than one day to show.
"""

from __future__ import annotations

import sys
import tempfile
from datetime import timedelta
from pathlib import Path

from playwright.sync_api import sync_playwright
from sqlalchemy import select

from hashstop.storage.database import Database, upgrade
from hashstop.storage.models import Feedback, MatchRecord
from tests.conftest import REPO_ROOT
from tests.service_fixtures import make_settings
from tests.web.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.web.live_app import live_app
from tests.web.review_demo import build, history

DOCS = REPO_ROOT / "docs"


def spread_over_days(url: str) -> None:
    """Move records back 0-13 days (demo only), so the activity chart shows a trend."""
    database = Database(url, pool_size=1)
    try:
        with database.transaction() as session:
            for i, record in enumerate(
                session.scalars(select(MatchRecord).order_by(MatchRecord.id))
            ):
                shift = timedelta(days=(i * 5) % 14, hours=i % 5)
                record.created_at -= shift
                record.updated_at -= shift
            verdicts = session.scalars(select(Feedback).order_by(Feedback.id))
            for i, feedback in enumerate(verdicts):
                feedback.created_at -= timedelta(days=(i * 5) % 14)
    finally:
        database.dispose()


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        url = f"sqlite:///{Path(tmp) / 'demo.db'}"
        upgrade(url)
        settings = make_settings(
            url, quarantine_matches=5, quarantine_platforms=2, log_level="WARNING"
        )
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        DOCS.mkdir(exist_ok=True)
        with live_app(settings) as base:
            scene = build(base, settings)
            page.goto(f"{base}/review/sign-in")
            page.fill("#key", scene.keys["moderator"])
            page.click("button[type=submit]")
            page.wait_for_url("**/review/queue")
            page.goto(f"{base}/review/queue?status=all")
            page.screenshot(path=str(DOCS / "review-queue.png"), full_page=True)
            page.goto(f"{base}/review/matches/{scene.match_ids['viral-000']}")
            page.fill("#note", "A widely shared meme, not the victim's photo.")
            page.click("button[value=false_positive]")
            page.wait_for_selector(".notice")
            page.screenshot(path=str(DOCS / "review-match.png"), full_page=True)
        # A second run on the same database, quarantine off, adds a fortnight of history.
        quiet = make_settings(url, quarantine_enabled=False, log_level="WARNING")
        with live_app(quiet) as base:
            scene.base = base
            history(scene)
            spread_over_days(url)
            page.goto(f"{base}/review/activity")  # cookies ignore the port: still signed in
            page.screenshot(path=str(DOCS / "review-activity.png"), full_page=True)
        browser.close()
    print(f"wrote {DOCS}/review-queue.png, review-match.png, review-activity.png")  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
