"""The allowlist of known benign pictures, managed by admins (API, `/review`, `hashstop allowlist`).

An admin adds a *picture* (issue 12): `hashstop allowlist add --image PATH` computes, on the
admin's machine, every hash a client could derive from it (`hashing/picture.py`), and the
service stores them as the picture's entries. Adding a single value stays possible.

Adding does two things in one transaction: a submission with any hash within the screening
distance of an entry is refused from then on (see `screening.py`), and every stored *photo*
that now screens as allowlisted (any of its hashes within that distance of any entry) is
suspended whole: all its hashes, kind `allowlist`, audited with the entry's reason (a hash the
quarantine holds has its quarantine ended in favour of the allowlist). The scan reads the
stored hashes of each algorithm once in chunks, under the change-log lock, so it also sees
hashes that a concurrent submission committed just before; on a million PDQ hashes it is a
one-off of seconds.

Removing an entry does not restore what it suspended: letting a hash match again is a decision
for a moderator (`/review`), who sees why it was suspended.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlalchemy import select
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
from hashstop.storage.models import (
    AllowlistEntry,
    AllowlistPicture,
    Hash,
    HashStatus,
    SuspensionKind,
    utcnow,
)

MAX_PICTURE_HASHES = 200


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


def near_stored_many(
    session: Session,
    algorithm: str,
    values: list[bytes],
    distance: int,
    statuses: tuple[HashStatus, ...],
) -> list[int]:
    """Ids of the stored hashes in `statuses` within `distance` of any of `values` (one scan;
    local hashes by their 64-bit code)."""
    if algorithm == "local":
        codes_of = [v[:8] for v in values if len(v) == 12]
        near_local: list[int] = []
        for ids, stored in hashes_in_chunks(session, algorithm, statuses):
            keep = [(i, v[:8]) for i, v in zip(ids, stored, strict=True) if len(v) == 12]
            if not keep or not codes_of:
                continue
            codes = np.frombuffer(b"".join(v for _, v in keep), dtype=np.uint8).reshape(-1, 8)
            close = np.zeros(len(keep), dtype=bool)
            for value in codes_of:
                close |= hamming_distances(codes, value) <= distance
            near_local.extend(keep[int(i)][0] for i in np.flatnonzero(close))
        return near_local
    if algorithm not in HAMMING_BITS:
        found: set[int] = set()
        for value in values:
            found.update(hashes_with_value(session, algorithm, value, statuses))
        return sorted(found)
    width = HAMMING_BITS[algorithm] // 8
    wanted = [v for v in values if len(v) == width]
    near: list[int] = []
    for ids, stored in hashes_in_chunks(session, algorithm, statuses):
        keep = [(i, v) for i, v in zip(ids, stored, strict=True) if len(v) == width]
        if not keep or not wanted:
            continue
        codes = np.frombuffer(b"".join(v for _, v in keep), dtype=np.uint8).reshape(-1, width)
        close = np.zeros(len(keep), dtype=bool)
        for value in wanted:
            close |= hamming_distances(codes, value) <= distance
        near.extend(keep[int(i)][0] for i in np.flatnonzero(close))
    return near


@dataclass(frozen=True, slots=True)
class AddedPicture:
    picture: AllowlistPicture
    entries: list[AllowlistEntry]
    photos: int  # stored photos that now screen as allowlisted, suspended whole
    suspended: list[int]  # ids of the hashes it suspended (or took over from quarantine)


def _suspend_photos_near(
    session: Session,
    values: list[tuple[str, bytes]],
    *,
    distances: MatchDistances,
    why: str,
    actor: Actor,
    details: dict[str, object],
) -> tuple[int, list[int]]:
    """Suspend every stored photo with a hash within the screening distance of `values`:
    (photos, ids of the hashes suspended or taken over from the quarantine)."""
    by_algorithm: dict[str, list[bytes]] = {}
    for algorithm, value in values:
        by_algorithm.setdefault(algorithm, []).append(value)
    near: set[int] = set()
    statuses = (HashStatus.ACTIVE, HashStatus.SUSPENDED)
    for algorithm, wanted in by_algorithm.items():
        distance = distances.screening(algorithm)
        near.update(near_stored_many(session, algorithm, wanted, distance, statuses))
    if not near:
        return 0, []
    photo_ids = set(session.scalars(select(Hash.photo_id).where(Hash.id.in_(sorted(near)))))
    rows = session.execute(
        select(Hash.id, Hash.status).where(
            Hash.photo_id.in_(sorted(photo_ids)),
            Hash.status.in_([HashStatus.ACTIVE, HashStatus.SUSPENDED]),
        )
    ).all()
    active = [r.id for r in rows if r.status == HashStatus.ACTIVE]
    suspended = suspend_active(
        session, active, kind=SuspensionKind.ALLOWLIST, reason=why, actor=actor, details=details
    )
    taken = [
        r.id
        for r in rows
        if r.status == HashStatus.SUSPENDED
        and replace_quarantine(
            session, r.id, kind=SuspensionKind.ALLOWLIST, reason=why, actor=actor
        )
    ]
    return len(photo_ids), sorted({s.hash_id for s in suspended} | set(taken))


def add_picture(
    session: Session,
    *,
    hashes: list[tuple[str, str]],
    reason: str | None,
    actor: Actor,
    distances: MatchDistances,
) -> AddedPicture:
    """Allowlist a picture from every hash derived from it (`hashing.picture.picture_hashes`)
    and suspend every stored photo that now screens as allowlisted."""
    actor.require_admin("manage the allowlist")
    text = check_reason(reason, "add an allowlist entry")
    parsed = []
    for algorithm, value in hashes:
        if algorithm not in ("pdq", "phash", "md5", "sha256", "local"):
            raise InvalidInput(
                f"an allowlist entry is pdq, phash, md5, sha256 or local, got {algorithm!r}"
            )
        try:
            parsed.append(parse_hash(algorithm, value))
        except HashFormatError as exc:
            raise InvalidInput(str(exc)) from None
    if not parsed:
        raise InvalidInput("a picture needs at least one hash; compute them with --image")
    if len(parsed) > MAX_PICTURE_HASHES:
        raise InvalidInput(f"a picture has at most {MAX_PICTURE_HASHES} hashes")
    repo = AllowlistRepository(session)
    hold(session)
    picture = AllowlistPicture(reason=text, created_by=str(actor), created_at=utcnow())
    session.add(picture)
    session.flush()
    entries = []
    seen: set[tuple[str, bytes]] = set()
    for h in parsed:
        key = (h.algorithm, h.data)
        if key in seen or repo.by_value(*key) is not None:
            continue  # already on the list (another picture's, or a single value)
        seen.add(key)
        entries.append(
            repo.add(
                algorithm=h.algorithm,
                value=h.data,
                reason=text,
                created_by=str(actor),
                picture_id=picture.id,
            )
        )
    why = f"allowlisted picture {picture.id}: {text}"
    photos, ids = _suspend_photos_near(
        session,
        [(h.algorithm, h.data) for h in parsed],
        distances=distances,
        why=why,
        actor=actor,
        details={"allowlist_picture": picture.id},
    )
    AuditLog(session).record(
        str(actor),
        "allowlist.picture_added",
        f"allowlist_picture:{picture.id}",
        reason=text,
        entries=len(entries),
        photos_suspended=photos,
        hashes_suspended=len(ids),
    )
    return AddedPicture(picture, entries, photos, ids)


def add_entry(
    session: Session,
    *,
    algorithm: str,
    value: str,
    reason: str | None,
    actor: Actor,
    distances: MatchDistances,
) -> AddedEntry:
    """Add a benign hash and suspend every stored photo with a hash within the screening
    distance of it."""
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
    distance = distances.screening(parsed.algorithm)
    why = f"allowlist entry {entry.id}: {text}"
    _, ids = _suspend_photos_near(
        session,
        [(parsed.algorithm, parsed.data)],
        distances=distances,
        why=why,
        actor=actor,
        details={"allowlist_entry": entry.id},
    )
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
    if entry.picture_id is not None:  # a picture is one unit: its entries go together
        for sibling in repo.of_picture(entry.picture_id):
            if sibling.id != entry.id:
                repo.remove(sibling)
    repo.remove(entry)
    AuditLog(session).record(
        str(actor),
        "allowlist.removed",
        f"allowlist:{entry_id}",
        algorithm=entry.algorithm,
        reason=text,
    )
