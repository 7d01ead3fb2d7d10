"""Queries on API keys. Tokens never reach this module, only their keyed hashes."""

from __future__ import annotations

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from hashstop.storage.changelog import KEYS_NOTICE, NOTIFY_CHANNEL
from hashstop.storage.models import ApiKey, utcnow


class ApiKeyRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(
        self,
        *,
        name: str,
        role: str,
        token_hash: bytes,
        platform: str | None,
        scope_platform: str | None,
    ) -> ApiKey:
        key = ApiKey(
            name=name,
            role=role,
            token_hash=token_hash,
            platform=platform,
            scope_platform=scope_platform,
            created_at=utcnow(),
        )
        self.session.add(key)
        self.session.flush()
        return key

    def announce_revocation(self) -> None:
        """On PostgreSQL, tell every listening worker at commit that a key was revoked."""
        if self.session.get_bind().dialect.name == "postgresql":
            self.session.execute(
                text("SELECT pg_notify(:channel, :payload)"),
                {"channel": NOTIFY_CHANNEL, "payload": KEYS_NOTICE},
            )

    def by_token_hash(self, token_hash: bytes) -> ApiKey | None:
        return self.session.scalars(
            select(ApiKey).where(ApiKey.token_hash == token_hash)
        ).one_or_none()

    def by_name(self, name: str) -> ApiKey | None:
        return self.session.scalars(select(ApiKey).where(ApiKey.name == name)).one_or_none()

    def all(self) -> list[ApiKey]:
        return list(self.session.scalars(select(ApiKey).order_by(ApiKey.created_at, ApiKey.id)))
