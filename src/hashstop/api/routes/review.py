"""Moderator endpoints: the review queue, decisions, hash suspension (moderator or admin keys)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query

from hashstop.api.deps import DistancesDep, Moderator, SessionDep
from hashstop.api.review_schemas import (
    ActivityOut,
    DecisionIn,
    FlagsOut,
    HashDetailOut,
    HashListOut,
    HashOut,
    PhotoOut,
    QueueOut,
    ReasonIn,
    ReviewMatchOut,
)
from hashstop.service.hash_review import hash_view, suspended_hashes
from hashstop.service.lifecycle import decide
from hashstop.service.match_review import activity, describe, match_view, queue
from hashstop.service.photo_review import photo_view, restore_photo, suspend_photo
from hashstop.service.review_flags import clear_flag, open_flags
from hashstop.service.suspension import restore_hash, suspend_hash
from hashstop.storage.moderation_queries import hash_states

router = APIRouter(prefix="/v1/review", tags=["moderator"])
MAX_ID = 2**62
HashId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.get("/queue", response_model=QueueOut)
def review_queue(
    actor: Moderator,
    session: SessionDep,
    status: Annotated[
        str, Query(description="pending (default), confirmed, false_positive, dismissed or all")
    ] = "pending",
    platform: Annotated[str | None, Query(max_length=64)] = None,
    algorithm: Annotated[str | None, Query(max_length=16)] = None,
    since: Annotated[datetime | None, Query(description="created at or after (UTC)")] = None,
    until: Annotated[datetime | None, Query(description="created before (UTC)")] = None,
    hash_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    cursor: Annotated[str | None, Query(max_length=24)] = None,
    limit: Annotated[int, Query(description="1-200")] = 50,
) -> QueueOut:
    """Match records to review: those hitting quarantined hashes first, then newest first."""
    page = queue(
        session,
        actor,
        status=status,
        platform=platform,
        algorithm=algorithm,
        since=since,
        until=until,
        hash_id=hash_id,
        cursor=cursor,
        limit=limit,
    )
    return QueueOut.of(page)


@router.get("/matches/{match_id}", response_model=ReviewMatchOut)
def review_match(match_id: str, actor: Moderator, session: SessionDep) -> ReviewMatchOut:
    """One match record with its hashes, its history and feedback counts."""
    return ReviewMatchOut.of_view(match_view(session, actor, match_id))


@router.post("/matches/{match_id}", response_model=ReviewMatchOut)
def decide_match(
    match_id: str, body: DecisionIn, actor: Moderator, session: SessionDep
) -> ReviewMatchOut:
    """Decide a match record: confirmed, false_positive, dismissed, or pending to reopen it."""
    record = decide(session, actor, match_id, body.decision, body.note)
    return ReviewMatchOut.of_view(describe(session, record))


@router.get("/hashes", response_model=HashListOut)
def review_hashes(
    actor: Moderator,
    session: SessionDep,
    status: Annotated[str, Query(description="suspended")] = "suspended",
    kind: Annotated[
        str | None, Query(description="moderator, quarantine or allowlist", max_length=16)
    ] = None,
    before: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    limit: Annotated[int, Query(description="1-200")] = 50,
) -> HashListOut:
    """Suspended hashes, most recently suspended first (global moderators and admins)."""
    page = suspended_hashes(session, actor, status=status, kind=kind, before=before, limit=limit)
    return HashListOut.of(page)


@router.get("/hashes/{hash_id}", response_model=HashDetailOut)
def review_hash(hash_id: HashId, actor: Moderator, session: SessionDep) -> HashDetailOut:
    """One hash: its status, every suspension and the feedback counts."""
    return HashDetailOut.of_view(hash_view(session, actor, hash_id))


def _hash_out(session: SessionDep, hash_id: int) -> HashOut:
    return HashOut.of(hash_states(session, [hash_id])[hash_id])


@router.post("/hashes/{hash_id}/suspend", response_model=HashOut)
def suspend(
    hash_id: HashId,
    body: ReasonIn,
    actor: Moderator,
    session: SessionDep,
) -> HashOut:
    """Stop a hash matching everywhere (or confirm its quarantine); a reason is required."""
    suspend_hash(session, hash_id, reason=body.reason, actor=actor)
    return _hash_out(session, hash_id)


@router.post("/hashes/{hash_id}/restore", response_model=HashOut)
def restore(
    hash_id: HashId,
    body: ReasonIn,
    actor: Moderator,
    session: SessionDep,
    distances: DistancesDep,
) -> HashOut:
    """Let a suspended hash match again (release a quarantine); a reason is required."""
    restore_hash(session, hash_id, reason=body.reason, actor=actor, distances=distances)
    return _hash_out(session, hash_id)


PhotoRef = Annotated[str, Path(min_length=1, max_length=24)]


@router.get("/photos/{photo}", response_model=PhotoOut)
def review_photo(photo: PhotoRef, actor: Moderator, session: SessionDep) -> PhotoOut:
    """One photo: every stored hash of it (variants, exact hashes) with its state."""
    return PhotoOut.of(photo_view(session, actor, photo))


@router.post("/photos/{photo}/suspend", response_model=PhotoOut)
def suspend_a_photo(
    photo: PhotoRef, body: ReasonIn, actor: Moderator, session: SessionDep
) -> PhotoOut:
    """Stop every hash of a photo matching everywhere, in one action; a reason is required."""
    return PhotoOut.of(suspend_photo(session, photo, reason=body.reason, actor=actor))


@router.post("/photos/{photo}/restore", response_model=PhotoOut)
def restore_a_photo(
    photo: PhotoRef,
    body: ReasonIn,
    actor: Moderator,
    session: SessionDep,
    distances: DistancesDep,
) -> PhotoOut:
    """Let every suspended hash of a photo match again; refused near an allowlist entry."""
    view = restore_photo(session, photo, reason=body.reason, actor=actor, distances=distances)
    return PhotoOut.of(view)


@router.get("/flags", response_model=FlagsOut)
def review_flags(actor: Moderator, session: SessionDep) -> FlagsOut:
    """Open flags: photos one platform alone judged false positives (still matching, first in
    the queue) and platforms whose false-positive verdicts spiked."""
    return FlagsOut.of(open_flags(session, actor))


@router.post("/flags/{flag_id}/clear", status_code=204)
def clear_review_flag(
    flag_id: HashId, body: ReasonIn, actor: Moderator, session: SessionDep
) -> None:
    """Clear a flag once dealt with; a reason is required."""
    clear_flag(session, flag_id, reason=body.reason, actor=actor)


@router.get("/activity", response_model=ActivityOut)
def review_activity(
    actor: Moderator,
    session: SessionDep,
    days: Annotated[int, Query(description="1-366")] = 14,
) -> ActivityOut:
    """Per UTC day: matches by status, platform verdicts, decisions and quarantines."""
    return ActivityOut.of(activity(session, actor, days))
