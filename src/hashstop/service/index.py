"""The index lifecycle of one worker: load every matchable hash, then follow the change log.

Each API worker (process or app object) holds its own `HashIndex`: PDQ and pHash in Hamming
indexes, MD5 and SHA-256 in exact ones, all keyed by hash id. `IndexSync` loads it from one
consistent snapshot (the log's head seq and the hashes as of that seq), then polls the change log
every `interval` seconds (at most one) in a background thread and applies what changed; on
PostgreSQL it also wakes up as soon as another worker commits a change (LISTEN/NOTIFY). Applying
an entry means looking at the hash's *current* state (the log is joined with the hashes table):
matchable -> add, otherwise -> remove. That makes applying idempotent and order-insensitive, so
a worker that applied a change twice, or saw a later state early, still ends up right.

A worker that itself withdrew or suspended hashes does not wait for its poll: after the commit
the request calls `forget` (removes the ids from memory at once) and `sync_now`, before the
response is sent. Other workers see the change at their next poll, within `interval` (plus the
query time). The match path also re-checks the database for every hit before it reports one
(see `matching.py`), so a stale index can delay a removal's memory savings but never produce a
match on a withdrawn hash.

When the database is away the thread keeps trying (backing off to at most two seconds), the
index keeps answering matches as of the last change it applied, and `/readyz` says 503 from the
first failed attempt until one succeeds again; no restart is needed. After every successful poll
the thread runs the `after_sync` jobs (writing match records kept during an outage).

This module never rebuilds the index from scratch after the start, and never logs hash values.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy.orm import Session

from hashstop.hashing.facts import FACTS
from hashstop.matching import ExactIndex, HammingIndex
from hashstop.matching.local_index import LocalIndex
from hashstop.storage.changelog import (
    ChangeLog,
    matchable_hashes,
    matchable_local_hashes,
    packed_hash_ranges,
)
from hashstop.storage.database import Database
from hashstop.storage.notifications import KEYS_NOTICE, ChangeNotifications

log = logging.getLogger(__name__)

HAMMING_BITS = {a.name: a.bits for a in FACTS.indexed("hamming")}
EXACT_ALGORITHMS = tuple(a.name for a in FACTS.indexed("exact"))
ALGORITHM_BYTES = {name: bits // 8 for name, bits in HAMMING_BITS.items()} | {
    name: FACTS.of(name).width for name in EXACT_ALGORITHMS
}
LOCAL = "local"  # local hashes (issue 14): their own index, with photo and frame per id
SYNC_PAGE = 5000
MAX_BACKOFF = 2.0  # seconds between attempts while the database is away
RELISTEN_EVERY = 10.0  # seconds between attempts to reopen a lost change listener
_REMOVALS = "hashstop_index_removals"
_DIRTY = "hashstop_index_dirty"


class HashIndex:
    """The matchable hashes of this worker, one index per algorithm, keyed by hash id."""

    def __init__(self) -> None:
        self.hamming = {alg: HammingIndex(bits) for alg, bits in HAMMING_BITS.items()}
        self.exact = {alg: ExactIndex() for alg in EXACT_ALGORITHMS}
        self.local = LocalIndex()

    def add(
        self,
        algorithm: str,
        ids: Sequence[int],
        values: Sequence[bytes],
        photos: Sequence[int] | None = None,
    ) -> None:
        """Add hashes; local hashes need their photos (row ids) and are ignored without."""
        if not ids:
            return
        if algorithm == LOCAL:
            if photos is not None:
                self.local.add(ids, values, photos)
        elif algorithm in self.hamming:
            width = HAMMING_BITS[algorithm] // 8
            codes = np.frombuffer(b"".join(values), dtype=np.uint8).reshape(-1, width)
            self.hamming[algorithm].add(np.asarray(ids, dtype=np.int64), codes)
        elif algorithm in self.exact:
            self.exact[algorithm].add(ids, values)

    def add_packed(self, algorithm: str, ids: Sequence[int], packed: bytes) -> None:
        """Add hashes given as one buffer of concatenated values (the bulk-load path)."""
        width = ALGORITHM_BYTES[algorithm]
        if algorithm in self.hamming:
            codes = np.frombuffer(packed, dtype=np.uint8).reshape(-1, width)
            self.hamming[algorithm].add(np.asarray(ids, dtype=np.int64), codes)
        else:
            values = [packed[i : i + width] for i in range(0, len(packed), width)]
            self.add(algorithm, ids, values)

    def remove(self, algorithm: str, ids: Sequence[int]) -> None:
        if not ids:
            return
        if algorithm == LOCAL:
            self.local.remove(ids)
        elif algorithm in self.hamming:
            self.hamming[algorithm].remove(np.asarray(ids, dtype=np.int64))
        elif algorithm in self.exact:
            self.exact[algorithm].remove(ids)

    def sizes(self) -> dict[str, int]:
        return {
            **{a: len(i) for a, i in self.hamming.items()},
            **{a: len(i) for a, i in self.exact.items()},
            LOCAL: len(self.local),
        }


@dataclass(frozen=True, slots=True)
class SyncStatus:
    loaded: bool
    ready: bool
    applied_seq: int
    seconds_since_sync: float | None
    sizes: dict[str, int]
    reason: str


def note_index_change(session: Session, removals: Iterable[tuple[str, int]] = ()) -> None:
    """Tell the session's owner that this transaction changed the matchable hashes.

    `removals` (algorithm, hash id) are taken out of this worker's index right after commit.
    """
    session.info.setdefault(_REMOVALS, []).extend(removals)
    session.info[_DIRTY] = True


class IndexSync:
    """Loads a `HashIndex` and keeps it following the change log in a background thread."""

    def __init__(
        self, database: Database, index: HashIndex, *, interval: float, stale_after: float
    ) -> None:
        if not 0 < interval <= 1:
            raise ValueError("the sync interval is at most one second")
        self.database = database
        self.index = index
        self.interval = interval
        self.stale_after = stale_after
        self.applied_seq = 0
        self.loaded = False
        self.caught_up = False
        self.last_ok: float | None = None
        self.load_seconds: float | None = None
        # The kind of error of the last attempt while it keeps failing (the database is away).
        self.failing: str | None = None
        self.after_sync: list[Callable[[], object]] = []
        # Called when another process revoked an API key (PostgreSQL notifications only).
        self.on_keys_revoked: list[Callable[[], object]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        """Start the background thread: load (retrying), then poll until `stop`."""
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="hashstop-index-sync", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        notifications = ChangeNotifications(self.database)
        backoff = self.interval
        relisten_at = time.monotonic() + RELISTEN_EVERY
        try:
            while not self._stop.is_set():
                try:
                    if not self.loaded:
                        self.load()
                    else:
                        self.poll()
                    backoff = self.interval
                    if self.failing is not None:
                        log.warning("index sync recovered: the database answers again")
                    self.failing = None
                except Exception as exc:  # noqa: BLE001 - keep following; /readyz shows the lag
                    if self.failing is None:
                        log.warning("index sync failed (%s); retrying", type(exc).__name__)
                    self.failing = type(exc).__name__
                    backoff = min(backoff * 2, MAX_BACKOFF)
                if self.failing is None:
                    self._after_sync()
                    if not notifications.listening and time.monotonic() > relisten_at:
                        relisten_at = time.monotonic() + RELISTEN_EVERY
                        notifications.reopen()
                if self.loaded and backoff == self.interval:
                    if KEYS_NOTICE in notifications.wait(self.interval, self._stop):
                        for job in self.on_keys_revoked:
                            job()
                else:
                    self._stop.wait(backoff)
        finally:
            notifications.close()

    def _after_sync(self) -> None:
        for job in self.after_sync:
            try:
                job()
            except Exception as exc:  # noqa: BLE001 - retried after the next successful poll
                log.warning("a job after the index sync failed (%s)", type(exc).__name__)

    # -- loading and following -------------------------------------------------------------
    def load(self) -> None:
        """Fill the index from one consistent snapshot of the database."""
        started = time.monotonic()
        with self._lock, self.database.transaction(write=False) as session:
            if self.database.is_postgresql:
                session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            head = ChangeLog(session).head()
            if self.database.is_postgresql:
                # Gathered first, then added once per algorithm: one build of the index
                # instead of a merge per chunk.
                id_chunks: dict[str, list[list[int]]] = defaultdict(list)
                value_chunks: dict[str, list[bytes]] = defaultdict(list)
                for algorithm, chunk_ids, packed in packed_hash_ranges(session, ALGORITHM_BYTES):
                    id_chunks[algorithm].append(chunk_ids)
                    value_chunks[algorithm].append(packed)
                for algorithm, chunks in id_chunks.items():
                    all_ids = [i for chunk in chunks for i in chunk]
                    self.index.add_packed(algorithm, all_ids, b"".join(value_chunks[algorithm]))
                del id_chunks, value_chunks
            else:
                ids: dict[str, list[int]] = defaultdict(list)
                values: dict[str, list[bytes]] = defaultdict(list)
                for hash_id, algorithm, value in matchable_hashes(session):
                    if algorithm != LOCAL:
                        ids[algorithm].append(hash_id)
                        values[algorithm].append(value)
                for algorithm in ids:
                    self.index.add(algorithm, ids[algorithm], values[algorithm])
            for local_ids, photos, local_values in matchable_local_hashes(session):
                self.index.add(LOCAL, local_ids, local_values, photos)
            self.applied_seq = head
            self.loaded = True
            self.caught_up = True
            self.last_ok = time.monotonic()
        self.load_seconds = self.last_ok - started
        log.info(
            "index loaded: %s hashes up to change %d in %.2f s",
            sum(self.index.sizes().values()),
            head,
            self.load_seconds,
        )

    def poll(self) -> int:
        """Apply every change after the last applied one; return how many were applied."""
        applied = 0
        with self._lock:
            if not self.loaded:
                return 0
            while True:
                with self.database.transaction(write=False) as session:
                    page = ChangeLog(session).after(self.applied_seq, SYNC_PAGE)
                adds: dict[str, dict[int, bytes]] = defaultdict(dict)
                removes: dict[str, set[int]] = defaultdict(set)
                photos: dict[int, int] = {}
                for entry in page:
                    photos[entry.hash_id] = entry.photo_id
                    if entry.value is not None:
                        removes[entry.algorithm].discard(entry.hash_id)
                        adds[entry.algorithm][entry.hash_id] = entry.value
                    else:
                        adds[entry.algorithm].pop(entry.hash_id, None)
                        removes[entry.algorithm].add(entry.hash_id)
                for algorithm, gone in removes.items():
                    self.index.remove(algorithm, sorted(gone))
                for algorithm, new in adds.items():
                    self.index.add(
                        algorithm, list(new), list(new.values()), [photos[i] for i in new]
                    )
                if page:
                    self.applied_seq = page[-1].seq
                applied += len(page)
                if len(page) < SYNC_PAGE:
                    break
            self.caught_up = True
            self.last_ok = time.monotonic()
        if applied:
            log.debug("index applied %d changes, now at %d", applied, self.applied_seq)
        return applied

    def forget(self, removals: Iterable[tuple[str, int]]) -> None:
        """Take hashes out of the index at once (after the commit that withdrew them)."""
        by_algorithm: dict[str, list[int]] = defaultdict(list)
        for algorithm, hash_id in removals:
            by_algorithm[algorithm].append(hash_id)
        with self._lock:
            for algorithm, ids in by_algorithm.items():
                self.index.remove(algorithm, ids)

    def after_commit(self, session: Session) -> None:
        """Apply what a just-committed session changed: removals now, then catch up."""
        removals = session.info.pop(_REMOVALS, [])
        if not session.info.pop(_DIRTY, False):
            return
        self.forget(removals)
        try:
            self.poll()
        except Exception as exc:  # noqa: BLE001 - the background thread will catch up
            log.warning("index catch-up after a change failed (%s)", type(exc).__name__)

    # -- reporting -------------------------------------------------------------------------
    def status(self) -> SyncStatus:
        since = None if self.last_ok is None else time.monotonic() - self.last_ok
        if not self.loaded:
            ready, reason = False, "the index is still loading"
        elif self.failing is not None:
            ready, reason = False, f"the last sync failed ({self.failing}): is the database up?"
        elif since is None or since > self.stale_after:
            ready, reason = False, f"the index has not synced for {since:.1f} s"
        else:
            ready, reason = True, "ready"
        return SyncStatus(
            loaded=self.loaded,
            ready=ready,
            applied_seq=self.applied_seq,
            seconds_since_sync=since,
            sizes=self.index.sizes(),
            reason=reason,
        )
