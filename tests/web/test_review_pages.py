"""The /review pages in real headless Chromium against the real app on a loopback port.

A moderator signs in, filters the queue, decides a match, suspends a photo, restores its hash
and signs out; forms without the session's CSRF token are refused; the session cookie has the
right flags. The pages run under the service's strict Content-Security-Policy, so any inline
script or style would show up as a console error, which fails the test.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests import sample_hashes
from tests.web.live_app import live_app
from tests.web.review_demo import Scene, build

pytestmark = pytest.mark.chromium


@pytest.fixture
def site(settings: Any) -> Iterator[tuple[str, Scene]]:
    with live_app(settings) as base:
        yield base, build(base, settings, flood=False)


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    ctx = browser.new_context()
    try:
        yield ctx
    finally:
        ctx.close()


def new_page(context: Any) -> Any:
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status == 404 else None)
    page.console_errors = errors
    return page


def sign_in(page: Any, base: str, key: str, start: str = "/review/queue") -> None:
    page.goto(f"{base}{start}")
    assert "/review/sign-in" in page.url
    page.fill("#key", key)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}{start}")


def api(scene: Scene, who: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
    return httpx.request(method, f"{scene.base}{path}", headers=scene.bearer(who), **kwargs)


def matches_now(scene: Scene, seed: int) -> bool:
    body = {
        "items": [
            {"ref": "check", "hashes": [{"algorithm": "pdq", "value": sample_hashes.pdq(seed)}]}
        ]
    }
    response = api(scene, "clipsite", "POST", "/v1/match", json=body)
    return bool(response.json()["results"][0]["matched"])


def test_a_moderator_runs_the_review_loop(site: Any, context: Any) -> None:
    base, scene = site
    target = scene.match_ids["ps-post-48377"]  # photoshare, pending, hash of seed 12
    page = new_page(context)
    sign_in(page, base, scene.keys["moderator"], f"/review/matches/{target}")
    assert page.locator("h1").inner_text().startswith(f"Match {target}")

    # The queue, then filtered to one platform and every status.
    page.click("nav.review-nav >> text=Queue")
    assert page.locator("table.queue tbody tr").count() == 4  # pending by default
    page.select_option("#f-status", "all")
    page.fill("#f-platform", "photoshare")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**platform=photoshare**")
    platforms = page.locator("table.queue tbody tr td:nth-child(2)").all_inner_texts()
    assert platforms == ["photoshare"] * 3

    # Decide a match.
    page.click(f"a:text-is('{target}')")
    page.fill("#note", "Same photo, cropped.")
    page.click("button[value=confirmed]")
    page.wait_for_selector(".notice")
    assert "Decision saved" in page.locator(".notice").inner_text()
    assert page.locator("h1 .badge").inner_text() == "confirmed"
    assert "Same photo, cropped." in page.locator(".history").inner_text()
    decided = api(scene, "moderator", "GET", f"/v1/review/matches/{target}").json()
    assert (decided["status"], decided["decided_by"]) == ("confirmed", "moderator")

    # Suspend the photo it hit (the default action): it stops matching everywhere.
    assert matches_now(scene, 12)
    photo_form = "form[action*='/photos/'][action$='/suspend']"
    page.fill(f"{photo_form} input[name=reason]", "Looks like a stock photo")
    page.click(f"{photo_form} button")
    page.wait_for_selector(".notice")
    assert "photo is suspended" in page.locator(".notice").inner_text()
    assert "suspended" in page.locator(".hits-table").inner_text()
    assert "suspended" in page.locator(".variants-table").inner_text()
    assert not matches_now(scene, 12)

    # Restore it from the suspended hashes page.
    page.click("nav.review-nav >> text=Suspended hashes")
    rows = page.locator("table.suspended tbody tr")
    assert rows.count() == 1 and "Looks like a stock photo" in rows.inner_text()
    page.fill("table.suspended form[action$='/restore'] input[name=reason]", "Checked: real")
    page.click("table.suspended form[action$='/restore'] button")
    page.wait_for_selector(".notice")
    assert page.locator("table.suspended").count() == 0
    assert matches_now(scene, 12)

    # The activity page draws its charts.
    page.click("nav.review-nav >> text=Activity")
    assert page.locator("svg.chart rect.bar").count() > 0

    # Sign out: the session is gone, the pages ask to sign in again.
    page.click("button:text('Sign out')")
    page.wait_for_url("**/review/sign-in")
    assert not [c for c in context.cookies() if c["name"] == "hashstop_review"]
    page.goto(f"{base}/review/queue")
    assert "/review/sign-in" in page.url
    assert page.console_errors == []


def test_forms_without_the_sessions_csrf_token_are_refused(site: Any, context: Any) -> None:
    base, scene = site
    target = scene.match_ids["ps-post-48940"]
    page = new_page(context)
    sign_in(page, base, scene.keys["moderator"], f"/review/matches/{target}")
    url = f"{base}/review/matches/{target}/decide"
    missing = page.request.post(url, form={"decision": "dismissed"}, max_redirects=0)
    wrong = page.request.post(
        url, form={"decision": "dismissed", "csrf": "0" * 64}, max_redirects=0
    )
    assert missing.status == 403 and wrong.status == 403
    assert "CSRF" in missing.text()
    suspend = page.request.post(
        f"{base}/review/hashes/1/suspend", form={"reason": "x"}, max_redirects=0
    )
    signout = page.request.post(f"{base}/review/sign-out", max_redirects=0)
    assert suspend.status == 403 and signout.status == 403
    assert api(scene, "moderator", "GET", f"/v1/review/matches/{target}").json()["status"] == (
        "pending"
    )
    token = page.locator("input[name=csrf]").first.get_attribute("value")
    right = page.request.post(url, form={"decision": "dismissed", "csrf": token}, max_redirects=0)
    assert right.status == 303
    assert api(scene, "moderator", "GET", f"/v1/review/matches/{target}").json()["status"] == (
        "dismissed"
    )
    # Another session's token is no good either.
    other = context.browser.new_context()
    try:
        second = new_page(other)
        sign_in(second, base, scene.keys["admin"])
        replay = second.request.post(
            url, form={"decision": "confirmed", "csrf": token}, max_redirects=0
        )
        assert replay.status == 403
    finally:
        other.close()
    # The sign-in form is bound to its own pre-session cookie.
    fresh = context.browser.new_context()
    try:
        forged = fresh.request.post(
            f"{base}/review/sign-in",
            form={"key": scene.keys["moderator"], "csrf": "0" * 64},
            max_redirects=0,
        )
        assert forged.status == 403
        assert not [c for c in fresh.cookies() if c["name"] == "hashstop_review"]
    finally:
        fresh.close()


def test_the_session_cookie_is_httponly_strict_and_expires(site: Any, context: Any) -> None:
    base, scene = site
    page = new_page(context)
    before = time.time()
    sign_in(page, base, scene.keys["moderator"])
    (cookie,) = [c for c in context.cookies() if c["name"] == "hashstop_review"]
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Strict"
    assert cookie["secure"] is False  # plain http on loopback; https sets Secure (API test)
    assert cookie["path"] == "/review"
    lifetime = 480 * 60
    assert before + lifetime - 60 <= cookie["expires"] <= time.time() + lifetime + 60
    assert "hashstop_review" not in page.evaluate("document.cookie")


def test_an_admin_creates_and_revokes_a_key_on_the_keys_page(site: Any, context: Any) -> None:
    base, scene = site
    page = new_page(context)
    sign_in(page, base, scene.keys["admin"], "/review/keys")
    page.fill("#k-name", "newco-prod")
    page.select_option("#k-role", "platform")
    page.fill("#k-platform", "newco")
    page.click("form[action='/review/keys'] button[type=submit]")
    token = page.locator("#new-key").inner_text()
    assert token.startswith("hsk_")
    query = {"items": [{"ref": "u", "hashes": [{"algorithm": "md5", "value": "1" * 32}]}]}
    bearer = {"Authorization": f"Bearer {token}"}
    assert httpx.post(f"{base}/v1/match", json=query, headers=bearer).status_code == 200
    page.get_by_role("button", name="Revoke key newco-prod").click()
    page.wait_for_url(f"{base}/review/keys?done=revoked")
    assert "revoked" in page.locator("tr", has_text="newco-prod").inner_text()
    assert token not in page.content()  # shown once only
    assert httpx.post(f"{base}/v1/match", json=query, headers=bearer).status_code == 401
    entries = api(scene, "admin", "GET", "/v1/audit", params={"action": "key.revoked"}).json()
    assert any(e["target"] == "key:newco-prod" for e in entries["entries"])
    assert page.console_errors == []
