"""The open review flags: photos one platform alone called false positives, and platforms
whose false-positive verdicts spiked (see `quarantine.py`). A moderator clears a flag once it is
dealt with; deciding a photo (suspend or restore, `photo_review.py`) clears its flag too."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from hashstop.service.actors import Actor
from hashstop.service.errors import NotFound
from hashstop.service.photo_review import PhotoView, views_of
from hashstop.service.suspension import check_reason
from hashstop.storage.audit import AuditLog
from hashstop.storage.flags import FlagRepository
from hashstop.storage.models import FlagKind, ReviewFlag


@dataclass(frozen=True, slots=True)
class OpenFlags:
    platforms: list[ReviewFlag]
    photos: list[tuple[ReviewFlag, PhotoView]]


def open_flags(session: Session, actor: Actor) -> OpenFlags:
    actor.require_global("see the review flags")
    repo = FlagRepository(session)
    photo_flags = repo.open_flags(FlagKind.PHOTO)
    views = {v.photo: v for v in views_of(session, {f.photo_id for f in photo_flags if f.photo_id})}
    photos = []
    for flag in photo_flags:
        view = next(
            (v for v in views.values() if any(h.photo_id == flag.photo_id for h in v.hashes)), None
        )
        if view is not None:
            photos.append((flag, view))
    return OpenFlags(repo.open_flags(FlagKind.PLATFORM), photos)


def clear_flag(session: Session, flag_id: int, *, reason: str | None, actor: Actor) -> None:
    actor.require_global("clear a review flag")
    text = check_reason(reason, "clear a review flag")
    repo = FlagRepository(session)
    flag = session.get(ReviewFlag, flag_id)
    if flag is None or flag.cleared_at is not None:
        raise NotFound(f"no open review flag {flag_id}")
    repo.clear(flag, str(actor))
    AuditLog(session).record(
        str(actor), "flag.cleared", f"flag:{flag_id}", kind=flag.kind, reason=text
    )
