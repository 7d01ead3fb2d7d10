"""Matching while the database is away: what a worker may still do from memory, and no more.

The index lives in memory, so a platform's upload can still be checked when PostgreSQL is
stopped or unreachable. Two things normally need the database on that path, and this module
is the stand-in for each while (and only while) the database is unavailable:

- `KnownKeys`: the platform's key. Every request reads its key from the database, so that a
  revocation counts at once. Each worker also rereads the live keys every ten seconds while the
  database answers; when it does not, a key that was live at that last read is accepted, for at
  most `outage_key_grace` seconds. No key can be revoked during the outage (revoking writes to
  the same database), so the only risk is a revocation committed within the ten seconds before
  it. An unknown key is refused (503), never guessed at.
- `DeferredMatches`: the match record. A matched item is answered as matched (a "no match"
  would be silently wrong: the platform would publish a victim's photo), with a match id, and
  its record is kept in memory and written when the database answers again, with the time of
  the match, and the quarantine's rate check then runs over it. The buffer is bounded
  (`outage_match_records` per worker): when it is full, a request with a hit gets 503, still
  never a wrong answer. Records still in memory when a worker is killed are lost; a clean
  shutdown tries to write them first. The hit is not re-checked against the database (it
  cannot be); a withdrawal cannot be committed during the outage either, so only one committed
  in the last half second before it and not yet applied by this worker could still match.

Nothing here stores a token or a hash value: keys are remembered by their keyed hash, records
hold hash ids and distances.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from hashstop.service.quarantine import QuarantinePolicy, check_match_rate
from hashstop.storage.database import Database
from hashstop.storage.keys import ApiKeyRepository
from hashstop.storage.matches import MatchRepository, NewMatch
from hashstop.storage.models import ApiKey, utcnow

log = logging.getLogger(__name__)
KEYS_REFRESH_EVERY = 10.0  # seconds between two reads of the live keys


class KnownKeys:
    """The live API keys as of the last read of the database: consulted only when it is away.

    The sync thread calls `refresh` after each successful poll; it rereads the keys at most
    every `refresh_every` seconds (a few rows: one per platform, moderator and admin).
    """

    def __init__(self, grace_seconds: float, refresh_every: float = KEYS_REFRESH_EVERY) -> None:
        self.grace = grace_seconds
        self.refresh_every = refresh_every
        self._live: dict[bytes, ApiKey] = {}
        self._read_at: float | None = None

    def refresh(self, database: Database) -> None:
        if self.grace <= 0:
            return
        now = time.monotonic()
        if self._read_at is not None and now - self._read_at < self.refresh_every:
            return
        with database.lookup() as session:
            keys = ApiKeyRepository(session).all()
        self._live = {k.token_hash: k for k in keys if k.revoked_at is None}
        self._read_at = now

    def recall(self, token_hash: bytes) -> ApiKey | None:
        """The key if it was live when the keys were last read, at most `grace` seconds ago."""
        read_at = self._read_at
        if read_at is None or time.monotonic() - read_at > self.grace:
            return None
        return self._live.get(token_hash)

    def __len__(self) -> int:
        return len(self._live)


@dataclass(frozen=True, slots=True)
class DeferredRecord:
    api_key_id: int
    platform: str
    match: NewMatch
    created_at: datetime


class DeferredMatches:
    """Match records answered during an outage, waiting (bounded) to be written."""

    def __init__(self, capacity: int, quarantine: QuarantinePolicy | None = None) -> None:
        self.capacity = capacity
        self.quarantine = quarantine
        self._pending: list[DeferredRecord] = []
        self._lock = threading.Lock()
        self.written = 0

    def __len__(self) -> int:
        return len(self._pending)

    def defer(self, key: ApiKey, matches: Sequence[NewMatch]) -> bool:
        """Keep `matches` for later; False (nothing kept) when they do not all fit."""
        now = utcnow()
        with self._lock:
            if len(self._pending) + len(matches) > self.capacity:
                return False
            self._pending.extend(
                DeferredRecord(key.id, key.platform or "", m, now) for m in matches
            )
        log.warning("database unavailable: %d match record(s) kept in memory", len(matches))
        return True

    def flush(self, database: Database) -> int:
        """Write the kept records (one transaction); return how many. Raises if it fails; they
        are kept (and still count against the capacity) for the next try."""
        with self._lock:
            batch = list(self._pending)  # stays counted (and full) until written
        if not batch:
            return 0
        with database.transaction() as session:
            repo = MatchRepository(session)
            groups: dict[tuple[int, str, datetime], list[NewMatch]] = defaultdict(list)
            for record in batch:
                groups[(record.api_key_id, record.platform, record.created_at)].append(record.match)
            for (key_id, platform, created_at), matches in groups.items():
                repo.add_many(key_id, platform, matches, now=created_at)
            session.flush()
            if self.quarantine is not None:
                hit = {h.hash_id for r in batch for h in r.match.hits}
                check_match_rate(session, self.quarantine, hit)
        with self._lock:
            del self._pending[: len(batch)]  # later ones were appended after them
        self.written += len(batch)
        log.info("wrote %d match record(s) kept during a database outage", len(batch))
        return len(batch)
