"""What admins read of the audit log: who did what to which thing, and when, newest first.

Entries are written by the use cases themselves (`storage/audit.py`); they never hold secrets or
hash values. Only admins read them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from hashstop.service.actors import Actor
from hashstop.service.errors import InvalidInput
from hashstop.storage.audit import AuditLog
from hashstop.storage.models import AuditEntry

_ACTION = re.compile(r"[a-z_]{1,32}\.[a-z_]{1,32}")


@dataclass(frozen=True, slots=True)
class AuditItem:
    entry: AuditEntry

    @property
    def details(self) -> dict[str, Any]:
        if not self.entry.details:
            return {}
        parsed = json.loads(self.entry.details)
        return parsed if isinstance(parsed, dict) else {"value": parsed}


@dataclass(frozen=True, slots=True)
class AuditPage:
    items: list[AuditItem]
    next_before: int | None


def audit_page(
    session: Session,
    actor: Actor,
    *,
    before: int | None,
    limit: int = 100,
    action: str | None = None,
) -> AuditPage:
    """The audit log newest first (admins only)."""
    actor.require_admin("read the audit log")
    if not 1 <= limit <= 500:
        raise InvalidInput(f"`limit` is 1-500, got {limit}")
    if action is not None and not _ACTION.fullmatch(action):
        raise InvalidInput("`action` looks like hash.suspended or match.decided")
    rows = AuditLog(session).page(before=before, limit=limit + 1, action=action)
    items = [AuditItem(e) for e in rows[:limit]]
    return AuditPage(items, items[-1].entry.id if len(rows) > limit else None)
