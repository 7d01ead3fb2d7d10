"""Idempotent case opening in the service: derivation of the secret, and concurrent requests."""

from __future__ import annotations

import secrets
import threading
import time

from sqlalchemy import text

from hashstop.service.cases import CaseService, OpenedCase
from hashstop.service.rules import SubmittedHash
from hashstop.service.tokens import Keyring, normalise_case_secret
from tests import sample_hashes

HASHES = [SubmittedHash("pdq", sample_hashes.pdq(7), 100), SubmittedHash("md5", "ab" * 16)]


def test_the_derived_secret_is_a_case_secret_bound_to_the_key_the_case_and_the_server():
    key = secrets.token_urlsafe(32)
    ring = Keyring(b"a" * 32)
    secret = ring.derived_case_secret(key, "case1")
    assert normalise_case_secret(secret) is not None and len(secret) == 4 + 29
    assert secret == ring.derived_case_secret(key, "case1")
    others = {
        ring.derived_case_secret(key, "case2"),
        ring.derived_case_secret(secrets.token_urlsafe(32), "case1"),
        Keyring(b"b" * 32).derived_case_secret(key, "case1"),
    }
    assert secret not in others and len(others) == 3
    # The stored hash of the key is under another label: it is not the secret, nor its hash.
    assert ring.idempotency_key_hash(key) != ring.case_secret_hash(secret)
    assert ring.idempotency_key_hash(key) != ring.digest("case-secret-of-idempotency-key", key)


def _until_blocked(database, thread: threading.Thread) -> None:
    """Until the second request waits on a lock the first holds.

    PostgreSQL shows it (a lock not granted, in pg_locks). SQLite's busy wait is invisible
    from outside, so there a fixed 0.3 s stands in; the assertion after it still fails if
    the second request finished without waiting."""
    if not database.is_postgresql:
        time.sleep(0.3)
        return
    deadline = time.monotonic() + 20
    while thread.is_alive() and time.monotonic() < deadline:
        with database.engine.connect() as conn:
            if conn.execute(text("SELECT count(*) FROM pg_locks WHERE NOT granted")).scalar():
                return
        time.sleep(0.01)


def test_concurrent_requests_with_one_key_open_one_case(database, settings):
    """The second request waits for the first to commit, then replays it (both databases)."""
    keyring = Keyring(settings.secret_key_bytes)
    key = secrets.token_urlsafe(32)
    first = database.new_session(write=True)
    opened = CaseService(first, keyring).open(HASHES, key)
    results: list[OpenedCase | BaseException] = []

    def second() -> None:
        try:
            with database.transaction() as session:
                results.append(CaseService(session, keyring).open(HASHES, key))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            results.append(exc)

    thread = threading.Thread(target=second)
    thread.start()
    _until_blocked(database, thread)
    assert thread.is_alive(), "the second request did not wait for the first to commit"
    first.commit()
    first.close()
    thread.join(timeout=30)
    assert len(results) == 1 and isinstance(results[0], OpenedCase), results
    assert results[0].replayed and results[0].case.public_id == opened.case.public_id
    assert results[0].secret == opened.secret
    with database.transaction(write=False) as session:
        assert session.execute(text("SELECT count(*) FROM cases")).scalar_one() == 1
