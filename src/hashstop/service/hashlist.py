"""The hash list: the change log as a paged delta feed for platforms that keep a local copy.

An entry carries the hash's current value only while the hash is matchable; withdrawn and
suspended hashes appear with `value` None, which tells the platform to delete its copy. Erased
values therefore never travel again, not even to a platform that starts from seq 0.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from hashstop.service.errors import InvalidInput
from hashstop.storage.changelog import ChangeLog, ChangeState


@dataclass(frozen=True, slots=True)
class HashListPage:
    entries: list[ChangeState]
    next: int
    has_more: bool


def hash_list_page(session: Session, after: int, limit: int, max_limit: int) -> HashListPage:
    if after < 0:
        raise InvalidInput("`after` is a seq from a previous page (0 to start), not negative")
    if not 1 <= limit <= max_limit:
        raise InvalidInput(f"`limit` is 1-{max_limit}, got {limit}")
    rows = ChangeLog(session).after(after, limit + 1)
    entries = rows[:limit]
    return HashListPage(
        entries=entries,
        next=entries[-1].seq if entries else after,
        has_more=len(rows) > limit,
    )
