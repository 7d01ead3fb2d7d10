"""Queries on cases, their photos and their hashes.

Nothing here decides whether a hash is acceptable or who may see a case: that is the service's
job. This module only reads and writes rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import distinct, func, select, update
from sqlalchemy.orm import Session

from hashstop.storage.database import ERASED
from hashstop.storage.models import (
    Case,
    CaseStatus,
    Hash,
    HashStatus,
    MatchHit,
    MatchRecord,
    MatchStatus,
    Photo,
    utcnow,
)

ERASED_TEXT = "erased"
"""What a withdrawal leaves in place of a variant's name and a platform's ref."""


@dataclass(frozen=True, slots=True)
class NewHash:
    """A validated hash to store in a case, with the photo it belongs to."""

    algorithm: str
    value: bytes
    quality: int | None
    photo_key: str | None
    variant: str


@dataclass(frozen=True, slots=True)
class CaseCounts:
    hashes: int
    photos: int
    matches: int
    confirmed: int


class CaseRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, public_id: str, secret_hash: bytes) -> Case:
        case = Case(public_id=public_id, secret_hash=secret_hash, status=CaseStatus.ACTIVE)
        self.session.add(case)
        self.session.flush()
        return case

    def by_public_id(self, public_id: str, *, for_update: bool = False) -> Case | None:
        stmt = select(Case).where(Case.public_id == public_id)
        if for_update:
            stmt = stmt.with_for_update()
        return self.session.scalars(stmt).one_or_none()

    def existing_values(
        self, case_id: int, among: Iterable[bytes] | None = None
    ) -> set[tuple[str, bytes]]:
        """(algorithm, value) of the case's hashes that still have a value; with `among`, only
        those whose value is one of `among` (looked up through the unique index, so adding
        hashes costs the same whatever the case's size)."""
        stmt = select(Hash.algorithm, Hash.value).where(
            Hash.case_id == case_id, Hash.value.is_not(None)
        )
        if among is not None:
            values = list(set(among))
            if not values:
                return set()
            stmt = stmt.where(Hash.value.in_(values))
        rows = self.session.execute(stmt)
        return {(r.algorithm, r.value) for r in rows if r.value is not None}

    def local_counts(self, case_id: int, keys: Iterable[str] | None = None) -> dict[str, int]:
        """How many local hashes (with a value) each photo of the case holds, by client key;
        with `keys`, only those photos."""
        stmt = (
            select(Photo.client_key, func.count(Hash.id))
            .join(Hash, Hash.photo_id == Photo.id)
            .where(
                Hash.case_id == case_id,
                Hash.algorithm == "local",
                Hash.value.is_not(None),
                Photo.client_key.is_not(None),
            )
            .group_by(Photo.client_key)
        )
        if keys is not None:
            wanted = list(set(keys))
            if not wanted:
                return {}
            stmt = stmt.where(Photo.client_key.in_(wanted))
        return {str(key): int(n) for key, n in self.session.execute(stmt)}

    def photo_keys(self, case_id: int, keys: Iterable[str]) -> set[str]:
        """Which of the photo keys `keys` the case has already."""
        wanted = list(set(keys))
        if not wanted:
            return set()
        found = self.session.scalars(
            select(Photo.client_key).where(Photo.case_id == case_id, Photo.client_key.in_(wanted))
        )
        return {str(k) for k in found if k is not None}

    def local_values(self, case_id: int, photo_keys: set[str]) -> dict[str, list[bytes]]:
        """The stored local hash values of the photos `photo_keys` of the case, by client key."""
        if not photo_keys:
            return {}
        rows = self.session.execute(
            select(Photo.client_key, Hash.value)
            .join(Hash, Hash.photo_id == Photo.id)
            .where(
                Hash.case_id == case_id,
                Hash.algorithm == "local",
                Hash.value.is_not(None),
                Photo.client_key.in_(sorted(photo_keys)),
            )
        )
        found: dict[str, list[bytes]] = {}
        for key, value in rows:
            if value is not None:
                found.setdefault(str(key), []).append(value)
        return found

    def add_hashes(self, case: Case, hashes: Sequence[NewHash]) -> list[Hash]:
        """Store `hashes`; hashes with the same photo key share one photo, others get their own."""
        keys = {h.photo_key for h in hashes if h.photo_key is not None}
        photos: dict[str, Photo] = {}
        if keys:
            found = self.session.scalars(
                select(Photo).where(Photo.case_id == case.id, Photo.client_key.in_(keys))
            )
            photos = {p.client_key: p for p in found if p.client_key is not None}
        now = utcnow()
        rows: list[Hash] = []
        for h in hashes:
            photo = photos.get(h.photo_key) if h.photo_key is not None else None
            if photo is None:
                photo = Photo(case_id=case.id, client_key=h.photo_key, created_at=now)
                self.session.add(photo)
                if h.photo_key is not None:
                    photos[h.photo_key] = photo
            row = Hash(
                case_id=case.id,
                photo=photo,
                algorithm=h.algorithm,
                value=h.value,
                quality=h.quality,
                variant=h.variant,
                status=HashStatus.ACTIVE,
                created_at=now,
                updated_at=now,
            )
            self.session.add(row)
            rows.append(row)
        self.session.flush()
        return rows

    def withdraw(self, case: Case) -> list[tuple[int, str, str]]:
        """Mark the case withdrawn and erase its hash values.

        Returns (hash id, algorithm, previous status) of every hash that still had a value.
        """
        rows = self.session.execute(
            select(Hash.id, Hash.algorithm, Hash.status)
            .where(Hash.case_id == case.id, Hash.value.is_not(None))
            .order_by(Hash.id)
        ).all()
        now = utcnow()
        hash_ids = select(Hash.id).where(Hash.case_id == case.id)
        # What a platform wrote about uploads that matched (its refs) goes with the values;
        # the match records stay (ids, distances, decisions) for the audit trail.
        self.session.execute(
            update(MatchRecord)
            .where(
                MatchRecord.id.in_(select(MatchHit.match_id).where(MatchHit.hash_id.in_(hash_ids)))
            )
            .values(ref=ERASED_TEXT)
            .execution_options(synchronize_session=False)
        )
        self.session.execute(
            update(Hash)
            .where(Hash.case_id == case.id)
            .values(
                value=None,
                quality=None,
                variant=ERASED_TEXT,
                status=HashStatus.WITHDRAWN,
                updated_at=now,
            )
        )
        self.session.execute(update(Photo).where(Photo.case_id == case.id).values(client_key=None))
        case.status = CaseStatus.WITHDRAWN
        case.withdrawn_at = now
        self.session.flush()
        self.session.info[ERASED] = True  # SQLite: checkpoint the WAL after the commit
        return [(r.id, r.algorithm, r.status) for r in rows]

    def counts_of(self, case_id: int) -> tuple[int, int]:
        """(hashes, photos) the case holds (withdrawn values included: they were stored)."""
        hashes = self.session.scalar(select(func.count()).where(Hash.case_id == case_id)) or 0
        photos = self.session.scalar(select(func.count()).where(Photo.case_id == case_id)) or 0
        return int(hashes), int(photos)

    def counts(self, case_id: int) -> CaseCounts:
        hashes = self.session.scalar(select(func.count()).where(Hash.case_id == case_id)) or 0
        photos = self.session.scalar(select(func.count()).where(Photo.case_id == case_id)) or 0
        matched = (
            select(MatchRecord.id, MatchRecord.status)
            .join(MatchHit, MatchHit.match_id == MatchRecord.id)
            .join(Hash, Hash.id == MatchHit.hash_id)
            .where(Hash.case_id == case_id)
            .distinct()
            .subquery()
        )
        total = self.session.scalar(select(func.count(distinct(matched.c.id)))) or 0
        confirmed = (
            self.session.scalar(
                select(func.count(distinct(matched.c.id))).where(
                    matched.c.status == MatchStatus.CONFIRMED
                )
            )
            or 0
        )
        return CaseCounts(hashes=hashes, photos=photos, matches=total, confirmed=confirmed)


def hash_states(session: Session, ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    """(status, algorithm) by hash id for `ids`."""
    id_list = list(ids)
    if not id_list:
        return {}
    rows = session.execute(select(Hash.id, Hash.status, Hash.algorithm).where(Hash.id.in_(id_list)))
    return {r.id: (r.status, r.algorithm) for r in rows}
