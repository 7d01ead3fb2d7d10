"""What moderators read about hashes: the suspended list, and one hash with its history.

Hashes are shared by every platform, so these views are for global moderators and admins only
(a scoped moderator gets 403). A hash view carries its value in hex (moderators compare it with
what they see) but nothing about its case beyond counts.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from hashstop.service.actors import Actor
from hashstop.service.errors import InvalidInput, NotFound
from hashstop.service.match_review import MAX_PAGE
from hashstop.storage.models import HashSuspension, SuspensionKind
from hashstop.storage.moderation_queries import (
    FeedbackCounts,
    HashState,
    feedback_counts_by_case,
    feedback_counts_by_hash,
    hash_states,
)
from hashstop.storage.suspensions import SuspensionRepository


@dataclass(frozen=True, slots=True)
class HashView:
    state: HashState
    history: list[HashSuspension]
    counts: FeedbackCounts
    case_counts: FeedbackCounts


@dataclass(frozen=True, slots=True)
class SuspendedPage:
    items: list[HashState]
    next_before: int | None


def suspended_hashes(
    session: Session,
    actor: Actor,
    *,
    status: str = "suspended",
    kind: str | None = None,
    before: int | None = None,
    limit: int = 50,
) -> SuspendedPage:
    """Suspended hashes, most recently suspended first; `kind` narrows to one cause."""
    actor.require_global("list hashes")
    if status != "suspended":
        raise InvalidInput("status is `suspended` (the only list of hashes moderators need)")
    try:
        kind_value = SuspensionKind(kind) if kind else None
    except ValueError:
        raise InvalidInput(
            f"kind is one of {', '.join(k.value for k in SuspensionKind)}; got {kind!r}"
        ) from None
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"`limit` is 1-{MAX_PAGE}, got {limit}")
    rows = SuspensionRepository(session).suspended_page(
        kind=kind_value, before=before, limit=limit + 1
    )
    items = [
        HashState(h.id, h.algorithm, h.status, h.value, suspension)
        for h, suspension in rows[:limit]
    ]
    next_before = rows[limit - 1][1].id if len(rows) > limit else None
    return SuspendedPage(items, next_before)


def hash_view(session: Session, actor: Actor, hash_id: int) -> HashView:
    actor.require_global("look at hashes")
    state = hash_states(session, [hash_id]).get(hash_id)
    if state is None:
        raise NotFound(f"no hash {hash_id}")
    return HashView(
        state=state,
        history=SuspensionRepository(session).history(hash_id),
        counts=feedback_counts_by_hash(session, [hash_id])[hash_id],
        case_counts=feedback_counts_by_case(session, [hash_id]).get(hash_id, FeedbackCounts()),
    )
