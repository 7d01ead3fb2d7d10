"""Queries on match records, their hits and the platforms' feedback."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, selectinload

from hashstop.storage.models import (
    Feedback,
    Hash,
    HashStatus,
    MatchHit,
    MatchRecord,
    MatchStatus,
    utcnow,
)


@dataclass(frozen=True, slots=True)
class Hit:
    hash_id: int
    algorithm: str
    distance: int


@dataclass(frozen=True, slots=True)
class NewMatch:
    public_id: str
    ref: str
    hits: Sequence[Hit]


class MatchRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def still_matchable(self, hash_ids: Iterable[int]) -> set[int]:
        """The ids among `hash_ids` that are active in the database right now."""
        ids = sorted(set(hash_ids))
        if not ids:
            return set()
        rows = self.session.scalars(
            select(Hash.id).where(Hash.id.in_(ids), Hash.status == HashStatus.ACTIVE)
        )
        return set(rows)

    def add_many(self, api_key_id: int, platform: str, matches: Sequence[NewMatch]) -> None:
        """Store one record per matched item, with its hits."""
        if not matches:
            return
        now = utcnow()
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
        self, record: MatchRecord, *, verdict: str, action: str, api_key_id: int
    ) -> Feedback:
        now = utcnow()
        feedback = Feedback(
            match_id=record.id,
            verdict=verdict,
            action=action,
            api_key_id=api_key_id,
            created_at=now,
        )
        self.session.add(feedback)
        record.status = verdict
        record.updated_at = now
        self.session.flush()
        return feedback
