"""The /review pages over HTTP (no browser): sessions, who sees what, what never appears."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from hashstop.app import create_app
from hashstop.service.keys import KeyService
from hashstop.service.tokens import Keyring
from hashstop.storage.models import ReviewSession, utcnow
from tests import sample_hashes
from tests.api.moderation import headers, match, match_id, open_case
from tests.service_fixtures import running_client

CSRF = re.compile(r'name="csrf" value="([0-9a-f]{64})"')


def found(pattern, text):
    """The first group of `pattern` in `text` (the test fails if it is absent)."""
    hit = re.search(pattern, text)
    assert hit is not None, pattern
    return hit.group(1)


@pytest.fixture
def keys(make_key):
    return {
        "acme": make_key("platform", name="acme-key", platform="acme"),
        "other": make_key("platform", name="other-key", platform="other"),
        "moderator": make_key("moderator", name="mod"),
        "scoped": make_key("moderator", name="mod-acme", platform="acme"),
        "admin": make_key("admin", name="root"),
    }


def sign_in(client, key, next_path=""):
    form = client.get("/review/sign-in")
    token = found(CSRF, form.text)
    return client.post(
        "/review/sign-in",
        data={"key": key, "csrf": token, "next": next_path},
        follow_redirects=False,
    )


def csrf_of(client, path="/review/queue"):
    return found(CSRF, client.get(path).text)


def test_secure_flag_over_https_and_only_a_keyed_hash_is_stored(settings, keys, database):
    app = create_app(settings)
    with running_client(app) as plain:
        response = sign_in(plain, keys["moderator"])
        assert response.status_code == 303 and response.headers["location"] == "/review/queue"
        (cookie,) = [
            c for c in response.headers.get_list("set-cookie") if c.startswith("hashstop_review=")
        ]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/review" in cookie
        assert "Secure" not in cookie and "Max-Age=28800" in cookie  # 480 minutes
    secure = running_client(app)
    secure.base_url = "https://testserver"
    with secure:
        cookies = sign_in(secure, keys["moderator"]).headers.get_list("set-cookie")
        (cookie,) = [c for c in cookies if c.startswith("hashstop_review=")]
        assert "; Secure" in cookie
        token = found(r"hashstop_review=([^;]+)", cookie)
    with database.transaction() as session:
        stored = session.scalars(select(ReviewSession.token_hash)).all()
    assert len(stored) == 2 and all(len(h) == 32 for h in stored)
    assert token.encode() not in stored
    assert Keyring(settings.secret_key_bytes).digest("review-session", token) in stored


def test_sign_in_refuses_other_credentials_and_never_redirects_away(client, keys):
    for key, status in (
        (keys["acme"], 403),
        ("hsc_00000-00000-00000-00000-00000", 403),
        ("hsk_nonsense", 401),
        ("", 401),
    ):
        response = sign_in(client, key)
        assert response.status_code == status
        assert "hashstop_review=" not in response.headers.get("set-cookie", "")
        assert 'class="error"' in response.text
    for evil in ("https://evil.example/", "//evil.example/review", "/review/../v1/audit"):
        response = sign_in(client, keys["moderator"], evil)
        assert response.headers["location"] == "/review/queue"
    kept = sign_in(client, keys["moderator"], "/review/hashes?kind=quarantine")
    assert kept.headers["location"] == "/review/hashes?kind=quarantine"


def test_sign_out_and_revocation_end_the_session(client, keys, settings, database):
    sign_in(client, keys["moderator"])
    assert client.get("/review/queue").status_code == 200
    out = client.post("/review/sign-out", data={"csrf": csrf_of(client)}, follow_redirects=False)
    assert out.status_code == 303 and 'hashstop_review=""' in out.headers["set-cookie"]
    with database.transaction() as session:
        assert session.scalars(select(ReviewSession)).all() == []

    sign_in(client, keys["moderator"])
    assert client.get("/review/queue").status_code == 200
    with database.transaction() as session:
        KeyService(session, Keyring(settings.secret_key_bytes)).revoke("mod")
    gone = client.get("/review/queue", follow_redirects=False)
    assert gone.status_code == 303
    assert gone.headers["location"].startswith("/review/sign-in?next=/review/queue")

    sign_in(client, keys["admin"])
    with database.transaction() as session:
        session.execute(update(ReviewSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert client.get("/review/queue", follow_redirects=False).status_code == 303


def test_a_scoped_moderators_pages(client, keys):
    open_case(client, sample_hashes.pdq_entry(1))
    mine = match_id(client, headers(keys["acme"]), sample_hashes.pdq(1), "acme-upload-1")
    theirs = match_id(client, headers(keys["other"]), sample_hashes.pdq(1), "other-upload-1")
    sign_in(client, keys["scoped"])
    queue = client.get("/review/queue").text
    assert mine in queue and theirs not in queue and "other-upload-1" not in queue
    assert 'id="f-platform"' not in queue
    page = client.get(f"/review/matches/{mine}")
    assert (
        page.status_code == 200
        and "/suspend" not in page.text
        and "Suspended hashes" not in page.text
    )
    assert client.get(f"/review/matches/{theirs}").status_code == 404
    assert client.get("/review/hashes").status_code == 403
    assert client.get("/review/allowlist").status_code == 403
    refused = client.post("/review/hashes/1/suspend", data={"csrf": csrf_of(client), "reason": "x"})
    assert refused.status_code == 403
    assert match(client, headers(keys["acme"]), sample_hashes.pdq(1))["matched"]


def test_pages_show_nothing_that_identifies_the_victim(client, keys):
    entry = sample_hashes.pdq_entry(2, photo="beach-2019-label")
    opened = client.post("/v1/cases", json={"hashes": [entry]}).json()
    mid = match_id(client, headers(keys["acme"]), sample_hashes.pdq(2))
    hash_id = match(client, headers(keys["acme"]), sample_hashes.pdq(2), "p")["matches"][0][
        "hash_id"
    ]
    sign_in(client, keys["admin"])
    csrf = csrf_of(client)
    client.post(f"/review/hashes/{hash_id}/suspend", data={"csrf": csrf, "reason": "check"})
    for path in (
        "/review/queue?status=all",
        f"/review/matches/{mid}",
        "/review/hashes",
        f"/review/hashes/{hash_id}",
        "/review/activity",
        "/review/allowlist",
    ):
        page = client.get(path)
        assert page.status_code == 200, path
        for secret in (opened["case_id"], opened["secret"], "beach-2019-label", "hsc_", "hsk_"):
            assert secret not in page.text, (path, secret)
        assert "style=" not in page.text and "<script" not in page.text
        assert page.headers["cache-control"] == "no-store"
        assert "script-src 'self'" in page.headers["content-security-policy"]


def test_admins_manage_the_allowlist_from_the_page(client, keys):
    benign = sample_hashes.pdq(3)
    open_case(client, {"algorithm": "pdq", "value": sample_hashes.flip(benign, 4), "quality": 99})
    sign_in(client, keys["moderator"])
    assert client.get("/review/allowlist").status_code == 403
    sign_in(client, keys["admin"])
    csrf = csrf_of(client, "/review/allowlist")
    added = client.post(
        "/review/allowlist",
        data={"csrf": csrf, "algorithm": "pdq", "value": benign, "reason": "a famous photo"},
        follow_redirects=False,
    )
    assert added.status_code == 303
    page = client.get(added.headers["location"]).text
    assert "Allowlist entry added: it suspended 1 stored hash." in page and "a famous photo" in page
    twice = client.post(
        "/review/allowlist",
        data={"csrf": csrf, "algorithm": "pdq", "value": benign, "reason": "again"},
    )
    assert twice.status_code == 409 and "already allowlisted" in twice.text
    entry_id = found(r"/review/allowlist/(\d+)/remove", page)
    blank = client.post(f"/review/allowlist/{entry_id}/remove", data={"csrf": csrf, "reason": ""})
    assert blank.status_code == 422 and "reason is required" in blank.text
    removed = client.post(
        f"/review/allowlist/{entry_id}/remove", data={"csrf": csrf, "reason": "test over"}
    )
    assert removed.status_code == 200 and "The allowlist is empty." in removed.text


def test_page_errors_are_pages(client, keys):
    sign_in(client, keys["moderator"])
    assert "Not found" in client.get("/review/matches/m_nothing").text
    bad = client.get("/review/queue", params={"since": "yesterday"})
    assert bad.status_code == 422 and "dates look like" in bad.text
    csrf = csrf_of(client)
    wrong = client.post("/review/hashes/424242/suspend", data={"csrf": csrf, "reason": "x"})
    assert wrong.status_code == 404 and wrong.headers["content-type"].startswith("text/html")
    assert client.get("/review", follow_redirects=False).headers["location"] == "/review/queue"
    anonymous = running_client(client.app)
    assert anonymous.get("/review/activity", follow_redirects=False).status_code == 303
    posted = anonymous.post("/review/sign-out", follow_redirects=False)
    assert posted.status_code == 303 and posted.headers["location"].startswith("/review/sign-in")


def test_out_of_range_ids_are_422_not_a_database_error(client, keys):
    sign_in(client, keys["admin"])
    for path in ("/review/hashes/99999999999999999999", "/review/hashes/0"):
        assert client.get(path).status_code == 422
    csrf = csrf_of(client)
    big = client.post("/review/allowlist/99999999999999999999/remove", data={"csrf": csrf})
    assert big.status_code == 422
