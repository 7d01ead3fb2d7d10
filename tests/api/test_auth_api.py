"""Who may do what: each role sees only what it should."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from hashstop.app import create_app
from hashstop.service.keys import KeyService
from hashstop.service.tokens import Keyring
from hashstop.storage.database import Database
from tests import sample_hashes
from tests.conftest import skip_or_fail
from tests.service_fixtures import bearer, empty_database, make_settings, wait_ready

MATCH = {"items": [{"ref": "u", "hashes": [{"algorithm": "pdq", "value": sample_hashes.pdq(1)}]}]}


def open_case(client, seed):
    response = client.post("/v1/cases", json={"hashes": [sample_hashes.pdq_entry(seed)]})
    assert response.status_code == 201
    return response.json()


def test_missing_token_is_401_with_a_hint(client):
    for method, path in [
        ("GET", "/v1/cases/abc"),
        ("DELETE", "/v1/cases/abc"),
        ("GET", "/v1/hashlist"),
    ]:
        response = client.request(method, path)
        assert response.status_code == 401, path
        assert response.headers["www-authenticate"] == "Bearer"
        assert "Authorization: Bearer" in response.json()["detail"]
    assert client.post("/v1/match", json=MATCH).status_code == 401


def test_a_victim_cannot_read_or_withdraw_another_case(client):
    mine, theirs = open_case(client, 1), open_case(client, 2)
    for method in ("GET", "DELETE"):
        response = client.request(
            method, f"/v1/cases/{theirs['case_id']}", headers=bearer(mine["secret"])
        )
        assert response.status_code == 404
    unknown = client.get("/v1/cases/doesnotexist", headers=bearer(mine["secret"]))
    wrong = client.get(f"/v1/cases/{theirs['case_id']}", headers=bearer(mine["secret"]))
    assert unknown.json()["detail"] == wrong.json()["detail"]  # a guess reveals nothing
    theirs_now = client.get(f"/v1/cases/{theirs['case_id']}", headers=bearer(theirs["secret"]))
    assert theirs_now.json()["status"] == "active"


@pytest.mark.parametrize("role", ["platform", "moderator", "admin"])
def test_api_keys_cannot_read_cases(client, make_key, role):
    case = open_case(client, 3)
    response = client.get(f"/v1/cases/{case['case_id']}", headers=bearer(make_key(role)))
    assert response.status_code == 403
    assert "case secret" in response.json()["detail"]


def test_a_case_secret_cannot_match_or_read_the_hash_list(client):
    case = open_case(client, 4)
    response = client.post("/v1/match", json=MATCH, headers=bearer(case["secret"]))
    assert response.status_code == 403 and "case secret cannot be used" in response.json()["detail"]
    assert client.get("/v1/hashlist", headers=bearer(case["secret"])).status_code == 403


@pytest.mark.parametrize("role", ["moderator", "admin"])
def test_only_platform_keys_match(client, make_key, role):
    response = client.post("/v1/match", json=MATCH, headers=bearer(make_key(role)))
    assert response.status_code == 403 and "needs a platform key" in response.json()["detail"]


def _revoke(database, settings, name):
    with database.transaction() as session:
        KeyService(session, Keyring(settings.secret_key_bytes)).revoke(name)


def test_a_revoked_key_is_refused_within_the_key_cache_time(client, make_key, database, settings):
    token = make_key("platform", name="soon-gone")
    assert client.post("/v1/match", json=MATCH, headers=bearer(token)).status_code == 200
    _revoke(database, settings, "soon-gone")
    revoked_at = time.monotonic()
    deadline = revoked_at + settings.key_cache_seconds + 2.0
    while True:
        response = client.post("/v1/match", json=MATCH, headers=bearer(token))
        if response.status_code != 200 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert response.status_code == 401 and "revoked" in response.json()["detail"]
    # Refused for good: a revoked key is never cached as valid again.
    for _ in range(3):
        assert client.post("/v1/match", json=MATCH, headers=bearer(token)).status_code == 401


def test_without_the_key_cache_a_revoked_key_is_refused_at_once(database_url, make_key, database):
    settings = make_settings(database_url, key_cache_seconds=0)
    app = create_app(settings)
    with TestClient(app) as client:
        wait_ready(client)
        token = make_key("platform", name="gone-now")
        assert client.post("/v1/match", json=MATCH, headers=bearer(token)).status_code == 200
        _revoke(database, settings, "gone-now")
        response = client.post("/v1/match", json=MATCH, headers=bearer(token))
        assert response.status_code == 401 and "revoked" in response.json()["detail"]


@pytest.mark.postgres
def test_on_postgresql_a_revocation_empties_every_workers_key_cache(postgres_url):
    """A long cache time does not delay a revocation: the notification clears the caches."""
    if postgres_url is None:
        skip_or_fail("PostgreSQL is not reachable")
    empty_database(postgres_url)
    settings = make_settings(postgres_url, key_cache_seconds=60)
    database = Database(settings.database_url)
    apps = [create_app(settings), create_app(settings)]
    try:
        with TestClient(apps[0]) as one, TestClient(apps[1]) as two:
            _revoked_within_two_seconds(database, settings, one, two)
    finally:
        database.dispose()


def _revoked_within_two_seconds(database, settings, one, two):
    for client in (one, two):
        wait_ready(client)
    with database.transaction() as session:
        token = (
            KeyService(session, Keyring(settings.secret_key_bytes))
            .create(name="revoked-by-notice", role="platform", platform="p")
            .token
        )
    for client in (one, two):
        assert client.post("/v1/match", json=MATCH, headers=bearer(token)).status_code == 200
    _revoke(database, settings, "revoked-by-notice")
    deadline = time.monotonic() + 2.0  # far under the 60 s cache time
    for client in (one, two):
        while True:
            status = client.post("/v1/match", json=MATCH, headers=bearer(token)).status_code
            if status == 401 or time.monotonic() > deadline:
                break
            time.sleep(0.02)
        assert status == 401


def test_a_new_key_works_at_once_and_roles_hold_for_cached_keys(client, make_key):
    platform = make_key("platform", name="fresh")
    assert client.post("/v1/match", json=MATCH, headers=bearer(platform)).status_code == 200
    # The cached platform key still may not do a moderator's work.
    queue = client.get("/v1/review/queue", headers=bearer(platform))
    assert queue.status_code == 403


@pytest.mark.parametrize("token", ["hsk_made-up", "not-a-token", "hsc_AAAAA"])
def test_unknown_tokens_are_refused(client, token):
    assert client.post("/v1/match", json=MATCH, headers=bearer(token)).status_code in (401, 403)
    assert client.get("/v1/hashlist", headers=bearer(token)).status_code in (401, 403)


def test_a_platform_cannot_see_another_platforms_matches(client, make_key):
    case = open_case(client, 5)
    assert case["accepted"] == 1
    mine = make_key("platform", platform="alpha")
    colleague = make_key("platform", platform="alpha")
    other = make_key("platform", platform="beta")
    query = {
        "items": [{"ref": "u", "hashes": [{"algorithm": "pdq", "value": sample_hashes.pdq(5)}]}]
    }
    match_id = client.post("/v1/match", json=query, headers=bearer(mine)).json()["results"][0][
        "match_id"
    ]
    verdict = {"verdict": "confirmed", "action": "blocked"}
    refused = client.post(f"/v1/matches/{match_id}/feedback", json=verdict, headers=bearer(other))
    assert refused.status_code == 404
    unknown = client.post("/v1/matches/m_nothing/feedback", json=verdict, headers=bearer(other))
    assert unknown.status_code == 404
    # Another key of the same platform may answer for it.
    ok = client.post(f"/v1/matches/{match_id}/feedback", json=verdict, headers=bearer(colleague))
    assert ok.status_code == 201
