"""Read-side queries of the review: the queue, the state of hit hashes, feedback counts, activity.

Nothing here selects a case id, a case secret or a photo label: what moderators read is built
from these queries, and a case only ever appears as an internal grouping key for counts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeAlias

from sqlalchemy import ColumnElement, Select, distinct, exists, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session, selectinload

from hashstop.storage.flags import flagged_photo_hash_ids
from hashstop.storage.models import (
    Feedback,
    FeedbackAction,
    FlagKind,
    Hash,
    HashSuspension,
    MatchDecision,
    MatchHit,
    MatchRecord,
    Photo,
    ReviewFlag,
    SuspensionKind,
)
from hashstop.storage.suspensions import open_quarantine_hash_ids

AnySelect: TypeAlias = Select[*tuple[Any, ...]]


@dataclass(frozen=True, slots=True)
class QueueFilter:
    """What a moderator asked to see; None means any."""

    statuses: tuple[str, ...] | None = None
    platform: str | None = None
    algorithm: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    hash_id: int | None = None


def queue_records(
    session: Session, wanted: QueueFilter, *, quarantined: bool, before: int | None, limit: int
) -> list[MatchRecord]:
    """One part of the queue, newest first: records hitting a quarantined hash or a flagged
    photo (the top part), or the others."""
    hits_quarantined = select(MatchHit.match_id).where(
        or_(
            MatchHit.hash_id.in_(open_quarantine_hash_ids()),
            MatchHit.hash_id.in_(flagged_photo_hash_ids()),
        )
    )
    stmt = select(MatchRecord).options(selectinload(MatchRecord.hits))
    if quarantined:
        stmt = stmt.where(MatchRecord.id.in_(hits_quarantined))
    else:
        stmt = stmt.where(MatchRecord.id.not_in(hits_quarantined))
    if wanted.statuses is not None:
        stmt = stmt.where(MatchRecord.status.in_(wanted.statuses))
    if wanted.platform is not None:
        stmt = stmt.where(MatchRecord.platform == wanted.platform)
    if wanted.since is not None:
        stmt = stmt.where(MatchRecord.created_at >= wanted.since)
    if wanted.until is not None:
        stmt = stmt.where(MatchRecord.created_at < wanted.until)
    if wanted.algorithm is not None:
        stmt = stmt.where(
            exists().where(
                MatchHit.match_id == MatchRecord.id, MatchHit.algorithm == wanted.algorithm
            )
        )
    if wanted.hash_id is not None:
        stmt = stmt.where(
            exists().where(MatchHit.match_id == MatchRecord.id, MatchHit.hash_id == wanted.hash_id)
        )
    if before is not None:
        stmt = stmt.where(MatchRecord.id < before)
    return list(session.scalars(stmt.order_by(MatchRecord.id.desc()).limit(limit)))


@dataclass(frozen=True, slots=True)
class HashState:
    """A hash as a moderator sees it: its algorithm, status, value (if kept) and suspension."""

    hash_id: int
    algorithm: str
    status: str
    value: bytes | None
    suspension: HashSuspension | None
    photo_id: int | None = None  # internal; never shown
    photo: str | None = None  # the photo's public id
    variant: str | None = None
    photo_flagged: bool = False  # the photo has an open review flag


def hash_states(session: Session, hash_ids: Iterable[int]) -> dict[int, HashState]:
    ids = sorted(set(hash_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(
            Hash.id,
            Hash.algorithm,
            Hash.status,
            Hash.value,
            Hash.photo_id,
            Hash.variant,
            Photo.public_id,
        )
        .join(Photo, Photo.id == Hash.photo_id)
        .where(Hash.id.in_(ids))
    ).all()
    flagged = set(
        session.scalars(
            select(ReviewFlag.photo_id).where(
                ReviewFlag.kind == FlagKind.PHOTO,
                ReviewFlag.cleared_at.is_(None),
                ReviewFlag.photo_id.in_(sorted({r.photo_id for r in rows})),
            )
        )
    )
    open_rows = session.scalars(
        select(HashSuspension)
        .where(HashSuspension.hash_id.in_(ids), HashSuspension.ended_at.is_(None))
        .order_by(HashSuspension.id)
    )
    suspensions = {s.hash_id: s for s in open_rows}
    return {
        r.id: HashState(
            r.id,
            r.algorithm,
            r.status,
            r.value,
            suspensions.get(r.id),
            photo_id=r.photo_id,
            photo=r.public_id,
            variant=r.variant,
            photo_flagged=r.photo_id in flagged,
        )
        for r in rows
    }


@dataclass(slots=True)
class FeedbackCounts:
    """How a hash (or all the hashes of its case) fared: match records and platform verdicts.

    `statuses` counts records by their current status; `verdicts` and `actions` count records
    that received at least one such verdict or action from their platform.
    """

    matches: int = 0
    platforms: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    verdicts: dict[str, int] = field(default_factory=dict)
    actions: dict[str, int] = field(default_factory=dict)


def _counts(
    session: Session,
    key: InstrumentedAttribute[int],
    scope: Callable[[AnySelect], AnySelect],
) -> dict[int, FeedbackCounts]:
    out: dict[int, FeedbackCounts] = defaultdict(FeedbackCounts)
    records = scope(
        select(
            key, func.count(distinct(MatchRecord.id)), func.count(distinct(MatchRecord.platform))
        )
        .select_from(MatchHit)
        .join(MatchRecord, MatchRecord.id == MatchHit.match_id)
    ).group_by(key)
    for k, matches, platforms in session.execute(records):
        out[k].matches, out[k].platforms = matches, platforms
    by_status = scope(
        select(key, MatchRecord.status, func.count(distinct(MatchRecord.id)))
        .select_from(MatchHit)
        .join(MatchRecord, MatchRecord.id == MatchHit.match_id)
    ).group_by(key, MatchRecord.status)
    for k, status, n in session.execute(by_status):
        out[k].statuses[status] = n
    verdicts = scope(
        select(key, Feedback.verdict, func.count(distinct(Feedback.match_id)))
        .select_from(MatchHit)
        .join(Feedback, Feedback.match_id == MatchHit.match_id)
    ).group_by(key, Feedback.verdict)
    for k, verdict, n in session.execute(verdicts):
        out[k].verdicts[verdict] = n
    actions = scope(
        select(key, Feedback.action, func.count(distinct(Feedback.match_id)))
        .select_from(MatchHit)
        .join(Feedback, Feedback.match_id == MatchHit.match_id)
        .where(Feedback.action != FeedbackAction.NONE)
    ).group_by(key, Feedback.action)
    for k, action, n in session.execute(actions):
        out[k].actions[action] = n
    return dict(out)


def feedback_counts_by_hash(session: Session, hash_ids: Iterable[int]) -> dict[int, FeedbackCounts]:
    """Counts over the match records that hit each of `hash_ids`."""
    ids = sorted(set(hash_ids))
    if not ids:
        return {}
    found = _counts(session, MatchHit.hash_id, lambda s: s.where(MatchHit.hash_id.in_(ids)))
    return {i: found.get(i, FeedbackCounts()) for i in ids}


def feedback_counts_by_case(session: Session, hash_ids: Iterable[int]) -> dict[int, FeedbackCounts]:
    """For each of `hash_ids`, counts over the records that hit any hash of the same case.

    The case is only a grouping key here: the result is keyed by the hash id given.
    """
    ids = sorted(set(hash_ids))
    if not ids:
        return {}
    rows = session.execute(select(Hash.id, Hash.case_id).where(Hash.id.in_(ids)))
    case_of = dict(rows.all())
    cases = sorted(set(case_of.values()))
    found = _counts(
        session,
        Hash.case_id,
        lambda s: s.join(Hash, Hash.id == MatchHit.hash_id).where(Hash.case_id.in_(cases)),
    )
    return {i: found.get(case_of[i], FeedbackCounts()) for i in ids if i in case_of}


def _day(session: Session, column: Any) -> ColumnElement[str]:
    """The UTC calendar day of a timestamp column as YYYY-MM-DD, on either database."""
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD")
    return func.substr(column, 1, 10)  # SQLite keeps UTC timestamps as ISO text


def daily_activity(
    session: Session, since: datetime, platform: str | None
) -> dict[str, dict[str, int]]:
    """Counts per UTC day since `since`: matches by status, platform verdicts, moderator
    decisions and (unless limited to one platform) quarantines; keyed "match:confirmed", ..."""
    days: dict[str, dict[str, int]] = defaultdict(dict)

    def collect(prefix: str, stmt: AnySelect) -> None:
        for day, what, n in session.execute(stmt):
            days[str(day)][f"{prefix}:{what}" if what else prefix] = int(n)

    day = _day(session, MatchRecord.created_at)
    matches = select(day, MatchRecord.status, func.count()).where(MatchRecord.created_at >= since)
    if platform is not None:
        matches = matches.where(MatchRecord.platform == platform)
    collect("match", matches.group_by(day, MatchRecord.status))

    day = _day(session, Feedback.created_at)
    verdicts = (
        select(day, Feedback.verdict, func.count())
        .join(MatchRecord, MatchRecord.id == Feedback.match_id)
        .where(Feedback.created_at >= since)
    )
    if platform is not None:
        verdicts = verdicts.where(MatchRecord.platform == platform)
    collect("verdict", verdicts.group_by(day, Feedback.verdict))

    day = _day(session, MatchDecision.created_at)
    decisions = (
        select(day, MatchDecision.decision, func.count())
        .join(MatchRecord, MatchRecord.id == MatchDecision.match_id)
        .where(MatchDecision.created_at >= since)
    )
    if platform is not None:
        decisions = decisions.where(MatchRecord.platform == platform)
    collect("decision", decisions.group_by(day, MatchDecision.decision))

    if platform is None:
        day = _day(session, HashSuspension.created_at)
        quarantines = select(day, HashSuspension.kind, func.count()).where(
            HashSuspension.created_at >= since, HashSuspension.kind == SuspensionKind.QUARANTINE
        )
        collect("suspension", quarantines.group_by(day, HashSuspension.kind))
    return dict(days)
