"""Queries on the idempotency keys of case openings: find one, remember one, serialise on one.

Only keyed hashes reach this module, never an idempotency key or a case secret. Whether a replay
is honoured (the window, the same request) is the service's decision, not this module's.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from hashstop.storage.models import Case, IdempotencyKey, utcnow


class IdempotencyRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def lock(self, key_hash: bytes) -> None:
        """Make concurrent requests with the same key wait for each other, until commit.

        PostgreSQL: a transaction-scoped advisory lock on 63 bits of the keyed hash, so the
        second request waits for the first to commit and then finds its row. SQLite needs
        nothing: write transactions begin with BEGIN IMMEDIATE and so run one at a time.
        """
        if self.session.get_bind().dialect.name == "postgresql":
            lock_id = int.from_bytes(key_hash[:8], "big") >> 1
            self.session.execute(select(func.pg_advisory_xact_lock(lock_id)))

    def find(self, key_hash: bytes) -> IdempotencyKey | None:
        stmt = (
            select(IdempotencyKey)
            .where(IdempotencyKey.key_hash == key_hash)
            .options(joinedload(IdempotencyKey.case))
        )
        return self.session.scalars(stmt).one_or_none()

    def add(self, key_hash: bytes, case: Case, request_hash: bytes) -> IdempotencyKey:
        row = IdempotencyKey(
            key_hash=key_hash, case_id=case.id, request_hash=request_hash, created_at=utcnow()
        )
        self.session.add(row)
        self.session.flush()
        return row
