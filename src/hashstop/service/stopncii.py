"""The hash list in StopNCII's shape (`GET /stopncii/v1/FetchHashes`), for pytx and HMA.

A platform already pulling StopNCII.org through pytx's `StopNCIISignalExchangeAPI` (as HMA does)
points its base URL at `<hashstop>/stopncii/v1` and puts its hashstop platform key where the
StopNCII function key goes (`x-functions-key`). No code changes on its side.

StopNCII's model is a set of per-hash snapshots filtered by a start time: every record is the
hash's state now (`hashStatus`), keyed by (signal type, value), and a later record for the same
key replaces an earlier one. We serve it from the change log:

- `startTimestamp` (epoch seconds) selects the entries from the first seq written at or after
  that second; everything after it follows, in seq order, whatever its own time (a clock that
  stepped back cannot hide an entry). A page carries one record per hash, in its current state.
- `nextPageToken` is the last seq served and the largest entry time seen so far in this set;
  `nextSetTimestamp` is that largest time (never less than `startTimestamp`), so checkpoints
  only move forward. Resuming from it repeats at most the entries of that second, which replace
  themselves; it never skips one, because entry times are taken under the change-log lock.
- Only PDQ (`ImagePDQ`) and MD5 (`VideoMD5`) travel: StopNCII has no type for the others.
- Status: active -> `Active`; withdrawn -> `Withdrawn`; suspended -> `Deleted` (StopNCII's
  statuses that tell a client to delete its copy). A record that is not active carries a value
  only to a follower that may hold it (its start time is after the hash was added): a new
  follower never learns suspended or withdrawn values. A withdrawn value is known only while it
  is kept (`storage/retractions.py`); a follower whose checkpoint is older than the retention,
  with a withdrawal in between, is answered 410 and must fetch again from the start.
- A bank that is not republished (issue 17) is left out: its entries are passed over (the page
  token still moves past them), except those that turned its republishing off, which are
  `Deleted` records for a follower that may hold the value (as a suspension's). Turning it on
  writes entries that are `Active` records again.
- `caseNumbers` is always empty and `CSPFeedbacks` empty: no case id ever leaves the service.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from hashstop.service.errors import Gone, InvalidInput
from hashstop.storage.models import ChangeKind, HashStatus, utcnow
from hashstop.storage.retractions import (
    feed_rows,
    first_seq_since,
    purge_retractions,
    withdrawals_between,
)

# our algorithm -> StopNCII's signal type
SIGNAL_TYPES = {"pdq": "ImagePDQ", "md5": "VideoMD5"}
STATUSES = {
    HashStatus.ACTIVE: "Active",
    HashStatus.WITHDRAWN: "Withdrawn",
    HashStatus.SUSPENDED: "Deleted",
}
# The algorithms whose values a withdrawal keeps for this feed.
RETAINED_ALGORITHMS = frozenset(SIGNAL_TYPES)
MAX_TIMESTAMP = 2**40


@dataclass(frozen=True, slots=True)
class StopNCIIRecord:
    last_modified: int
    signal_type: str
    value: str
    status: str


@dataclass(frozen=True, slots=True)
class StopNCIIPage:
    records: list[StopNCIIRecord]
    next_page_token: str | None
    next_set_timestamp: int
    has_more: bool


def _parse_token(token: str) -> tuple[int, int]:
    seq, sep, seen = token.partition(".")
    if not sep or not seq.isdigit() or not seen.isdigit() or len(token) > 40:
        raise InvalidInput(
            "`nextPageToken` is the `nextPageToken` of the previous page, unchanged; start "
            "again without it"
        )
    return int(seq), int(seen)


def _epoch(when: datetime) -> int:
    return int(when.timestamp())


def fetch_hashes(
    session: Session,
    *,
    start: int,
    page_size: int,
    token: str | None,
    max_page: int,
    retraction_days: int,
    now: datetime | None = None,
) -> StopNCIIPage:
    """One page of the feed; see the module docstring."""
    if not 0 <= start <= MAX_TIMESTAMP:
        raise InvalidInput(f"`startTimestamp` is epoch seconds, 0-{MAX_TIMESTAMP}, got {start}")
    if not 1 <= page_size <= max_page:
        raise InvalidInput(f"`pageSize` is 1-{max_page}, got {page_size}")
    now = now or utcnow()
    start_at = datetime.fromtimestamp(start, UTC)
    # A follower may hold a hash added before the second after its start time.
    may_hold_before = start_at + timedelta(seconds=1)
    horizon = now - timedelta(days=retraction_days) if retraction_days > 0 else None
    if token:
        last_seq, seen = _parse_token(token)
        from_seq: int | None = last_seq + 1
    else:
        seen = start
        from_seq = first_seq_since(session, start_at)
        if (
            horizon is not None
            and start_at < horizon
            and withdrawals_between(session, start_at, horizon, may_hold_before)
        ):
            raise Gone(
                f"this checkpoint ({start}) is older than the {retraction_days} days for which "
                "withdrawals are kept, and hashes were withdrawn since: clear the local copy "
                "and fetch again from the start"
            )
    if from_seq is None:  # nothing written since `start`
        return StopNCIIPage([], None, start, False)
    rows = feed_rows(session, from_seq, page_size + 1, RETAINED_ALGORITHMS)
    page, has_more = rows[:page_size], len(rows) > page_size
    latest: dict[int, StopNCIIRecord] = {}
    for row in page:
        seen = max(seen, _epoch(row.changed_at))
        if not row.published and row.kind != ChangeKind.UNPUBLISHED:
            # A bank that is not republished (issue 17): nothing, but for the entries that
            # turned it off (below).
            continue
        latest.pop(row.hash_id, None)  # the record goes where the hash last changed
        value: bytes | None
        status = STATUSES.get(HashStatus(row.status))
        if not row.published:
            # A deletion for a follower that may hold the value, as a suspension's.
            status = STATUSES[HashStatus.SUSPENDED]  # `Deleted`
            if row.added_at >= may_hold_before:
                value = None
            elif row.status == HashStatus.WITHDRAWN:
                value = row.retained
            else:
                value = row.value
        elif row.status == HashStatus.ACTIVE:
            value = row.value
        elif row.added_at >= may_hold_before:
            value = None  # the follower never had it: nothing to delete
        elif row.status == HashStatus.WITHDRAWN:
            value = row.retained
        else:
            value = row.value
        if value is None or status is None:
            continue
        latest[row.hash_id] = StopNCIIRecord(
            last_modified=_epoch(row.changed_at),
            signal_type=SIGNAL_TYPES[row.algorithm],
            value=value.hex(),
            status=status,
        )
    next_token = f"{page[-1].seq}.{seen}" if has_more and page else None
    return StopNCIIPage(list(latest.values()), next_token, seen, has_more)


def purge_expired(session: Session, retraction_days: int, now: datetime | None = None) -> int:
    """Delete the kept withdrawn values older than the retention; returns how many."""
    now = now or utcnow()
    return purge_retractions(session, now - timedelta(days=max(retraction_days, 0)))
