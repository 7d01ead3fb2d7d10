"""Queries on review sessions (the /review pages' signed-in browsers).

Only the keyed hash of a session token reaches this module. A session is live while it has not
expired and its API key has not been revoked: revoking a key ends its sessions at once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from hashstop.storage.models import ApiKey, ReviewSession, utcnow


class ReviewSessionRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, *, token_hash: bytes, api_key_id: int, expires_at: datetime) -> ReviewSession:
        row = ReviewSession(
            token_hash=token_hash, api_key_id=api_key_id, created_at=utcnow(), expires_at=expires_at
        )
        self.session.add(row)
        self.session.flush()
        return row

    def live(self, token_hash: bytes, now: datetime) -> tuple[ReviewSession, ApiKey] | None:
        row = self.session.execute(
            select(ReviewSession, ApiKey)
            .join(ApiKey, ApiKey.id == ReviewSession.api_key_id)
            .where(
                ReviewSession.token_hash == token_hash,
                ReviewSession.expires_at > now,
                ApiKey.revoked_at.is_(None),
            )
        ).one_or_none()
        return None if row is None else (row[0], row[1])

    def delete(self, token_hash: bytes) -> None:
        self.session.execute(delete(ReviewSession).where(ReviewSession.token_hash == token_hash))

    def delete_dead(self, now: datetime) -> None:
        """Forget sessions that expired or whose key was revoked."""
        revoked = select(ApiKey.id).where(ApiKey.revoked_at.is_not(None))
        self.session.execute(
            delete(ReviewSession).where(
                (ReviewSession.expires_at <= now) | ReviewSession.api_key_id.in_(revoked)
            )
        )
