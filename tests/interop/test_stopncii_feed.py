"""The StopNCII-shaped feed, read by pytx's own StopNCII client, unmodified (issue 17).

hashstop runs on a loopback port; pytx's `StopNCIISignalExchangeAPI` and `StopNCIIAPI` (pinned
threatexchange 1.2.17) are pointed at it with their base URL override, the platform key as the
fetch function key, exactly as an HMA operator configures them.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update
from threatexchange.exchanges.clients.stopncii.api import (
    StopNCIIAPI,
    StopNCIICaseStatus,
    StopNCIISignalType,
)
from threatexchange.exchanges.collab_config import CollaborationConfigBase
from threatexchange.exchanges.impl.stop_ncii_api import (
    StopNCIICredentials,
    StopNCIISignalExchangeAPI,
)
from threatexchange.signal_type.md5 import VideoMD5Signal
from threatexchange.signal_type.pdq.signal import PdqSignal

from hashstop.storage.models import ChangeKind, Hash, HashChange, utcnow
from tests import sample_hashes
from tests.interop.conftest import Served
from tests.service_fixtures import bearer

Key = tuple[StopNCIISignalType, str]


def client(served: Served) -> StopNCIIAPI:
    return StopNCIIAPI("unused", served.platform_key, base_url_override=f"{served.url}/stopncii/v1")


def exchange(served: Served) -> StopNCIISignalExchangeAPI:
    credentials = StopNCIICredentials(
        fetch_function_key=served.platform_key,
        subscription_key="unused",
        base_url_override=f"{served.url}/stopncii/v1",
    )
    collab = CollaborationConfigBase(name="hashstop", api="stop_ncii", enabled=True)
    return StopNCIISignalExchangeAPI.for_collab(collab, credentials)


def mirror(
    api: StopNCIIAPI, start: int, state: dict[Key, StopNCIICaseStatus], checkpoints: list[int]
) -> int:
    """Follow the feed from `start` as a client that honours `hashStatus`; return the
    checkpoint. `state` maps each key to its latest status."""
    checkpoint = start
    for page in api.fetch_hashes_iter(start_timestamp=start):
        for record in page.hashRecords:
            assert record.caseNumbers == {} and record.CSPFeedbacks == []
            state[(record.signalType, record.hashValue)] = record.hashStatus
        checkpoints.append(page.nextSetTimestamp)
        checkpoint = page.nextSetTimestamp
    return checkpoint


def active(state: dict[Key, StopNCIICaseStatus]) -> set[Key]:
    return {k for k, s in state.items() if s == StopNCIICaseStatus.Active}


PDQ = StopNCIISignalType.ImagePDQ
MD5 = StopNCIISignalType.VideoMD5


def test_pytx_mirrors_the_list_with_a_withdrawal_and_a_suspension(served, make_key):
    moderator = make_key("moderator")
    first = served.open_case(
        [
            sample_hashes.pdq_entry(1),
            sample_hashes.pdq_entry(2),
            {"algorithm": "md5", "value": sample_hashes.md5(3)},
            {"algorithm": "phash", "value": sample_hashes.phash(3)},  # no StopNCII type
        ]
    )
    served.open_case([sample_hashes.pdq_entry(4)])
    served.open_case(
        [sample_hashes.pdq_entry(6), {"algorithm": "sha256", "value": sample_hashes.sha256(6)}]
    )
    everything = {
        (PDQ, sample_hashes.pdq(1)),
        (PDQ, sample_hashes.pdq(2)),
        (MD5, sample_hashes.md5(3)),
        (PDQ, sample_hashes.pdq(4)),
        (PDQ, sample_hashes.pdq(6)),
    }

    # The unmodified SignalExchangeAPI, as HMA runs it: every PDQ and MD5 hash, by signal type.
    api = exchange(served)
    fetched: dict[tuple[str, str], Any] = {}
    pytx_checkpoints = []
    for delta in api.fetch_iter([PdqSignal, VideoMD5Signal], None):
        StopNCIISignalExchangeAPI.naive_fetch_merge(fetched, delta.updates)
        pytx_checkpoints.append(delta.checkpoint)
    assert set(fetched) == {
        (PdqSignal.get_name() if t == PDQ else VideoMD5Signal.get_name(), v) for t, v in everything
    }
    by_type = StopNCIISignalExchangeAPI.naive_convert_to_signal_type(
        [PdqSignal, VideoMD5Signal], api.collab, fetched
    )
    assert set(by_type[PdqSignal]) == {v for t, v in everything if t == PDQ}
    assert set(by_type[VideoMD5Signal]) == {sample_hashes.md5(3)}

    # A client that honours hashStatus mirrors the list exactly, in small pages.
    state: dict[Key, StopNCIICaseStatus] = {}
    seen: list[int] = []
    raw = client(served)
    checkpoint = mirror(raw, 10, state, seen)
    assert active(state) == everything and set(state) == everything
    assert checkpoint == pytx_checkpoints[-1].update_time

    time.sleep(1.1)  # the next changes fall in a later second than the checkpoint
    served.withdraw(first)
    served.suspend(served.hash_id("pdq", sample_hashes.pdq(4)), moderator)
    checkpoint_after = mirror(raw, checkpoint, state, seen)
    assert active(state) == {(PDQ, sample_hashes.pdq(6))}
    assert state[(PDQ, sample_hashes.pdq(1))] == StopNCIICaseStatus.Withdrawn
    assert state[(MD5, sample_hashes.md5(3))] == StopNCIICaseStatus.Withdrawn
    assert state[(PDQ, sample_hashes.pdq(4))] == StopNCIICaseStatus.Deleted
    assert checkpoint_after > checkpoint
    assert seen == sorted(seen), "checkpoints only move forward"
    # Nothing new: the same checkpoint again, no record lost or invented.
    again: dict[Key, StopNCIICaseStatus] = {}
    assert mirror(raw, checkpoint_after, again, seen) >= checkpoint_after
    assert set(again) <= set(state)

    # pytx 1.2.17's SignalExchangeAPI compares the *value* with Withdrawn/Deleted instead of
    # `hashStatus`, so it never deletes: a follower through it keeps withdrawn hashes. This is
    # the upstream bug the issue names; hashstop's own pytx extension is the way for HMA.
    for delta in api.fetch_iter([PdqSignal, VideoMD5Signal], pytx_checkpoints[-1]):
        StopNCIISignalExchangeAPI.naive_fetch_merge(fetched, delta.updates)
    assert (PdqSignal.get_name(), sample_hashes.pdq(1)) in fetched

    # A new follower never learns withdrawn or suspended values.
    fresh: dict[Key, StopNCIICaseStatus] = {}
    mirror(raw, 10, fresh, [])
    assert fresh == {(PDQ, sample_hashes.pdq(6)): StopNCIICaseStatus.Active}


def test_pages_and_tokens(served):
    served.open_case([sample_hashes.pdq_entry(s) for s in range(20, 27)])
    raw = client(served)
    pages = []
    token = ""
    while True:
        page = raw.fetch_hashes(page_size=3, start_timestamp=10, next_page=token)
        pages.append(page)
        if not page.hasMoreRecords:
            break
        token = page.nextPageToken or ""
    assert [p.count for p in pages] == [3, 3, 1]
    values = [r.hashValue for p in pages for r in p.hashRecords]
    assert values == [sample_hashes.pdq(s) for s in range(20, 27)]
    stamps = [p.nextSetTimestamp for p in pages]
    assert stamps == sorted(stamps) and stamps[0] > 10


def test_bad_requests_are_problems(served):
    url = f"{served.url}/stopncii/v1/FetchHashes"
    missing = httpx.get(url, timeout=10)
    assert missing.status_code == 401
    assert missing.headers["content-type"].startswith("application/problem+json")
    assert "x-functions-key" in missing.json()["detail"]
    wrong_role = httpx.get(url, headers={"x-functions-key": served.admin_key}, timeout=10)
    assert wrong_role.status_code == 403
    key = {"x-functions-key": served.platform_key}
    for params in (
        {"nextPageToken": "nonsense"},
        {"pageSize": 0},
        {"pageSize": 10_001},
        {"startTimestamp": -1},
    ):
        answer = httpx.get(url, params=params, headers=key, timeout=10)
        assert answer.status_code == 422, params
        assert answer.headers["content-type"].startswith("application/problem+json")
    # A bearer key alone is not how this route authenticates.
    assert httpx.get(url, headers=bearer(served.platform_key), timeout=10).status_code == 401


@pytest.fixture
def settings(database_url):
    from tests.service_fixtures import make_settings

    return make_settings(database_url, retraction_days=1)


def test_a_checkpoint_older_than_the_retention_must_start_again(served, database):
    case = served.open_case([sample_hashes.pdq_entry(40)])
    served.open_case([sample_hashes.pdq_entry(41)])
    raw = client(served)
    checkpoint = mirror(raw, 10, {}, [])
    time.sleep(1.1)
    served.withdraw(case)
    # The hash was added four days ago and withdrawn two days ago, beyond the one day its
    # value is kept; a follower last at three days ago held it and cannot be told.
    with database.transaction() as session:
        session.execute(
            update(HashChange)
            .where(HashChange.kind == str(ChangeKind.WITHDRAWN))
            .values(created_at=utcnow() - timedelta(days=2))
        )
        session.execute(
            update(Hash).where(Hash.value.is_(None)).values(created_at=utcnow() - timedelta(days=4))
        )
    old = int((utcnow() - timedelta(days=3)).timestamp())
    answer = httpx.get(
        f"{served.url}/stopncii/v1/FetchHashes",
        params={"startTimestamp": old},
        headers={"x-functions-key": served.platform_key},
        timeout=10,
    )
    assert answer.status_code == 410 and "from the start" in answer.json()["detail"]
    # A recent checkpoint, and a new follower, are served.
    state: dict[Key, StopNCIICaseStatus] = {}
    mirror(raw, checkpoint, state, [])
    mirror(raw, 10, state, [])
    assert active(state) == {(PDQ, sample_hashes.pdq(41))}
