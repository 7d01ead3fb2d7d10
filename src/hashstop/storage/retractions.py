"""Withdrawn values kept for a bounded time, and the reads of the value-keyed feed (issue 17).

The StopNCII-shaped feed keys each record by the hash *value* (that is what pytx's client and
HMA key their copies by), not by our hash id. To tell a follower which value to delete after a
withdrawal erased `hashes.value`, the value is copied into `retractions` in the withdrawal's own
transaction and deleted once older than the retention (`HASHSTOP_RETRACTION_DAYS`). Only the
algorithms that feed carries are kept.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, insert, literal, select
from sqlalchemy.orm import Session

from hashstop.storage.changelog import published_expression
from hashstop.storage.models import Case, ChangeKind, Hash, HashChange, Retraction


def retain_withdrawn(
    session: Session, case_id: int, algorithms: Collection[str], now: datetime
) -> int:
    """Copy the case's current values of `algorithms` into `retractions`; call it just before
    the values are erased. Returns how many were kept."""
    if not algorithms:
        return 0
    source = select(Hash.id, Hash.algorithm, Hash.value, literal(now, Retraction.withdrawn_at.type))
    source = source.where(
        Hash.case_id == case_id,
        Hash.value.is_not(None),
        Hash.algorithm.in_(sorted(algorithms)),
    )
    result = session.execute(
        insert(Retraction).from_select(["hash_id", "algorithm", "value", "withdrawn_at"], source)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def purge_retractions(session: Session, before: datetime) -> int:
    """Delete the kept values withdrawn before `before`; returns how many."""
    result = session.execute(
        delete(Retraction)
        .where(Retraction.withdrawn_at < before)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def first_seq_since(session: Session, when: datetime) -> int | None:
    """The first change-log seq written at or after `when`, or None."""
    return session.scalar(select(func.min(HashChange.seq)).where(HashChange.created_at >= when))


@dataclass(frozen=True, slots=True)
class FeedRow:
    """A change-log entry of the value-keyed feed with its hash's state now."""

    seq: int
    changed_at: datetime
    hash_id: int
    algorithm: str
    status: str
    value: bytes | None  # the hash's stored value (active and suspended hashes)
    retained: bytes | None  # the kept value of a withdrawn hash, while kept
    added_at: datetime
    kind: str = "added"  # what the entry records (`ChangeKind`)
    published: bool = True  # a victim's hash, or a republished bank's (issue 17)


def feed_rows(
    session: Session, from_seq: int, limit: int, algorithms: Collection[str]
) -> list[FeedRow]:
    """Up to `limit` entries with seq >= `from_seq` of hashes of `algorithms`, in seq order."""
    stmt = (
        select(
            HashChange.seq,
            HashChange.created_at,
            HashChange.hash_id,
            HashChange.algorithm,
            Hash.status,
            Hash.value,
            Retraction.value.label("retained"),
            Hash.created_at.label("added_at"),
            HashChange.kind,
            published_expression().label("published"),
        )
        .join(Hash, Hash.id == HashChange.hash_id)
        .join(Case, Case.id == Hash.case_id)
        .outerjoin(Retraction, Retraction.hash_id == HashChange.hash_id)
        .where(HashChange.seq >= from_seq, HashChange.algorithm.in_(sorted(algorithms)))
        .order_by(HashChange.seq)
        .limit(limit)
    )
    return [
        FeedRow(
            seq=r.seq,
            changed_at=r.created_at,
            hash_id=r.hash_id,
            algorithm=r.algorithm,
            status=r.status,
            value=r.value,
            retained=r.retained,
            added_at=r.added_at,
            kind=r.kind,
            published=bool(r.published),
        )
        for r in session.execute(stmt)
    ]


def withdrawals_between(
    session: Session, start: datetime, end: datetime, added_before: datetime
) -> bool:
    """Whether a hash added before `added_before` was withdrawn in [start, end)."""
    stmt = (
        select(HashChange.seq)
        .join(Hash, Hash.id == HashChange.hash_id)
        .where(
            HashChange.kind == str(ChangeKind.WITHDRAWN),
            HashChange.created_at >= start,
            HashChange.created_at < end,
            Hash.created_at < added_before,
        )
        .limit(1)
    )
    return session.scalar(stmt) is not None
