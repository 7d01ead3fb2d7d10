"""The audit log: who did what to which thing, and when.

Callers pass identifiers (case ids, key names, hash ids, match ids) and counts; this module
refuses nothing by itself, so the service must never hand it a secret or a hash value.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hashstop.storage.models import AuditEntry, utcnow


class AuditLog:
    def __init__(self, session: Session) -> None:
        self.session = session

    def record(self, actor: str, action: str, target: str, /, **details: Any) -> AuditEntry:
        entry = AuditEntry(
            actor=actor,
            action=action,
            target=target,
            created_at=utcnow(),
            details=json.dumps(details, sort_keys=True, default=str) if details else None,
        )
        self.session.add(entry)
        return entry

    def page(
        self, *, before: int | None, limit: int, action: str | None = None
    ) -> list[AuditEntry]:
        """Entries newest first, older than the entry id `before` (all when None)."""
        stmt = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
        if before is not None:
            stmt = stmt.where(AuditEntry.id < before)
        if action is not None:
            stmt = stmt.where(AuditEntry.action == action)
        return list(self.session.scalars(stmt))

    def latest(self, limit: int = 100) -> list[AuditEntry]:
        return list(
            self.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit))
        )
