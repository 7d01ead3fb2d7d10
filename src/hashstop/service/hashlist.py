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

Banks that are not republished (issue 17: a subscribed or imported bank's hashes are another
exchange's, shared under its terms) are left out: their entries are passed over (their numbers
are skipped, so `next` and `after` stay exact), except the `unpublished` entries written when
their republishing was turned off, which carry no value and tell a follower to delete its copy.
Turning republishing on writes `published` entries that carry the values again.
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
from hashstop.storage.models import ChangeKind, utcnow

# How many full pages' worth of entries one page may read, shown or passed over.
SCAN_PAGES = 10


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


def feed_entry(entry: ChangeState) -> ChangeState | None:
    """What the feed shows of a change-log entry: the entry itself when the hash is published;
    for a hash of a bank that is not republished (issue 17), only the entries that turned its
    republishing off, without a value (delete your copy), and nothing of any other."""
    if entry.published:
        return entry
    if entry.kind == ChangeKind.UNPUBLISHED:
        return replace(entry, value=None)
    return None


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
    # Entries passed over (a bank not republished) still cost a read: a page reads at most
    # this many, then ends early (`next` past what it read, `has_more`), however few it shows.
    budget = SCAN_PAGES * max_limit
    while True:
        bounds = batches.around(position)
        if bounds is None:
            break
        if len(entries) == limit or budget <= 0:
            has_more = True
            break
        start, end, shuffle = bounds
        batch = ChangeLog(session).after(start, end - start)
        if shuffle:
            batch.sort(key=lambda e: keyring.feed_order(e.seq))
        for number, entry in enumerate(batch, start=start + 1):
            if number <= position:
                continue
            if len(entries) == limit or budget <= 0:
                break
            budget -= 1
            position = number
            shown = feed_entry(entry)
            if shown is None:
                continue  # its number is passed over: `next` stays exact
            renamed = photo_ref(shown.photo) if photo_ref is not None else shown.photo
            entries.append(replace(shown, seq=number, photo=renamed))
    return HashListPage(entries=entries, next=position, has_more=has_more)
