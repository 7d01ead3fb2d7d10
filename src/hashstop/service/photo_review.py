"""Moderating a *photo*: every stored hash of it (its variants and exact hashes) in one action.

A victim's client stores one photo as many hashes (the PDQ of the photo, crops, mirror, turns,
local hashes, pHash, MD5, SHA-256). Suspending only the hash a match hit leaves an edited copy
matching through another variant (issue 12, attack 7), so suspending and restoring act on the
whole photo by default (API `/v1/review/photos/{photo}`, the match page on `/review`);
suspending one hash (`suspension.suspend_hash`) stays possible.

Suspending a photo suspends its active hashes (kind `moderator`, one change-log append) and
confirms any quarantine holding the others; restoring it restores every suspended hash, and is
refused whole while any of them lies within match distance of an allowlist entry. Both clear the
photo's review flag: a moderator has decided. Like single hashes, both act on every platform, so
only global moderators and admins may.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from hashstop.service.actors import Actor
from hashstop.service.errors import Conflict, NotFound
from hashstop.service.matchable import hold, publish
from hashstop.service.screening import AllowlistScreen, MatchDistances
from hashstop.service.suspension import check_reason, replace_quarantine, suspend_active
from hashstop.storage.audit import AuditLog
from hashstop.storage.flags import FlagRepository
from hashstop.storage.models import (
    ChangeKind,
    Hash,
    HashStatus,
    Photo,
    SuspensionKind,
    SuspensionOutcome,
)
from hashstop.storage.moderation_queries import HashState, hash_states
from hashstop.storage.suspensions import SuspensionRepository


@dataclass(frozen=True, slots=True)
class PhotoView:
    """A photo as a moderator sees it: its public id, whether it is flagged, every hash."""

    photo: str
    flagged: bool
    hashes: list[HashState]

    @property
    def status(self) -> str:
        """active (some hash matches), suspended (none does, some are suspended), withdrawn."""
        statuses = {h.status for h in self.hashes}
        if HashStatus.ACTIVE in statuses:
            return "active" if statuses == {HashStatus.ACTIVE} else "partly suspended"
        return "suspended" if HashStatus.SUSPENDED in statuses else "withdrawn"


def _photo(session: Session, public_id: str) -> Photo:
    photo = session.scalars(select(Photo).where(Photo.public_id == public_id)).one_or_none()
    if photo is None:
        raise NotFound(f"no photo {public_id!r}")
    return photo


def _hash_ids(session: Session, photo: Photo) -> list[int]:
    return list(session.scalars(select(Hash.id).where(Hash.photo_id == photo.id).order_by(Hash.id)))


def views_of(session: Session, photo_ids: set[int]) -> list[PhotoView]:
    """The photos `photo_ids` (internal ids), each with every hash's state."""
    if not photo_ids:
        return []
    ids = session.scalars(
        select(Hash.id).where(Hash.photo_id.in_(sorted(photo_ids))).order_by(Hash.id)
    )
    states = hash_states(session, ids)
    by_photo: dict[int, list[HashState]] = {}
    for state in states.values():
        by_photo.setdefault(state.photo_id or 0, []).append(state)
    return [
        PhotoView(
            hashes[0].photo or "",
            any(h.photo_flagged for h in hashes),
            sorted(hashes, key=lambda h: h.hash_id),
        )
        for _, hashes in sorted(by_photo.items())
    ]


def photo_view(session: Session, actor: Actor, public_id: str) -> PhotoView:
    actor.require_global("review a whole photo")
    photo = _photo(session, public_id)
    return views_of(session, {photo.id})[0]


def suspend_photo(
    session: Session, public_id: str, *, reason: str | None, actor: Actor
) -> PhotoView:
    """Stop every hash of a photo matching (and confirm any quarantine among them)."""
    actor.require_global("suspend a photo")
    text = check_reason(reason, "suspend a photo")
    hold(session)
    photo = _photo(session, public_id)
    ids = _hash_ids(session, photo)
    states = hash_states(session, ids)
    if all(s.status == HashStatus.WITHDRAWN for s in states.values()):
        raise Conflict(f"photo {public_id} was withdrawn by the victim: it no longer matches")
    active = [i for i, s in states.items() if s.status == HashStatus.ACTIVE]
    done = suspend_active(
        session,
        active,
        kind=SuspensionKind.MODERATOR,
        reason=text,
        actor=actor,
        details={"photo": public_id},
    )
    confirmed = [
        i
        for i, s in states.items()
        if s.status == HashStatus.SUSPENDED
        and replace_quarantine(session, i, kind=SuspensionKind.MODERATOR, reason=text, actor=actor)
    ]
    _clear_flag(session, photo, actor)
    AuditLog(session).record(
        str(actor),
        "photo.suspended",
        f"photo:{public_id}",
        reason=text,
        hashes_suspended=len(done),
        quarantines_confirmed=len(confirmed),
    )
    return views_of(session, {photo.id})[0]


def restore_photo(
    session: Session,
    public_id: str,
    *,
    reason: str | None,
    actor: Actor,
    distances: MatchDistances,
) -> PhotoView:
    """Let every suspended hash of a photo match again; refused whole near an allowlist entry."""
    actor.require_global("restore a photo")
    text = check_reason(reason, "restore a photo")
    hold(session)
    photo = _photo(session, public_id)
    rows = session.execute(
        select(Hash.id, Hash.algorithm, Hash.value).where(
            Hash.photo_id == photo.id, Hash.status == HashStatus.SUSPENDED
        )
    ).all()
    if not rows:
        raise Conflict(f"photo {public_id} has no suspended hash: nothing to restore")
    near = AllowlistScreen(session, distances).nearest(
        [(r.algorithm, r.value) for r in rows if r.value is not None]
    )
    entry = next((e for e in near if e is not None), None)
    if entry is not None:
        raise Conflict(
            f"photo {public_id} is within the match distance of allowlist entry {entry}; an "
            "admin must remove that entry before this photo may match again"
        )
    repo = SuspensionRepository(session)
    restored = []
    for r in rows:
        if not repo.set_status(r.id, HashStatus.SUSPENDED, HashStatus.ACTIVE):
            continue
        current = repo.open_for(r.id)
        if current is not None:
            repo.end(current, by=str(actor), reason=text, outcome=SuspensionOutcome.RESTORED)
        restored.append((r.id, r.algorithm))
    publish(session, ChangeKind.RESTORED, restored)
    _clear_flag(session, photo, actor)
    AuditLog(session).record(
        str(actor), "photo.restored", f"photo:{public_id}", reason=text, hashes=len(restored)
    )
    return views_of(session, {photo.id})[0]


def _clear_flag(session: Session, photo: Photo, actor: Actor) -> None:
    repo = FlagRepository(session)
    flag = repo.open_photo_flag(photo.id)
    if flag is not None:
        repo.clear(flag, str(actor))
