"""What moderators read: the review queue, one match with its history and counts, activity.

Moderator keys are global or scoped to one platform (`Actor.scope`); admins can do whatever a
global moderator can. A scoped moderator sees only its platform's match records: another
platform's match answers 404, like one that does not exist, and asking the queue for another
platform is a 403. Every function here takes the acting `Actor` and applies those rules itself.
Counts over a hash or a case span every platform but never name them.

Nothing here returns a case id, a case secret or a photo label: a case appears only as the
grouping behind "all the hashes of the same case" counts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.orm import Session

from hashstop.service.actors import Actor
from hashstop.service.errors import Forbidden, InvalidInput, NotFound
from hashstop.service.index import ALGORITHM_BYTES
from hashstop.service.photo_review import PhotoView, views_of
from hashstop.service.tokens import MATCH_ID
from hashstop.storage.matches import MatchRepository
from hashstop.storage.models import MatchRecord, MatchStatus, SuspensionKind
from hashstop.storage.moderation_queries import (
    FeedbackCounts,
    HashState,
    QueueFilter,
    daily_activity,
    feedback_counts_by_case,
    feedback_counts_by_hash,
    hash_states,
    queue_records,
)

QUEUE_STATUSES = ("pending", "confirmed", "false_positive", "dismissed", "all")
MAX_PAGE = 200
_CURSOR = re.compile(r"([qr])([0-9]{0,19})")
MAX_CURSOR_ID = 2**62
"""The largest id a cursor may name: every database compares it as a 64-bit integer."""
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 1, 1, tzinfo=UTC)
"""The moments a filter may name; outside them `since`/`until` are refused (422), so neither
a time zone's offset nor a database's range can turn a date into an error."""


def visible_match(session: Session, actor: Actor, match_id: str) -> MatchRecord:
    """The match record if `actor` may see it; 404 otherwise (whether or not it exists)."""
    record = (
        MatchRepository(session).by_public_id(match_id) if MATCH_ID.fullmatch(match_id) else None
    )
    scope = actor.scope
    if record is None or (scope is not None and record.platform != scope):
        raise NotFound(f"no match {match_id!r} for this key")
    return record


@dataclass(frozen=True, slots=True)
class HitView:
    hash_id: int
    algorithm: str
    distance: int
    state: HashState | None

    @property
    def quarantined(self) -> bool:
        s = self.state
        return bool(
            s
            and s.status == "suspended"
            and s.suspension is not None
            and s.suspension.kind == SuspensionKind.QUARANTINE
        )

    @property
    def flagged(self) -> bool:
        return bool(self.state and self.state.photo_flagged)


@dataclass(frozen=True, slots=True)
class QueueItem:
    record: MatchRecord
    hits: list[HitView]

    @property
    def quarantined(self) -> bool:
        return any(h.quarantined for h in self.hits)

    @property
    def flagged(self) -> bool:
        return any(h.flagged for h in self.hits)


@dataclass(frozen=True, slots=True)
class QueuePage:
    items: list[QueueItem]
    next_cursor: str | None


def _parse_cursor(cursor: str | None) -> tuple[bool, int | None]:
    """(in the quarantined part?, before this id) from an opaque cursor."""
    if cursor is None or cursor == "":
        return True, None
    found = _CURSOR.fullmatch(cursor)
    if found is None:
        raise InvalidInput("`cursor` is the `next_cursor` of a previous page, unchanged")
    before = int(found.group(2)) if found.group(2) else None
    if before is not None and before > MAX_CURSOR_ID:
        # Found by the red team: 2**63 overflowed SQLite's integers (a 500).
        raise InvalidInput("`cursor` is the `next_cursor` of a previous page, unchanged")
    return found.group(1) == "q", before


def queue(
    session: Session,
    actor: Actor,
    *,
    status: str = "pending",
    platform: str | None = None,
    algorithm: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    hash_id: int | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> QueuePage:
    """A page of the queue: records hitting quarantined hashes or flagged photos first, then the
    rest, each part newest first. The cursor is stable: records added later never shift a page."""
    if status not in QUEUE_STATUSES:
        raise InvalidInput(f"status is one of {', '.join(QUEUE_STATUSES)}; got {status!r}")
    if algorithm is not None and algorithm not in ALGORITHM_BYTES:
        raise InvalidInput(f"algorithm is one of {', '.join(ALGORITHM_BYTES)}; got {algorithm!r}")
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"`limit` is 1-{MAX_PAGE}, got {limit}")
    since, until = _utc(since, "since"), _utc(until, "until")
    if since is not None and until is not None and since >= until:
        raise InvalidInput("`since` must be earlier than `until`")
    scope = actor.scope
    if scope is not None and platform not in (None, "", scope):
        raise Forbidden(f"this moderator key sees only platform {scope!r}")
    wanted = QueueFilter(
        statuses=None if status == "all" else (status,),
        platform=scope or platform or None,
        algorithm=algorithm,
        since=since,
        until=until,
        hash_id=hash_id,
    )
    in_quarantine, before = _parse_cursor(cursor)
    records: list[MatchRecord] = []
    next_cursor = None
    if in_quarantine:
        part = queue_records(session, wanted, quarantined=True, before=before, limit=limit + 1)
        records = part[:limit]
        if len(part) > limit:
            next_cursor = f"q{records[-1].id}"
        before = None
    if next_cursor is None:
        room = limit - len(records)
        part = queue_records(session, wanted, quarantined=False, before=before, limit=room + 1)
        if room == 0:
            next_cursor = "r" if part else None
        else:
            records.extend(part[:room])
            if len(part) > room:
                next_cursor = f"r{records[-1].id}"
    states = hash_states(session, (h.hash_id for r in records for h in r.hits))
    items = [
        QueueItem(
            r, [HitView(h.hash_id, h.algorithm, h.distance, states.get(h.hash_id)) for h in r.hits]
        )
        for r in records
    ]
    return QueuePage(items, next_cursor)


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One verdict or decision on a match record (or its creation), oldest first."""

    kind: str  # matched, feedback, decision
    at: datetime
    actor: str  # a key name
    role: str
    status: str  # the verdict or decision (for `matched`: pending)
    action: str | None = None
    note: str | None = None
    applied: bool = True
    previous: str | None = None


@dataclass(frozen=True, slots=True)
class MatchView:
    record: MatchRecord
    hits: list[HitView]
    history: list[HistoryEntry]
    hash_counts: dict[int, FeedbackCounts]
    case_counts: dict[int, FeedbackCounts]
    photos: list[PhotoView] = field(default_factory=list)  # every hash of each photo hit

    @property
    def quarantined(self) -> bool:
        return any(h.quarantined for h in self.hits)


def match_view(session: Session, actor: Actor, match_id: str) -> MatchView:
    record = visible_match(session, actor, match_id)
    return describe(session, record)


def describe(session: Session, record: MatchRecord) -> MatchView:
    """The record with its hits' states, its history and the feedback counts."""
    repo = MatchRepository(session)
    ids = [h.hash_id for h in record.hits]
    states = hash_states(session, ids)
    history = [HistoryEntry("matched", record.created_at, record.platform, "platform", "pending")]
    history += [
        HistoryEntry(
            "feedback", f.created_at, k.name, "platform", f.verdict, f.action, applied=f.applied
        )
        for f, k in repo.feedback_with_keys(record)
    ]
    history += [
        HistoryEntry(
            "decision",
            d.created_at,
            k.name,
            k.role,
            d.decision,
            note=d.note,
            previous=d.previous_status,
        )
        for d, k in repo.decisions_of(record)
    ]
    history.sort(key=lambda e: e.at)
    return MatchView(
        record=record,
        hits=[
            HitView(h.hash_id, h.algorithm, h.distance, states.get(h.hash_id)) for h in record.hits
        ],
        history=history,
        hash_counts=feedback_counts_by_hash(session, ids),
        case_counts=feedback_counts_by_case(session, ids),
        photos=views_of(session, {s.photo_id for s in states.values() if s.photo_id}),
    )


@dataclass(frozen=True, slots=True)
class DayActivity:
    day: date
    counts: dict[str, int]

    def get(self, series: str) -> int:
        return self.counts.get(series, 0)

    @property
    def matches(self) -> int:
        return sum(self.get(f"match:{s.value}") for s in MatchStatus)


def activity(session: Session, actor: Actor, days: int = 14) -> list[DayActivity]:
    """Per UTC day, oldest first: matches by status, verdicts, decisions, quarantines."""
    if not 1 <= days <= 366:
        raise InvalidInput(f"`days` is 1-366, got {days}")
    today = datetime.now(UTC).date()
    first = today - timedelta(days=days - 1)
    since = datetime(first.year, first.month, first.day, tzinfo=UTC)
    found = daily_activity(session, since, actor.scope)
    return [
        DayActivity(d, found.get(d.isoformat(), {}))
        for d in (first + timedelta(days=i) for i in range(days))
    ]


def _utc(moment: datetime | None, name: str) -> datetime | None:
    """`moment` in UTC (a naive one is taken as UTC), refused unless 1970 <= it < 9999."""
    if moment is None:
        return None
    refused = InvalidInput(f"`{name}` is a moment between 1970 and 9999 (ISO 8601, UTC if no zone)")
    try:
        utc = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (OverflowError, ValueError):
        # Found by the red team: 0001-01-01T00:00:00+14:00 is before year 1 in UTC (a 500).
        raise refused from None
    if not EARLIEST <= utc < LATEST:
        raise refused
    return utc
