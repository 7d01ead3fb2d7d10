"""Request and response bodies of the moderation API (/v1/review, /v1/admin, /v1/audit).

Nothing here has a field for a case id, a case secret or a photo label: moderators see match
records, hashes (ids and values) and counts. Answers follow `schemas.py`'s convention: a
classmethod `of...` builds each from the service's result.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from hashstop.service.allowlist import AddedEntry, AddedPicture
from hashstop.service.audit import AuditItem, AuditPage
from hashstop.service.hash_review import HashView, SuspendedPage
from hashstop.service.keys import CreatedKey
from hashstop.service.match_review import (
    DayActivity,
    HistoryEntry,
    HitView,
    MatchView,
    QueueItem,
    QueuePage,
)
from hashstop.service.photo_review import PhotoView
from hashstop.service.review_flags import OpenFlags
from hashstop.storage.models import AllowlistEntry, ApiKey, HashSuspension
from hashstop.storage.moderation_queries import FeedbackCounts, HashState


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DecisionIn(_In):
    decision: Literal["confirmed", "false_positive", "dismissed", "pending"] = Field(
        description="pending reopens a judged record"
    )
    note: str | None = Field(default=None, max_length=500, description="why (kept, audited)")


class ReasonIn(_In):
    reason: str = Field(min_length=1, max_length=500, description="why (kept, audited)")


class KeyIn(_In):
    name: str = Field(min_length=1, max_length=64, description="unique: letters, digits, . _ -")
    role: str = Field(max_length=16, description="platform, moderator or admin")
    platform: str | None = Field(
        default=None,
        max_length=64,
        description="a platform key's platform (required), or a moderator key's scope",
    )


class KeyOut(BaseModel):
    name: str
    role: str
    platform: str | None = Field(description="a platform key's platform or a moderator's scope")
    created_at: datetime
    revoked_at: datetime | None

    @classmethod
    def of(cls, key: ApiKey) -> KeyOut:
        return cls(
            name=key.name,
            role=key.role,
            platform=key.platform or key.scope_platform,
            created_at=key.created_at,
            revoked_at=key.revoked_at,
        )


class KeyCreatedOut(KeyOut):
    key: str = Field(description="the key itself: shown once, store it now")

    @classmethod
    def of_created(cls, created: CreatedKey) -> KeyCreatedOut:
        return cls(**KeyOut.of(created.key).model_dump(), key=created.token)


class AllowlistIn(_In):
    algorithm: str = Field(max_length=16, description="pdq, phash, md5 or sha256")
    value: str = Field(max_length=128, description="hex")
    reason: str = Field(min_length=1, max_length=500, description="what the picture is")


class PictureHashIn(_In):
    algorithm: str = Field(max_length=16, description="pdq, phash, md5, sha256 or local")
    value: str = Field(max_length=128, description="hex")


class AllowlistPictureIn(_In):
    hashes: list[PictureHashIn] = Field(
        min_length=1,
        max_length=200,
        description="every hash derived from the picture, as `hashstop allowlist add --image "
        "PATH --print-hashes` computes them on the admin's machine (never the image)",
    )
    reason: str = Field(min_length=1, max_length=500, description="what the picture is")


class SuspensionOut(BaseModel):
    kind: str = Field(description="moderator, quarantine (pending review) or allowlist")
    reason: str
    actor: str
    created_at: datetime
    ended_at: datetime | None = None
    ended_by: str | None = None
    end_reason: str | None = None
    outcome: str | None = None

    @classmethod
    def of(cls, s: HashSuspension) -> SuspensionOut:
        return cls(
            kind=s.kind,
            reason=s.reason,
            actor=s.actor,
            created_at=s.created_at,
            ended_at=s.ended_at,
            ended_by=s.ended_by,
            end_reason=s.end_reason,
            outcome=s.outcome,
        )


class CountsOut(BaseModel):
    matches: int = Field(description="match records")
    platforms: int = Field(description="distinct platforms among them")
    statuses: dict[str, int] = Field(description="records by current status")
    verdicts: dict[str, int] = Field(description="records with such a platform verdict")
    actions: dict[str, int] = Field(description="records with such a platform action")

    @classmethod
    def of(cls, c: FeedbackCounts) -> CountsOut:
        return cls(
            matches=c.matches,
            platforms=c.platforms,
            statuses=c.statuses,
            verdicts=c.verdicts,
            actions=c.actions,
        )


class HashOut(BaseModel):
    hash_id: int
    algorithm: str
    status: str
    value: str | None = Field(description="hex; null once the victim withdrew it")
    quarantined: bool
    suspension: SuspensionOut | None = None

    @classmethod
    def of(cls, state: HashState) -> HashOut:
        s = state.suspension if state.status == "suspended" else None
        return cls(
            hash_id=state.hash_id,
            algorithm=state.algorithm,
            status=state.status,
            value=state.value.hex() if state.value is not None else None,
            quarantined=s is not None and s.kind == "quarantine",
            suspension=SuspensionOut.of(s) if s is not None else None,
        )


class ReviewHitOut(BaseModel):
    hash_id: int
    algorithm: str
    distance: int
    hash_status: str
    quarantined: bool
    photo: str | None = Field(default=None, description="the public id of the photo it belongs to")
    variant: str | None = Field(default=None, description="which variant of the photo it is")

    @classmethod
    def of(cls, h: HitView) -> ReviewHitOut:
        s = h.state
        return cls(
            hash_id=h.hash_id,
            algorithm=h.algorithm,
            distance=h.distance,
            hash_status=s.status if s is not None else "unknown",
            quarantined=h.quarantined,
            photo=s.photo if s is not None else None,
            variant=s.variant if s is not None else None,
        )


class QueueItemOut(BaseModel):
    match_id: str
    platform: str
    ref: str
    status: str
    decided_by: str | None
    created_at: datetime
    updated_at: datetime
    quarantined: bool = Field(description="hits a hash the quarantine holds (listed first)")
    flagged: bool = Field(
        default=False,
        description="hits a photo flagged for review (one platform alone judged its matches "
        "false positives; listed first, still matching)",
    )
    hits: list[ReviewHitOut]

    @classmethod
    def of(cls, item: QueueItem) -> QueueItemOut:
        r = item.record
        return cls(
            match_id=r.public_id,
            platform=r.platform,
            ref=r.ref,
            status=r.status,
            decided_by=r.decided_by,
            created_at=r.created_at,
            updated_at=r.updated_at,
            quarantined=item.quarantined,
            flagged=item.flagged,
            hits=[ReviewHitOut.of(h) for h in item.hits],
        )


class QueueOut(BaseModel):
    items: list[QueueItemOut]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null: end")

    @classmethod
    def of(cls, page: QueuePage) -> QueueOut:
        return cls(items=[QueueItemOut.of(i) for i in page.items], next_cursor=page.next_cursor)


class HistoryOut(BaseModel):
    kind: str = Field(description="matched, feedback (a platform's verdict) or decision")
    at: datetime
    actor: str = Field(description="the platform, or the name of the key that acted")
    role: str
    status: str = Field(description="the verdict or decision")
    action: str | None = None
    note: str | None = None
    applied: bool = Field(description="false: a moderator had decided, the status stayed")
    previous: str | None = None

    @classmethod
    def of(cls, e: HistoryEntry) -> HistoryOut:
        return cls(
            kind=e.kind,
            at=e.at,
            actor=e.actor,
            role=e.role,
            status=e.status,
            action=e.action,
            note=e.note,
            applied=e.applied,
            previous=e.previous,
        )


class MatchHitOut(BaseModel):
    hash_id: int
    algorithm: str
    distance: int
    hash: HashOut | None
    counts: CountsOut = Field(description="over every match record of this hash")
    case_counts: CountsOut = Field(description="over every match record of its case's hashes")


class PhotoHashOut(HashOut):
    variant: str | None = Field(description="which variant of the photo (original, crop5, ...)")

    @classmethod
    def of_state(cls, state: HashState) -> PhotoHashOut:
        return cls(**HashOut.of(state).model_dump(), variant=state.variant)


class PhotoOut(BaseModel):
    photo: str = Field(description="the photo's public id")
    status: str = Field(description="active, partly suspended, suspended or withdrawn")
    flagged: bool = Field(description="flagged for review (one platform's false positives)")
    hashes: list[PhotoHashOut] = Field(description="every stored hash of the photo")

    @classmethod
    def of(cls, view: PhotoView) -> PhotoOut:
        return cls(
            photo=view.photo,
            status=view.status,
            flagged=view.flagged,
            hashes=[PhotoHashOut.of_state(h) for h in view.hashes],
        )


class PlatformFlagOut(BaseModel):
    flag_id: int
    platform: str
    reason: str
    created_at: datetime


class PhotoFlagOut(BaseModel):
    flag_id: int
    reason: str
    created_at: datetime
    photo: PhotoOut


class FlagsOut(BaseModel):
    platforms: list[PlatformFlagOut] = Field(description="platforms whose false positives spiked")
    photos: list[PhotoFlagOut] = Field(description="photos one platform alone called false")

    @classmethod
    def of(cls, flags: OpenFlags) -> FlagsOut:
        return cls(
            platforms=[
                PlatformFlagOut(
                    flag_id=f.id,
                    platform=f.platform or "",
                    reason=f.reason,
                    created_at=f.created_at,
                )
                for f in flags.platforms
            ],
            photos=[
                PhotoFlagOut(
                    flag_id=f.id, reason=f.reason, created_at=f.created_at, photo=PhotoOut.of(v)
                )
                for f, v in flags.photos
            ],
        )


class ReviewMatchOut(QueueItemOut):
    matches: list[MatchHitOut]
    history: list[HistoryOut]
    photos: list[PhotoOut] = Field(
        default_factory=list,
        description="each photo the match hit, with every variant's state (suspend or restore "
        "a photo as a whole: /v1/review/photos/{photo})",
    )

    @classmethod
    def of_view(cls, view: MatchView) -> ReviewMatchOut:
        item = QueueItemOut.of(QueueItem(view.record, view.hits))
        return cls(
            **item.model_dump(),
            matches=[
                MatchHitOut(
                    hash_id=h.hash_id,
                    algorithm=h.algorithm,
                    distance=h.distance,
                    hash=HashOut.of(h.state) if h.state is not None else None,
                    counts=CountsOut.of(view.hash_counts.get(h.hash_id, FeedbackCounts())),
                    case_counts=CountsOut.of(view.case_counts.get(h.hash_id, FeedbackCounts())),
                )
                for h in view.hits
            ],
            history=[HistoryOut.of(e) for e in view.history],
            photos=[PhotoOut.of(p) for p in view.photos],
        )


class HashDetailOut(HashOut):
    history: list[SuspensionOut] = Field(description="every suspension of this hash, oldest first")
    counts: CountsOut
    case_counts: CountsOut

    @classmethod
    def of_view(cls, view: HashView) -> HashDetailOut:
        return cls(
            **HashOut.of(view.state).model_dump(),
            history=[SuspensionOut.of(s) for s in view.history],
            counts=CountsOut.of(view.counts),
            case_counts=CountsOut.of(view.case_counts),
        )


class HashListOut(BaseModel):
    items: list[HashOut]
    next_before: int | None = Field(description="pass as `before` for the next page; null: end")

    @classmethod
    def of(cls, page: SuspendedPage) -> HashListOut:
        return cls(items=[HashOut.of(s) for s in page.items], next_before=page.next_before)


class DayOut(BaseModel):
    day: str
    counts: dict[str, int] = Field(description="match:<status>, verdict:<v>, decision:<d>, ...")


class ActivityOut(BaseModel):
    days: list[DayOut]

    @classmethod
    def of(cls, days: Sequence[DayActivity]) -> ActivityOut:
        return cls(days=[DayOut(day=d.day.isoformat(), counts=d.counts) for d in days])


class AllowlistEntryOut(BaseModel):
    id: int
    algorithm: str
    value: str
    reason: str
    created_by: str
    created_at: datetime
    picture_id: int | None = Field(
        default=None, description="the allowlisted picture this entry was derived from"
    )

    @classmethod
    def of(cls, e: AllowlistEntry) -> AllowlistEntryOut:
        return cls(
            id=e.id,
            algorithm=e.algorithm,
            value=e.value.hex(),
            reason=e.reason,
            created_by=e.created_by,
            created_at=e.created_at,
            picture_id=e.picture_id,
        )


class AllowlistAddedOut(AllowlistEntryOut):
    suspended: list[int] = Field(description="ids of the stored hashes it suspended")

    @classmethod
    def of_added(cls, added: AddedEntry) -> AllowlistAddedOut:
        return cls(**AllowlistEntryOut.of(added.entry).model_dump(), suspended=added.suspended)


class AllowlistPictureOut(BaseModel):
    picture_id: int
    reason: str
    entries: int = Field(description="hashes of the picture added (those not listed already)")
    photos_suspended: int = Field(description="stored photos that now screen as allowlisted")
    suspended: list[int] = Field(description="ids of the stored hashes it suspended")

    @classmethod
    def of(cls, added: AddedPicture) -> AllowlistPictureOut:
        return cls(
            picture_id=added.picture.id,
            reason=added.picture.reason,
            entries=len(added.entries),
            photos_suspended=added.photos,
            suspended=added.suspended,
        )


class AuditEntryOut(BaseModel):
    id: int
    actor: str
    action: str
    target: str
    created_at: datetime
    details: dict[str, Any]

    @classmethod
    def of(cls, item: AuditItem) -> AuditEntryOut:
        e = item.entry
        return cls(
            id=e.id,
            actor=e.actor,
            action=e.action,
            target=e.target,
            created_at=e.created_at,
            details=item.details,
        )


class AuditOut(BaseModel):
    entries: list[AuditEntryOut]
    next_before: int | None = Field(description="pass as `before` for older entries; null: end")

    @classmethod
    def of(cls, page: AuditPage) -> AuditOut:
        return cls(entries=[AuditEntryOut.of(i) for i in page.items], next_before=page.next_before)
