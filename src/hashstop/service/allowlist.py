"""The allowlist of known benign hashes, managed by admins (API and `hashstop allowlist`).

Adding an entry does two things in one transaction: new submissions within match distance are
refused from then on (see `screening.py`), and every stored hash already within that distance is
suspended (kind `allowlist`, audited with the entry's reason; a hash the quarantine holds has
its quarantine ended in favour of the allowlist). The scan reads the matchable hashes of the
entry's algorithm in chunks, under the change-log lock, so it also sees hashes that a concurrent
submission committed just before; on a million PDQ hashes it is a one-off of a few seconds.

Removing an entry does not restore what it suspended: letting a hash match again is a decision
for a moderator (`/review`), who sees why it was suspended.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlalchemy.orm import Session

from hashstop.hashing import HashFormatError, parse_hash
from hashstop.service.actors import Actor
from hashstop.service.errors import Conflict, InvalidInput, NotFound
from hashstop.service.index import HAMMING_BITS
from hashstop.service.matchable import hold
from hashstop.service.screening import MatchDistances, hamming_distances
from hashstop.service.suspension import check_reason, replace_quarantine, suspend_active
from hashstop.storage.allowlist import AllowlistRepository, hashes_in_chunks, hashes_with_value
from hashstop.storage.audit import AuditLog
from hashstop.storage.changelog import matchable_hashes_packed
from hashstop.storage.models import AllowlistEntry, HashStatus, SuspensionKind


@dataclass(frozen=True, slots=True)
class AddedEntry:
    entry: AllowlistEntry
    suspended: list[int]  # ids of the stored hashes it suspended (or took over from quarantine)


def near_stored_hashes(
    session: Session, algorithm: str, value: bytes, distance: int, statuses: tuple[HashStatus, ...]
) -> list[int]:
    """Ids of the stored hashes in `statuses` within `distance` of `value`."""
    if algorithm not in HAMMING_BITS:
        return hashes_with_value(session, algorithm, value, statuses)
    width = HAMMING_BITS[algorithm] // 8
    near: list[int] = []
    if statuses == (HashStatus.ACTIVE,) and session.get_bind().dialect.name == "postgresql":
        # The bulk-load path of the index: each chunk arrives as one array and one bytea.
        for chunk_ids, packed in matchable_hashes_packed(session, algorithm, width):
            codes = np.frombuffer(packed, dtype=np.uint8).reshape(-1, width)
            close = np.flatnonzero(hamming_distances(codes, value) <= distance)
            near.extend(chunk_ids[int(i)] for i in close)
        return near
    for ids, values in hashes_in_chunks(session, algorithm, statuses):
        keep = [(i, v) for i, v in zip(ids, values, strict=True) if len(v) == width]
        if not keep:
            continue
        codes = np.frombuffer(b"".join(v for _, v in keep), dtype=np.uint8).reshape(-1, width)
        close = np.flatnonzero(hamming_distances(codes, value) <= distance)
        near.extend(keep[int(i)][0] for i in close)
    return near


def add_entry(
    session: Session,
    *,
    algorithm: str,
    value: str,
    reason: str | None,
    actor: Actor,
    distances: MatchDistances,
) -> AddedEntry:
    """Add a benign hash and suspend the stored hashes within match distance of it."""
    actor.require_admin("manage the allowlist")
    text = check_reason(reason, "add an allowlist entry")
    try:
        parsed = parse_hash(algorithm, value)
    except HashFormatError as exc:
        raise InvalidInput(str(exc)) from None
    repo = AllowlistRepository(session)
    hold(session)
    existing = repo.by_value(parsed.algorithm, parsed.data)
    if existing is not None:
        raise Conflict(f"this hash is already allowlisted (entry {existing.id})")
    entry = repo.add(
        algorithm=parsed.algorithm, value=parsed.data, reason=text, created_by=str(actor)
    )
    distance = distances.of(parsed.algorithm)
    why = f"allowlist entry {entry.id}: {text}"
    active = near_stored_hashes(
        session, parsed.algorithm, parsed.data, distance, (HashStatus.ACTIVE,)
    )
    suspended = suspend_active(
        session,
        active,
        kind=SuspensionKind.ALLOWLIST,
        reason=why,
        actor=actor,
        details={"allowlist_entry": entry.id},
    )
    taken = []
    for hash_id in near_stored_hashes(
        session, parsed.algorithm, parsed.data, distance, (HashStatus.SUSPENDED,)
    ):
        if replace_quarantine(
            session, hash_id, kind=SuspensionKind.ALLOWLIST, reason=why, actor=actor
        ):
            taken.append(hash_id)
    ids = sorted({s.hash_id for s in suspended} | set(taken))
    AuditLog(session).record(
        str(actor),
        "allowlist.added",
        f"allowlist:{entry.id}",
        algorithm=parsed.algorithm,
        reason=text,
        distance=distance,
        hashes_suspended=len(ids),
    )
    return AddedEntry(entry, ids)


def list_entries(session: Session, actor: Actor) -> list[AllowlistEntry]:
    actor.require_admin("see the allowlist")
    return AllowlistRepository(session).all()


def remove_entry(session: Session, entry_id: int, *, reason: str | None, actor: Actor) -> None:
    """Remove an entry; the hashes it suspended stay suspended until a moderator restores them."""
    actor.require_admin("manage the allowlist")
    text = check_reason(reason, "remove an allowlist entry")
    repo = AllowlistRepository(session)
    entry = repo.by_id(entry_id)
    if entry is None:
        raise NotFound(f"no allowlist entry {entry_id}")
    repo.remove(entry)
    AuditLog(session).record(
        str(actor),
        "allowlist.removed",
        f"allowlist:{entry_id}",
        algorithm=entry.algorithm,
        reason=text,
    )
