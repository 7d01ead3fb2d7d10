"""Queries on the allowlist of known benign hashes, and the scan of stored hashes it needs.

Comparing hashes (Hamming distance) is the service's job; this module only reads and writes
rows, in bounded chunks where a table can be large.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from hashstop.storage.models import AllowlistEntry, Hash, HashStatus, utcnow


class AllowlistRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(
        self,
        *,
        algorithm: str,
        value: bytes,
        reason: str,
        created_by: str,
        picture_id: int | None = None,
    ) -> AllowlistEntry:
        entry = AllowlistEntry(
            algorithm=algorithm,
            value=value,
            reason=reason,
            created_by=created_by,
            created_at=utcnow(),
            picture_id=picture_id,
        )
        self.session.add(entry)
        self.session.flush()
        return entry

    def by_id(self, entry_id: int) -> AllowlistEntry | None:
        return self.session.get(AllowlistEntry, entry_id)

    def by_value(self, algorithm: str, value: bytes) -> AllowlistEntry | None:
        return self.session.scalars(
            select(AllowlistEntry).where(
                AllowlistEntry.algorithm == algorithm, AllowlistEntry.value == value
            )
        ).one_or_none()

    def all(self) -> list[AllowlistEntry]:
        return list(self.session.scalars(select(AllowlistEntry).order_by(AllowlistEntry.id)))

    def values(self, algorithms: set[str]) -> list[tuple[int, str, bytes]]:
        """(id, algorithm, value) of the entries of `algorithms`."""
        if not algorithms:
            return []
        rows = self.session.execute(
            select(AllowlistEntry.id, AllowlistEntry.algorithm, AllowlistEntry.value)
            .where(AllowlistEntry.algorithm.in_(sorted(algorithms)))
            .order_by(AllowlistEntry.id)
        )
        return [(r.id, r.algorithm, r.value) for r in rows]

    def of_picture(self, picture_id: int) -> list[AllowlistEntry]:
        return list(
            self.session.scalars(
                select(AllowlistEntry)
                .where(AllowlistEntry.picture_id == picture_id)
                .order_by(AllowlistEntry.id)
            )
        )

    def remove(self, entry: AllowlistEntry) -> None:
        self.session.delete(entry)
        self.session.flush()


def hashes_in_chunks(
    session: Session, algorithm: str, statuses: tuple[HashStatus, ...], batch: int = 50_000
) -> Iterator[tuple[list[int], list[bytes]]]:
    """(ids, values) of the stored hashes of `algorithm` in `statuses`, in id order, by chunks."""
    after = 0
    while True:
        rows = session.execute(
            select(Hash.id, Hash.value)
            .where(
                Hash.algorithm == algorithm,
                Hash.status.in_([s.value for s in statuses]),
                Hash.value.is_not(None),
                Hash.id > after,
            )
            .order_by(Hash.id)
            .limit(batch)
        ).all()
        if not rows:
            return
        yield [r.id for r in rows], [r.value for r in rows]
        after = rows[-1].id


def hashes_with_value(
    session: Session, algorithm: str, value: bytes, statuses: tuple[HashStatus, ...]
) -> list[int]:
    """Ids of the stored hashes of `algorithm` equal to `value` (exact algorithms)."""
    return list(
        session.scalars(
            select(Hash.id)
            .where(
                Hash.algorithm == algorithm,
                Hash.value == value,
                Hash.status.in_([s.value for s in statuses]),
            )
            .order_by(Hash.id)
        )
    )
