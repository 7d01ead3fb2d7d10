"""SQLite faults: a database locked by another writer, and a read-only database file.

Both answer 503 problem+json with Retry-After where the request must write (never 500), reads go
on, and a match that hit a stored hash is still answered as matched: its record is kept in
memory and written once the lock is released.
"""

from __future__ import annotations

import sqlite3
import time

from hashstop.app import create_app
from hashstop.storage.database import upgrade
from tests import sample_hashes
from tests.service_fixtures import bearer, make_settings, running_client, wait_ready


def _problem_503(response):
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert int(response.headers["retry-after"]) > 0
    return response.json()


def _match(client, key, seed):
    body = {
        "items": [{"ref": "r", "hashes": [{"algorithm": "pdq", "value": sample_hashes.pdq(seed)}]}]
    }
    return client.post("/v1/match", json=body, headers=bearer(key))


def _platform_key(settings):
    from hashstop.service.keys import KeyService
    from hashstop.service.tokens import Keyring
    from hashstop.storage.database import Database

    database = Database(settings.database_url, pool_size=1)
    try:
        with database.transaction() as session:
            return (
                KeyService(session, Keyring(settings.secret_key_bytes))
                .create(name="p", role="platform", platform="acme")
                .token
            )
    finally:
        database.dispose()


def test_a_locked_database_is_503_and_matching_goes_on(tmp_path):
    path = tmp_path / "hashstop.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    settings = make_settings(url, sqlite_busy_timeout=0.3)
    key = _platform_key(settings)
    with running_client(create_app(settings)) as client:
        wait_ready(client)
        opened = client.post("/v1/cases", json={"hashes": [sample_hashes.pdq_entry(1)]}).json()
        # Not a sleep: one match before the lock shows the hash is in the index and puts the
        # platform's key in the key cache (what matching under the lock relies on).
        assert _match(client, key, 1).json()["results"][0]["matched"]
        holder = sqlite3.connect(path, isolation_level=None, timeout=0)
        holder.execute("BEGIN EXCLUSIVE")  # another process writing for a long time
        try:
            body = _problem_503(
                client.post("/v1/cases", json={"hashes": [sample_hashes.pdq_entry(2)]})
            )
            assert "database" in body["detail"]
            _problem_503(
                client.delete(f"/v1/cases/{opened['case_id']}", headers=bearer(opened["secret"]))
            )
            view = client.get(f"/v1/cases/{opened['case_id']}", headers=bearer(opened["secret"]))
            assert view.status_code == 200 and view.json()["status"] == "active"
            matched = _match(client, key, 1)
            assert matched.status_code == 200 and matched.json()["results"][0]["matched"]
            match_id = matched.json()["results"][0]["match_id"]
            assert not _match(client, key, 3).json()["results"][0]["matched"]
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        deadline = time.monotonic() + 10
        while client.get(f"/v1/matches/{match_id}", headers=bearer(key)).status_code != 200:
            assert time.monotonic() < deadline, "the deferred match record was never written"
            time.sleep(0.1)
        record = client.get(f"/v1/matches/{match_id}", headers=bearer(key)).json()
        assert record["matches"][0]["distance"] == 0


def test_a_read_only_database_is_503_for_writes(tmp_path):
    path = tmp_path / "hashstop.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    writable = make_settings(url)
    key = _platform_key(writable)
    with running_client(create_app(writable)) as client:
        wait_ready(client)
        opened = client.post("/v1/cases", json={"hashes": [sample_hashes.pdq_entry(1)]}).json()
    read_only = make_settings(f"sqlite:///file:{path}?mode=ro&uri=true")
    with running_client(create_app(read_only)) as client:
        wait_ready(client)
        _problem_503(client.post("/v1/cases", json={"hashes": [sample_hashes.pdq_entry(2)]}))
        _problem_503(
            client.post(
                f"/v1/cases/{opened['case_id']}/hashes",
                json={"hashes": [sample_hashes.pdq_entry(3)]},
                headers=bearer(opened["secret"]),
            )
        )
        view = client.get(f"/v1/cases/{opened['case_id']}", headers=bearer(opened["secret"]))
        assert view.status_code == 200 and view.json()["hash_count"] == 1
        matched = _match(client, key, 1)
        assert matched.status_code == 200 and matched.json()["results"][0]["matched"]
        assert client.get("/healthz").status_code == 200


def test_a_full_outage_buffer_is_503_never_a_wrong_no_match(tmp_path):
    path = tmp_path / "hashstop.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    settings = make_settings(url, sqlite_busy_timeout=0.2, outage_match_records=1)
    key = _platform_key(settings)
    with running_client(create_app(settings)) as client:
        wait_ready(client)
        for seed in (1, 2):
            client.post("/v1/cases", json={"hashes": [sample_hashes.pdq_entry(seed)]})
        assert _match(client, key, 2).json()["results"][0]["matched"]  # indexed, key cached
        holder = sqlite3.connect(path, isolation_level=None, timeout=0)
        holder.execute("BEGIN EXCLUSIVE")
        try:
            two = {
                "items": [
                    {"ref": str(s), "hashes": [{"algorithm": "pdq", "value": sample_hashes.pdq(s)}]}
                    for s in (1, 2)
                ]
            }
            _problem_503(client.post("/v1/match", json=two, headers=bearer(key)))
            assert _match(client, key, 1).json()["results"][0]["matched"]  # one still fits
            _problem_503(_match(client, key, 2))  # the buffer is full now
            assert not _match(client, key, 3).json()["results"][0]["matched"]  # no hit: fine
        finally:
            holder.execute("ROLLBACK")
            holder.close()
