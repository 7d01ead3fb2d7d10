"""Queries on match records, their hits, the platforms' feedback and the moderators' decisions.

Which status a verdict or a decision may set is the service's rule (`service/lifecycle.py`);
this module writes what it is told.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import distinct, func, insert, select
from sqlalchemy.orm import Session, selectinload

from hashstop.storage.models import (
    ApiKey,
    Case,
    DecidedBy,
    Feedback,
    Hash,
    HashStatus,
    MatchDecision,
    MatchHit,
    MatchRecord,
    MatchStatus,
    Photo,
    utcnow,
)

FRAME_VARIANT = "frame"
"""The variant of a video's frame hashes (a video is stored as one photo of its case)."""


@dataclass(frozen=True, slots=True)
class Hit:
    """A stored hash an upload came near. `photo` (the photo's public id) and `variant` say
    which picture and which edit of it; None when the database could not be asked."""

    hash_id: int
    algorithm: str
    distance: int
    photo: str | None = None
    variant: str | None = None
    bank: str | None = None  # the bank holding the hash (issue 17); None for a victim's case


@dataclass(frozen=True, slots=True)
class HitSource:
    """The photo (its public id, never the client's key) and the variant a hash stands for,
    and the bank that holds it when it came from a file or another exchange."""

    photo: str
    variant: str
    bank: str | None = None


def hit_sources(session: Session, hash_ids: Iterable[int], *, active: bool) -> dict[int, HitSource]:
    """Photo and variant of each hash among `hash_ids` (only the active ones if `active`)."""
    ids = sorted(set(hash_ids))
    if not ids:
        return {}
    stmt = (
        select(Hash.id, Photo.public_id, Hash.variant, Case.bank)
        .join(Photo, Photo.id == Hash.photo_id)
        .join(Case, Case.id == Hash.case_id)
        .where(Hash.id.in_(ids))
    )
    if active:
        stmt = stmt.where(Hash.status == HashStatus.ACTIVE)
    return {
        row.id: HitSource(row.public_id, row.variant, row.bank) for row in session.execute(stmt)
    }


@dataclass(frozen=True, slots=True)
class NewMatch:
    public_id: str
    ref: str
    hits: Sequence[Hit]


class MatchRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def still_matchable(self, hash_ids: Iterable[int]) -> dict[int, HitSource]:
        """The ids among `hash_ids` that are active in the database right now, each with the
        photo and variant it stands for (one query)."""
        return hit_sources(self.session, hash_ids, active=True)

    def active_frame_counts(self, photos: Iterable[str]) -> dict[str, int]:
        """For each photo (public id) among `photos` that is a video: how many of its frame
        hashes (PDQ, variant `frame`) are active right now (one grouped query). A photo
        without active frame hashes is absent."""
        wanted = sorted(set(photos))
        if not wanted:
            return {}
        stmt = (
            select(Photo.public_id, func.count(Hash.id))
            .join(Hash, Hash.photo_id == Photo.id)
            .where(
                Photo.public_id.in_(wanted),
                Hash.variant == FRAME_VARIANT,
                Hash.algorithm == "pdq",
                Hash.status == HashStatus.ACTIVE,
            )
            .group_by(Photo.public_id)
        )
        return {photo: int(count) for photo, count in self.session.execute(stmt)}

    def add_many(
        self,
        api_key_id: int,
        platform: str,
        matches: Sequence[NewMatch],
        *,
        now: datetime | None = None,
    ) -> None:
        """Store one record per matched item, with its hits (made `now`, default: now)."""
        if not matches:
            return
        now = now or utcnow()
        records = [
            MatchRecord(
                public_id=m.public_id,
                api_key_id=api_key_id,
                platform=platform,
                ref=m.ref,
                status=MatchStatus.PENDING,
                created_at=now,
                updated_at=now,
            )
            for m in matches
        ]
        self.session.add_all(records)
        self.session.flush()
        hit_rows = [
            {
                "match_id": record.id,
                "hash_id": h.hash_id,
                "algorithm": h.algorithm,
                "distance": h.distance,
                "created_at": now,
            }
            for record, m in zip(records, matches, strict=True)
            for h in m.hits
        ]
        self.session.execute(insert(MatchHit), hit_rows)

    def by_public_id(self, public_id: str) -> MatchRecord | None:
        return self.session.scalars(
            select(MatchRecord)
            .where(MatchRecord.public_id == public_id)
            .options(selectinload(MatchRecord.hits))
        ).one_or_none()

    def feedback_of(self, record: MatchRecord) -> list[Feedback]:
        return list(
            self.session.scalars(
                select(Feedback).where(Feedback.match_id == record.id).order_by(Feedback.id)
            )
        )

    def add_feedback(
        self,
        record: MatchRecord,
        *,
        verdict: str,
        action: str,
        api_key_id: int,
        applied: bool = True,
    ) -> Feedback:
        """Keep a platform's verdict; when `applied`, it also sets the record's status."""
        now = utcnow()
        feedback = Feedback(
            match_id=record.id,
            verdict=verdict,
            action=action,
            api_key_id=api_key_id,
            created_at=now,
            applied=applied,
        )
        self.session.add(feedback)
        if applied:
            record.status = verdict
            record.decided_by = DecidedBy.PLATFORM
            record.updated_at = now
        self.session.flush()
        return feedback

    def add_decision(
        self, record: MatchRecord, *, decision: str, api_key_id: int, note: str | None
    ) -> MatchDecision:
        """Keep a moderator's decision and set the record's status to it."""
        now = utcnow()
        row = MatchDecision(
            match_id=record.id,
            api_key_id=api_key_id,
            decision=decision,
            previous_status=record.status,
            note=note,
            created_at=now,
        )
        self.session.add(row)
        record.status = decision
        record.decided_by = None if decision == MatchStatus.PENDING else DecidedBy.MODERATOR
        record.updated_at = now
        self.session.flush()
        return row

    def feedback_with_keys(self, record: MatchRecord) -> list[tuple[Feedback, ApiKey]]:
        """The platforms' verdicts on `record` with the keys that gave them, oldest first."""
        rows = self.session.execute(
            select(Feedback, ApiKey)
            .join(ApiKey, ApiKey.id == Feedback.api_key_id)
            .where(Feedback.match_id == record.id)
            .order_by(Feedback.id)
        )
        return [(f, k) for f, k in rows]

    def decisions_of(self, record: MatchRecord) -> list[tuple[MatchDecision, ApiKey]]:
        """The moderators' decisions on `record` with their keys, oldest first."""
        rows = self.session.execute(
            select(MatchDecision, ApiKey)
            .join(ApiKey, ApiKey.id == MatchDecision.api_key_id)
            .where(MatchDecision.match_id == record.id)
            .order_by(MatchDecision.id)
        )
        return [(d, k) for d, k in rows]


def recent_hit_counts(
    session: Session, hash_ids: Iterable[int], since: datetime
) -> dict[int, tuple[int, int]]:
    """(match records, distinct platforms) per hash among records created since `since`.

    Reads one range of the (hash_id, created_at) index per hash, so the cost follows a hash's
    recent matches, not its whole history.
    """
    ids = sorted(set(hash_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(
            MatchHit.hash_id,
            func.count(distinct(MatchHit.match_id)),
            func.count(distinct(MatchRecord.platform)),
        )
        .join(MatchRecord, MatchRecord.id == MatchHit.match_id)
        .where(MatchHit.hash_id.in_(ids), MatchHit.created_at >= since)
        .group_by(MatchHit.hash_id)
    )
    return {hash_id: (records, platforms) for hash_id, records, platforms in rows}


@dataclass(frozen=True, slots=True)
class FalsePositives:
    """The match records of one hash that stand as false positives: how many distinct uploads
    (platform and ref) and how many distinct platforms they come from."""

    uploads: int
    platforms: int


def false_positive_counts(
    session: Session, hash_ids: Iterable[int], since: datetime | None = None
) -> dict[int, FalsePositives]:
    """The false positives among the match records hitting each hash (judged since `since`):
    one platform repeating one upload counts once."""
    ids = sorted(set(hash_ids))
    if not ids:
        return {}
    stmt = (
        select(MatchHit.hash_id, MatchRecord.platform, MatchRecord.ref)
        .join(MatchRecord, MatchRecord.id == MatchHit.match_id)
        .where(MatchHit.hash_id.in_(ids), MatchRecord.status == MatchStatus.FALSE_POSITIVE)
        .distinct()
    )
    if since is not None:
        stmt = stmt.where(MatchRecord.updated_at >= since)
    uploads: dict[int, set[tuple[str, str]]] = {}
    for hash_id, platform, ref in session.execute(stmt):
        uploads.setdefault(hash_id, set()).add((platform, ref))
    return {
        hash_id: FalsePositives(len(seen), len({p for p, _ in seen}))
        for hash_id, seen in uploads.items()
    }
