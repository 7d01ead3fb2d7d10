"""The index lifecycle: load at start, follow the change log, forget withdrawals at once."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from hashstop.service.cases import CaseService
from hashstop.service.index import HashIndex, IndexSync
from hashstop.service.rules import SubmittedHash
from hashstop.service.tokens import Keyring
from hashstop.storage.database import Database
from hashstop.storage.notifications import ChangeNotifications
from tests import sample_hashes
from tests.conftest import skip_or_fail
from tests.service_fixtures import empty_database, make_settings


def open_case(database, settings, seeds):
    with database.transaction() as session:
        opened = CaseService(session, Keyring(settings.secret_key_bytes)).open(
            [SubmittedHash("pdq", sample_hashes.pdq(s), quality=100) for s in seeds]
            + [SubmittedHash("md5", sample_hashes.md5(s)) for s in seeds]
        )
        return opened.case.public_id, opened.secret


def hits(index: HashIndex, seed: int) -> list[int]:
    code = np.frombuffer(bytes.fromhex(sample_hashes.pdq(seed)), np.uint8)
    return [i for i, _ in index.hamming["pdq"].search(code[None, :], 0)[0]]


def new_sync(database, settings) -> IndexSync:
    return IndexSync(database, HashIndex(), interval=0.1, stale_after=5)


def test_load_then_poll_then_withdraw(database, settings):
    open_case(database, settings, [1, 2])
    sync = new_sync(database, settings)
    assert not sync.status().ready
    sync.load()
    assert sync.status().ready and sync.index.sizes()["pdq"] == 2
    assert sync.index.sizes()["md5"] == 2 and sync.applied_seq == 4
    case_id, secret = open_case(database, settings, [3])
    assert hits(sync.index, 3) == []
    assert sync.poll() == 2
    assert len(hits(sync.index, 3)) == 1
    with database.transaction() as session:
        service = CaseService(session, Keyring(settings.secret_key_bytes))
        service.withdraw(service.authorise(case_id, secret))
    sync.poll()
    assert hits(sync.index, 3) == [] and sync.index.sizes() == {
        "pdq": 2,
        "phash": 0,
        "md5": 2,
        "sha256": 0,
        "local": 0,
    }
    assert sync.poll() == 0  # idempotent: nothing new


def test_a_second_worker_follows_in_its_background_thread(database, settings):
    one, two = new_sync(database, settings), new_sync(database, settings)
    one.load()
    two.start()
    try:
        case_id, secret = open_case(database, settings, [7])
        deadline = time.monotonic() + 2
        while not hits(two.index, 7) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert hits(two.index, 7)
        with database.transaction() as session:
            service = CaseService(session, Keyring(settings.secret_key_bytes))
            service.withdraw(service.authorise(case_id, secret))
            session.commit()
            one.after_commit(session)
        assert hits(one.index, 7) == []  # the handling worker: at once
        deadline = time.monotonic() + 2
        while hits(two.index, 7) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert hits(two.index, 7) == []  # every other worker: within 2 s
    finally:
        two.stop()


def test_suspension_and_restoration_follow_the_hash_state(database, settings):
    """Issue 6 suspends and restores hashes; the sync already applies both kinds."""
    from sqlalchemy import text

    from hashstop.storage.changelog import Change, ChangeLog
    from hashstop.storage.models import ChangeKind

    open_case(database, settings, [8])
    sync = new_sync(database, settings)
    sync.load()
    [hash_id] = hits(sync.index, 8)
    for status, kind, expected in [
        ("suspended", ChangeKind.SUSPENDED, []),
        ("active", ChangeKind.RESTORED, [hash_id]),
    ]:
        with database.transaction() as session:
            session.execute(
                text("UPDATE hashes SET status = :s WHERE id = :i"), {"s": status, "i": hash_id}
            )
            ChangeLog(session).append([Change(hash_id, "pdq", kind)])
        sync.poll()
        assert hits(sync.index, 8) == expected


@pytest.mark.postgres
def test_postgresql_notifications_wake_a_waiting_worker(postgres_url):
    """SQLite workers only poll; PostgreSQL ones also wake on NOTIFY."""
    if postgres_url is None:
        skip_or_fail("PostgreSQL is not reachable on 127.0.0.1:5432")
    empty_database(postgres_url)
    settings = make_settings(postgres_url)
    database = Database(postgres_url, pool_size=1)
    notifications = ChangeNotifications(database)
    stop = threading.Event()
    try:
        assert notifications.listening
        waiter = threading.Thread(target=notifications.wait, args=(60, stop))
        waiter.start()
        open_case(database, settings, [9])  # commits change-log entries, which notify
        waiter.join(timeout=30)
        assert not waiter.is_alive()
    finally:
        stop.set()
        notifications.close()
        database.dispose()


def local_case(database, settings, photo: str, values: list[str]) -> tuple[str, str]:
    with database.transaction() as session:
        opened = CaseService(session, Keyring(settings.secret_key_bytes)).open(
            [SubmittedHash("local", v, photo=photo, variant="local") for v in values]
        )
        return opened.case.public_id, opened.secret


def local_values(seed: int, n: int) -> list[str]:
    """n plausible local hashes (32 of 64 bits set) whose frames lie on a grid: one photo."""
    rng = np.random.default_rng(seed)
    out = []
    for k in range(n):
        bits = np.zeros(64, np.uint8)
        bits[rng.choice(64, 32, replace=False)] = 1
        word = ((40 + 60 * (k % 4)) * 4) << 22 | ((40 + 60 * (k // 4)) * 4) << 12 | 20 << 6 | 3
        out.append(np.packbits(bits).tobytes().hex() + f"{word:08x}")
    return out


def test_local_hashes_are_loaded_with_their_photos_and_followed(database, settings):
    """Local hashes reach the index both ways, at load and by the change log, each with its
    photo (hits are grouped by it), and leave it on withdrawal."""
    first = local_values(1, 8)
    local_case(database, settings, "f-a", first)
    sync = new_sync(database, settings)
    sync.load()
    assert sync.index.sizes()["local"] == 8
    found = sync.index.local.search([bytes.fromhex(v) for v in first], 0, 4)
    assert len(found) == 8 and len({h.photo for h in found}) == 1
    second = local_values(2, 8)
    case_id, secret = local_case(database, settings, "f-b", second)
    assert sync.poll() == 8
    found = sync.index.local.search([bytes.fromhex(v) for v in second], 0, 4)
    assert len(found) == 8 and {h.photo for h in found}.isdisjoint(
        {h.photo for h in sync.index.local.search([bytes.fromhex(v) for v in first], 0, 4)}
    )
    with database.transaction() as session:
        service = CaseService(session, Keyring(settings.secret_key_bytes))
        service.withdraw(service.authorise(case_id, secret))
    sync.poll()
    assert sync.index.local.search([bytes.fromhex(v) for v in second], 0, 4) == []
    assert sync.index.sizes()["local"] == 8
