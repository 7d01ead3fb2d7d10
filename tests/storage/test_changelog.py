"""The change log hands out seqs in commit order, so a reader following it never skips one."""

from __future__ import annotations

import random
import threading
import time

import pytest
from sqlalchemy import text

from hashstop.storage.cases import CaseRepository, NewHash
from hashstop.storage.changelog import (
    Change,
    ChangeLog,
    matchable_hashes,
    matchable_hashes_packed,
    packed_hash_ranges,
)
from hashstop.storage.database import Database
from hashstop.storage.models import ChangeKind
from tests import sample_hashes
from tests.conftest import skip_or_fail
from tests.service_fixtures import empty_database


def _case_with_hashes(database: Database, n: int, seed: int) -> list[tuple[int, str]]:
    with database.transaction() as session:
        repo = CaseRepository(session)
        case = repo.add(f"case{seed}", b"\0" * 32)
        rows = repo.add_hashes(
            case,
            [
                NewHash(
                    "pdq", bytes.fromhex(sample_hashes.pdq(seed * 1000 + i)), 100, None, "original"
                )
                for i in range(n)
            ],
        )
        return [(r.id, r.algorithm) for r in rows]


def test_append_numbers_consecutively_and_joins_current_values(database):
    hashes = _case_with_hashes(database, 3, seed=1)
    with database.transaction() as session:
        seqs = ChangeLog(session).append([Change(i, a, ChangeKind.ADDED) for i, a in hashes])
    assert seqs == [1, 2, 3]
    with database.transaction() as session:
        assert ChangeLog(session).append([Change(hashes[0][0], "pdq", ChangeKind.WITHDRAWN)]) == [4]
        session.execute(
            text("UPDATE hashes SET value = NULL, status = 'withdrawn' WHERE id = :i"),
            {"i": hashes[0][0]},
        )
    with database.transaction(write=False) as session:
        log = ChangeLog(session)
        entries = log.after(0, 100)
        assert log.head() == 4
    assert [e.seq for e in entries] == [1, 2, 3, 4]
    by_seq = {e.seq: e for e in entries}
    # The erased hash shows no value, even in its old "added" entry.
    assert by_seq[1].value is None and by_seq[4].value is None and by_seq[4].kind == "withdrawn"
    assert by_seq[2].value is not None and by_seq[2].status == "active"
    with database.transaction(write=False) as session:
        assert [e.seq for e in ChangeLog(session).after(2, 1)] == [3]


def test_concurrent_writers_never_let_a_reader_skip_a_seq(database):
    """Writers hold their transaction open a while after appending; a reader follows the log.

    With seqs from a plain sequence, a writer that took seq n and commits after the one that took
    n + 1 would be skipped by a reader that already moved past n + 1. The reader here must see
    every seq exactly once, in order, with no gaps.
    """
    writers, appends = 4, 6
    hash_ids = [_case_with_hashes(database, 1, seed=100 + w)[0][0] for w in range(writers)]
    stop = threading.Event()
    seen: list[int] = []
    errors: list[BaseException] = []

    def write(w: int) -> None:
        rng = random.Random(w)
        try:
            for _ in range(appends):
                with database.transaction() as session:
                    ChangeLog(session).append([Change(hash_ids[w], "pdq", ChangeKind.ADDED)])
                    time.sleep(rng.uniform(0, 0.02))  # commit late, on purpose
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    def read() -> None:
        after = 0
        deadline = time.monotonic() + 30
        while (not stop.is_set() or after < writers * appends) and time.monotonic() < deadline:
            with database.transaction(write=False) as session:
                page = ChangeLog(session).after(after, 1000)
            for entry in page:
                seen.append(entry.seq)
                after = entry.seq
            time.sleep(0.001)

    reader = threading.Thread(target=read)
    reader.start()
    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stop.set()
    reader.join(timeout=30)
    assert not errors
    assert seen == list(range(1, writers * appends + 1))


@pytest.mark.postgres
def test_packed_loading_pages_through_every_matchable_hash(postgres_url):
    if postgres_url is None:
        skip_or_fail("PostgreSQL is not reachable on 127.0.0.1:5432")
    empty_database(postgres_url)
    database = Database(postgres_url, pool_size=1)
    try:
        hashes = _case_with_hashes(database, 7, seed=5)
        with database.transaction() as session:
            session.execute(
                text("UPDATE hashes SET status = 'suspended' WHERE id = :i"), {"i": hashes[3][0]}
            )
            case = CaseRepository(session).add("case-mixed", b"\1" * 32)
            CaseRepository(session).add_hashes(
                case,
                [
                    NewHash("md5", bytes(range(16)), None, None, "original"),
                    NewHash("phash", bytes(range(8)), None, None, "original"),
                    NewHash("md5", bytes(range(20)), None, None, "original"),  # wrong width
                ],
            )
        with database.transaction(write=False) as session:
            chunks = list(matchable_hashes_packed(session, "pdq", 32, span=2))
            every = list(packed_hash_ranges(session, {"pdq": 32, "md5": 16, "phash": 8}, span=3))
            streamed = sorted((i, a, v) for i, a, v in matchable_hashes(session))
        assert len(chunks) >= 3  # pages of two ids each
        packed = [
            (i, "pdq", values[k * 32 : (k + 1) * 32])
            for ids, values in chunks
            for k, i in enumerate(ids)
        ]
        assert sorted(packed) == [row for row in streamed if row[1] == "pdq"]
        assert len(packed) == 6
        widths = {"pdq": 32, "md5": 16, "phash": 8}
        unpacked = sorted(
            (i, algorithm, values[k * widths[algorithm] : (k + 1) * widths[algorithm]])
            for algorithm, ids, values in every
            for k, i in enumerate(ids)
        )
        assert unpacked == [row for row in streamed if len(row[2]) == widths[row[1]]]
        assert len(unpacked) == 8  # six PDQ, one MD5, one pHash; the 20-byte "MD5" left out
    finally:
        database.dispose()
