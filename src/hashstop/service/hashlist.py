"""The hash list: the change log as a paged delta feed for platforms that keep a local copy.

An entry carries the hash's current value only while the hash is matchable; withdrawn and
suspended hashes appear with `value` None, which tells the platform to delete its copy. Erased
values therefore never travel again, not even to a platform that starts from seq 0.

A feed that does not group a victim's photos (issue 12, attack 5). The service's own index
follows the change log at once; the feed does not. It is published in *batches*: the entries
after the last batch become one when they mix at least `cases` cases and the oldest has waited
`min_seconds`, or once it has waited `max_seconds` whatever they mix, or when `cap` entries are
waiting. Within a batch the entries are shuffled (a keyed order) and numbered with the batch's
own seqs in that order, so `seq`, `next` and `after` work as before: a client that passes the
last `next` as `after` gets everything, once. A case's additions are therefore not consecutive
entries, and its withdrawal is not one block: it is spread through a batch that holds other
cases' changes. Each platform sees its own name for a photo (`Keyring.platform_photo_ref`), so
two platforms cannot join their copies by photo. What a mirroring platform still learns is in
docs/threat-model.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta

from sqlalchemy.orm import Session

from hashstop.service.errors import InvalidInput
from hashstop.service.matchable import hold
from hashstop.service.tokens import Keyring
from hashstop.storage.changelog import ChangeLog, ChangeState, HashlistBatches
from hashstop.storage.database import Database
from hashstop.storage.models import utcnow


@dataclass(frozen=True, slots=True)
class BatchPolicy:
    """When the waiting entries of the change log become a batch of the feed."""

    cases: int = 3
    min_seconds: float = 300.0
    max_seconds: float = 3600.0
    cap: int = 5000


@dataclass(frozen=True, slots=True)
class HashListPage:
    entries: list[ChangeState]
    next: int
    has_more: bool


def close_due_batch(database: Database, policy: BatchPolicy) -> bool:
    """Close a batch if one is due; True if one was closed. Runs in its own transaction under
    the change-log lock, so every entry it takes is committed and two workers cannot close
    overlapping batches."""
    with database.transaction(write=False) as session:
        if not _due(session, policy):
            return False
    with database.transaction() as session:
        hold(session)
        pending = HashlistBatches(session).pending(policy.cap)
        if not _is_due(pending.entries, pending.cases, pending.oldest, policy):
            return False
        HashlistBatches(session).close(pending.end, pending.cases)
        return True


def _due(session: Session, policy: BatchPolicy) -> bool:
    pending = HashlistBatches(session).pending(policy.cap)
    return _is_due(pending.entries, pending.cases, pending.oldest, policy)


def _is_due(entries: int, cases: int, oldest: object, policy: BatchPolicy) -> bool:
    if entries == 0 or oldest is None:
        return False
    if entries >= policy.cap:
        return True
    waited = utcnow() - oldest  # type: ignore[operator]
    if waited >= timedelta(seconds=policy.max_seconds):
        return True
    return cases >= policy.cases and waited >= timedelta(seconds=policy.min_seconds)


def hash_list_page(
    session: Session,
    after: int,
    limit: int,
    max_limit: int,
    keyring: Keyring,
    photo_ref: Callable[[str], str] | None = None,
) -> HashListPage:
    """Up to `limit` feed entries after feed position `after`, from closed batches only, each
    batch in its shuffled order; `photo_ref` renames photos for the caller."""
    if after < 0:
        raise InvalidInput("`after` is a seq from a previous page (0 to start), not negative")
    if not 1 <= limit <= max_limit:
        raise InvalidInput(f"`limit` is 1-{max_limit}, got {limit}")
    batches = HashlistBatches(session)
    entries: list[ChangeState] = []
    position = after
    has_more = False
    while True:
        bounds = batches.around(position)
        if bounds is None:
            break
        if len(entries) == limit:
            has_more = True
            break
        start, end, shuffle = bounds
        batch = ChangeLog(session).after(start, end - start)
        if shuffle:
            batch.sort(key=lambda e: keyring.feed_order(e.seq))
        for number, entry in enumerate(batch, start=start + 1):
            if number <= position:
                continue
            if len(entries) == limit:
                break
            renamed = photo_ref(entry.photo) if photo_ref is not None else entry.photo
            entries.append(replace(entry, seq=number, photo=renamed))
            position = number
    return HashListPage(entries=entries, next=position, has_more=has_more)
