"""The stand-ins used while the database is away: known keys and deferred match records."""

from __future__ import annotations

import time

from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError

from hashstop.service.cases import CaseService
from hashstop.service.index import HashIndex
from hashstop.service.keys import KeyService
from hashstop.service.matching import Matcher, MatchItem, QueryHash, Thresholds
from hashstop.service.outage import DeferredMatches, KnownKeys
from hashstop.service.rules import SubmittedHash
from hashstop.service.tokens import Keyring
from hashstop.storage.matches import Hit, MatchRepository, NewMatch
from tests import sample_hashes


def test_known_keys_are_the_live_ones_at_the_last_read_and_only_within_the_grace(
    database, settings, make_key
):
    keyring = Keyring(settings.secret_key_bytes)
    live, revoked = make_key("platform", name="live"), make_key("platform", name="gone")
    with database.transaction() as session:
        KeyService(session, keyring).revoke("gone")
    known = KnownKeys(grace_seconds=0.2, refresh_every=0)
    assert known.recall(keyring.api_key_hash(live)) is None  # never read yet
    known.refresh(database)
    found = known.recall(keyring.api_key_hash(live))
    assert found is not None and found.name == "live"
    assert known.recall(keyring.api_key_hash(revoked)) is None
    time.sleep(0.3)
    assert known.recall(keyring.api_key_hash(live)) is None  # the grace has run out
    never = KnownKeys(grace_seconds=0)
    never.refresh(database)
    assert never.recall(keyring.api_key_hash(live)) is None


def test_deferred_records_are_bounded_and_written_with_their_time(database, settings, make_key):
    keyring = Keyring(settings.secret_key_bytes)
    make_key("platform", name="acme", platform="acme")
    with database.transaction() as session:
        key = KeyService(session, keyring).list()[0]
        CaseService(session, keyring).open(
            [SubmittedHash("pdq", sample_hashes.pdq(1), 100, None, "original")]
        )
    with database.transaction(write=False) as session:
        hash_id = session.scalars(text("SELECT id FROM hashes")).one()
    deferred = DeferredMatches(capacity=2)
    records = [NewMatch(f"m_test{i}", f"r{i}", [Hit(hash_id, "pdq", 3)]) for i in range(3)]
    assert not deferred.defer(key, records)  # three do not fit in two: none kept
    assert len(deferred) == 0
    assert deferred.defer(key, records[:2]) and len(deferred) == 2
    assert not deferred.defer(key, records[2:])
    before = time.time()
    assert deferred.flush(database) == 2 and len(deferred) == 0
    with database.transaction(write=False) as session:
        stored = MatchRepository(session).by_public_id("m_test1")
        assert stored is not None and stored.platform == "acme"
        assert [h.distance for h in stored.hits] == [3]
        assert stored.created_at.timestamp() <= before  # the time of the match, not the write


def test_a_match_whose_commit_is_cut_off_is_answered_and_its_record_deferred(
    database, settings, make_key
):
    """The database goes away between the match's reads and its commit: still an answer."""
    keyring = Keyring(settings.secret_key_bytes)
    make_key("platform", name="acme", platform="acme")
    with database.transaction() as session:
        key = KeyService(session, keyring).list()[0]
        CaseService(session, keyring).open(
            [SubmittedHash("pdq", sample_hashes.pdq(2), 100, None, "original")]
        )
    index = HashIndex()
    with database.transaction(write=False) as session:
        hash_id = session.scalars(text("SELECT id FROM hashes")).one()
    index.add("pdq", [hash_id], [bytes.fromhex(sample_hashes.pdq(2))])
    deferred = DeferredMatches(capacity=10)
    session = database.new_session(write=True)

    def cut_off(_session):
        raise OperationalError("COMMIT", {}, ConnectionError("server closed the connection"))

    event.listen(session, "before_commit", cut_off)
    try:
        matcher = Matcher(session, index, Thresholds(31, 4, 6), ready=True, deferred=deferred)
        item = MatchItem("upload-1", [QueryHash("pdq", sample_hashes.pdq(2))])
        [result] = matcher.match(key, [item])
    finally:
        event.remove(session, "before_commit", cut_off)
        session.close()
    assert result.matched and [h.hash_id for h in result.matches] == [hash_id]
    assert result.match_id is not None
    assert len(deferred) == 1  # kept in memory, to be written when the database answers
    assert deferred.flush(database) == 1
    with database.transaction(write=False) as session:
        stored = MatchRepository(session).by_public_id(result.match_id)
        assert stored is not None and [h.hash_id for h in stored.hits] == [hash_id]


def test_a_video_item_during_an_outage_is_held_to_its_query_share(database, settings, make_key):
    """Without the database the stored side cannot be counted: a video item's frame hits are
    answered when at least the query share of its frames hit something, and only then."""
    keyring = Keyring(settings.secret_key_bytes)
    make_key("platform", name="acme", platform="acme")
    frames = [sample_hashes.pdq(300 + k) for k in range(4)]
    with database.transaction() as session:
        key = KeyService(session, keyring).list()[0]
        CaseService(session, keyring).open(
            [SubmittedHash("pdq", f, 90, "v", "frame") for f in frames]
        )
    index = HashIndex()
    with database.transaction(write=False) as session:
        ids = list(session.scalars(text("SELECT id FROM hashes ORDER BY id")))
    index.add("pdq", ids, [bytes.fromhex(f) for f in frames])
    deferred = DeferredMatches(capacity=10)
    session = database.new_session(write=True)

    def cut_off(_session):
        raise OperationalError("SELECT", {}, ConnectionError("server closed the connection"))

    event.listen(session, "do_orm_execute", cut_off)
    others = [sample_hashes.pdq(900 + k) for k in range(5)]  # one frame in 6: below 0.2
    try:
        matcher = Matcher(session, index, Thresholds(31, 4, 6), ready=True, deferred=deferred)
        most = MatchItem("most", [QueryHash("pdq", f) for f in frames[:3] + others[:1]], video=True)
        one = MatchItem("one", [QueryHash("pdq", f) for f in frames[:1] + others], video=True)
        photo = MatchItem("photo", [QueryHash("pdq", frames[0])])
        results = matcher.match(key, [most, one, photo])
    finally:
        event.remove(session, "do_orm_execute", cut_off)
        session.close()
    assert [r.matched for r in results] == [True, False, True]
    assert sorted(h.hash_id for h in results[0].matches) == ids[:3]
    assert len(deferred) == 2
