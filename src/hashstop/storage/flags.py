"""Review flags: a photo or a platform that a moderator should look at (issue 12).

A flag never changes what matches; it only orders the review queue and lists the platform on
the review pages. At most one flag per photo or platform is open at a time.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from hashstop.storage.models import Feedback, FlagKind, Hash, MatchRecord, ReviewFlag, utcnow


class FlagRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def open_photo_flag(self, photo_id: int) -> ReviewFlag | None:
        return self.session.scalars(
            select(ReviewFlag).where(
                ReviewFlag.kind == FlagKind.PHOTO,
                ReviewFlag.photo_id == photo_id,
                ReviewFlag.cleared_at.is_(None),
            )
        ).first()

    def open_platform_flag(self, platform: str) -> ReviewFlag | None:
        return self.session.scalars(
            select(ReviewFlag).where(
                ReviewFlag.kind == FlagKind.PLATFORM,
                ReviewFlag.platform == platform,
                ReviewFlag.cleared_at.is_(None),
            )
        ).first()

    def add(
        self,
        kind: FlagKind,
        reason: str,
        *,
        photo_id: int | None = None,
        platform: str | None = None,
    ) -> ReviewFlag:
        flag = ReviewFlag(
            kind=kind, photo_id=photo_id, platform=platform, reason=reason, created_at=utcnow()
        )
        self.session.add(flag)
        self.session.flush()
        return flag

    def clear(self, flag: ReviewFlag, by: str) -> None:
        flag.cleared_at = utcnow()
        flag.cleared_by = by
        self.session.flush()

    def open_flags(self, kind: FlagKind) -> list[ReviewFlag]:
        return list(
            self.session.scalars(
                select(ReviewFlag)
                .where(ReviewFlag.kind == kind, ReviewFlag.cleared_at.is_(None))
                .order_by(ReviewFlag.id.desc())
            )
        )

    def photo_ids_flagged(self, photo_ids: set[int]) -> set[int]:
        if not photo_ids:
            return set()
        return set(
            self.session.scalars(
                select(ReviewFlag.photo_id).where(
                    ReviewFlag.kind == FlagKind.PHOTO,
                    ReviewFlag.photo_id.in_(sorted(photo_ids)),
                    ReviewFlag.cleared_at.is_(None),
                )
            )
        )


def flagged_photo_hash_ids() -> Select[int]:
    """The ids of the hashes of photos with an open flag (a subquery for the review queue)."""
    return (
        select(Hash.id)
        .join(ReviewFlag, ReviewFlag.photo_id == Hash.photo_id)
        .where(ReviewFlag.kind == FlagKind.PHOTO, ReviewFlag.cleared_at.is_(None))
    )


def platform_false_positives_since(session: Session, platform: str, since: datetime) -> int:
    """How many distinct match records of `platform` it called false positives since `since`."""
    from sqlalchemy import distinct, func

    return int(
        session.scalar(
            select(func.count(distinct(Feedback.match_id)))
            .join(MatchRecord, MatchRecord.id == Feedback.match_id)
            .where(
                MatchRecord.platform == platform,
                Feedback.verdict == "false_positive",
                Feedback.created_at >= since,
            )
        )
        or 0
    )
