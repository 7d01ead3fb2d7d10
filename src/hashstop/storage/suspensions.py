"""Queries on hash suspensions: who stopped a hash from matching, why, and how it ended.

A hash's `status` column is what matching, the index and the hash list read; the suspension rows
say why and keep the history. Changing a status is a conditional update (`active` to `suspended`
and back), so two workers that race to suspend one hash cannot both think they did it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from hashstop.storage.models import (
    Hash,
    HashStatus,
    HashSuspension,
    SuspensionKind,
    SuspensionOutcome,
    utcnow,
)


def open_quarantine_hash_ids() -> Select[int]:
    """The ids of hashes suspended by the quarantine and not yet reviewed."""
    return (
        select(HashSuspension.hash_id)
        .join(Hash, Hash.id == HashSuspension.hash_id)
        .where(
            HashSuspension.kind == SuspensionKind.QUARANTINE,
            HashSuspension.ended_at.is_(None),
            Hash.status == HashStatus.SUSPENDED,
        )
    )


class SuspensionRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def hash(self, hash_id: int, *, for_update: bool = False) -> Hash | None:
        stmt = select(Hash).where(Hash.id == hash_id)
        if for_update:
            stmt = stmt.with_for_update()
        return self.session.scalars(stmt).one_or_none()

    def set_status(self, hash_id: int, expected: HashStatus, new: HashStatus) -> bool:
        """Move the hash from `expected` to `new`; False if it was not in `expected`."""
        result = self.session.execute(
            update(Hash)
            .where(Hash.id == hash_id, Hash.status == expected)
            .values(status=new, updated_at=utcnow())
            .execution_options(synchronize_session="fetch")
        )
        return bool(getattr(result, "rowcount", 0))

    def open_for(self, hash_id: int) -> HashSuspension | None:
        return self.session.scalars(
            select(HashSuspension)
            .where(HashSuspension.hash_id == hash_id, HashSuspension.ended_at.is_(None))
            .order_by(HashSuspension.id.desc())
            .limit(1)
        ).one_or_none()

    def history(self, hash_id: int) -> list[HashSuspension]:
        return list(
            self.session.scalars(
                select(HashSuspension)
                .where(HashSuspension.hash_id == hash_id)
                .order_by(HashSuspension.id)
            )
        )

    def start(self, hash_id: int, kind: SuspensionKind, reason: str, actor: str) -> HashSuspension:
        row = HashSuspension(
            hash_id=hash_id, kind=kind, reason=reason, actor=actor, created_at=utcnow()
        )
        self.session.add(row)
        self.session.flush()
        return row

    def end(self, row: HashSuspension, *, by: str, reason: str, outcome: SuspensionOutcome) -> None:
        row.ended_at = utcnow()
        row.ended_by = by
        row.end_reason = reason
        row.outcome = outcome
        self.session.flush()

    def last_release(self, hash_id: int) -> datetime | None:
        """When a moderator last released this hash from the quarantine, if ever."""
        return self.session.scalar(
            select(HashSuspension.ended_at)
            .where(
                HashSuspension.hash_id == hash_id,
                HashSuspension.kind == SuspensionKind.QUARANTINE,
                HashSuspension.outcome == SuspensionOutcome.RESTORED,
            )
            .order_by(HashSuspension.ended_at.desc())
            .limit(1)
        )

    def suspended_page(
        self, *, kind: SuspensionKind | None, before: int | None, limit: int
    ) -> list[tuple[Hash, HashSuspension]]:
        """Suspended hashes with their open suspension, most recently suspended first.

        Paged by the suspension's id (`before`): stable while suspensions come and go.
        """
        stmt = (
            select(Hash, HashSuspension)
            .join(HashSuspension, HashSuspension.hash_id == Hash.id)
            .where(Hash.status == HashStatus.SUSPENDED, HashSuspension.ended_at.is_(None))
            .order_by(HashSuspension.id.desc())
            .limit(limit)
        )
        if kind is not None:
            stmt = stmt.where(HashSuspension.kind == kind)
        if before is not None:
            stmt = stmt.where(HashSuspension.id < before)
        return [(h, s) for h, s in self.session.execute(stmt)]
