"""The change log: every change to the set of matchable hashes, numbered by a monotonic `seq`.

Workers follow it to keep their in-memory index current; platforms page through it as the hash
list feed. Both read "everything after seq N", so a seq must never become visible after a larger
one: a reader that has seen seq 12 would skip a seq 11 that commits a moment later, and a
withdrawal would never reach it.

How seqs stay in commit order:
- PostgreSQL: appends take a transaction-scoped advisory lock (`pg_advisory_xact_lock`) and then
  read `max(seq) + 1`. The lock is held until the writer commits or rolls back, so the next writer
  cannot even pick its number before the previous one is visible. A database sequence would not
  do: sequence values are handed out at insert time but become visible at commit, in any order.
  An advisory lock rather than `LOCK TABLE`, because it does not conflict with anything else
  touching the table. Writers of hash changes (case creation, additions, withdrawals,
  suspensions) are rare next to reads; they queue for a few milliseconds, readers never wait.
- SQLite: write sessions begin with `BEGIN IMMEDIATE`, so there is one writer at a time anyway.

The log holds no hash values: the feed and the workers join the hash's current value, which is
NULL once erased. On PostgreSQL an append also sends `NOTIFY hashstop_changes` (delivered at
commit), which a worker may listen for to wake up before its next poll.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import (
    ColumnElement,
    LargeBinary,
    bindparam,
    case,
    distinct,
    func,
    insert,
    literal,
    or_,
    select,
    text,
)
from sqlalchemy.orm import Session

from hashstop.storage.models import (
    Case,
    ChangeKind,
    Hash,
    HashChange,
    HashlistBatch,
    HashStatus,
    Photo,
    utcnow,
)

# An arbitrary constant naming "the change-log append lock" among advisory locks.
CHANGE_LOG_LOCK = 0x6861_7368_7374_6F70 >> 1  # "hashstop", fits a signed bigint
NOTIFY_CHANNEL = "hashstop_changes"
# The payload that tells every worker an API key was revoked (its cached keys are dropped).
KEYS_NOTICE = "keys"


@dataclass(frozen=True, slots=True)
class Change:
    """A change to append: which hash, of which algorithm, what happened."""

    hash_id: int
    algorithm: str
    kind: ChangeKind


@dataclass(frozen=True, slots=True)
class ChangeState:
    """A change-log entry joined with its hash's current state (the feed and the sync read this)."""

    seq: int
    hash_id: int
    algorithm: str
    kind: str
    status: str
    value: bytes | None  # the current value when the hash is matchable, else None
    photo: str = ""  # the photo's public id
    variant: str = "original"
    photo_id: int = 0  # the photo's row id (local hashes are grouped by it in the index)
    # Whether the hash's value may go out in the feeds: a victim's, or a bank's whose
    # republishing policy is on (issue 17). The index ignores it: such hashes still match.
    published: bool = True

    @property
    def matchable(self) -> bool:
        return self.value is not None


class ChangeLog:
    """Appends to and reads the change log within the caller's session."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def append(self, changes: Sequence[Change]) -> list[int]:
        """Append `changes` in order; return their seqs. Hold the lock until commit."""
        if not changes:
            return []
        self.session.flush()
        postgres = self.lock()
        start = self.head()
        now = utcnow()
        rows = [
            {
                "seq": start + i,
                "hash_id": c.hash_id,
                "algorithm": c.algorithm,
                "kind": str(c.kind),
                "created_at": now,
            }
            for i, c in enumerate(changes, start=1)
        ]
        self.session.execute(insert(HashChange), rows)
        last = start + len(rows)
        if postgres:
            self.session.execute(
                text("SELECT pg_notify(:channel, :seq)"),
                {"channel": NOTIFY_CHANNEL, "seq": str(last)},
            )
        return list(range(start + 1, last + 1))

    def lock(self) -> bool:
        """Take the append lock now, until the transaction ends (re-entrant; PostgreSQL only,
        SQLite writers are serialised anyway). Returns whether the database is PostgreSQL.

        A writer that must see every hash committed before its own (the allowlist's check and
        scan, issue 6) takes it before reading.
        """
        postgres = self.session.get_bind().dialect.name == "postgresql"
        if postgres:
            self.session.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHANGE_LOG_LOCK}
            )
        return postgres

    def head(self) -> int:
        """The largest seq committed (or written in this transaction); 0 for an empty log."""
        return int(self.session.scalar(select(func.coalesce(func.max(HashChange.seq), 0))) or 0)

    def after(self, seq: int, limit: int) -> list[ChangeState]:
        """Up to `limit` entries after `seq`, in order, each with its hash's current state."""
        stmt = (
            select(
                HashChange.seq,
                HashChange.hash_id,
                HashChange.algorithm,
                HashChange.kind,
                Hash.status,
                Hash.value,
                Hash.variant,
                Hash.photo_id,
                Photo.public_id,
                published_expression().label("published"),
            )
            .join(Hash, Hash.id == HashChange.hash_id)
            .join(Photo, Photo.id == Hash.photo_id)
            .join(Case, Case.id == Hash.case_id)
            .where(HashChange.seq > seq)
            .order_by(HashChange.seq)
            .limit(limit)
        )
        return [
            ChangeState(
                seq=row.seq,
                hash_id=row.hash_id,
                algorithm=row.algorithm,
                kind=row.kind,
                status=row.status,
                value=row.value if row.status == HashStatus.ACTIVE else None,
                photo=row.public_id,
                variant=row.variant,
                photo_id=row.photo_id,
                published=bool(row.published),
            )
            for row in self.session.execute(stmt)
        ]


# `hashlist_batches.cases` of the batches the migration made from the log as it was: served in
# seq order (not shuffled), as platforms already saw them.
LEGACY = -1


@dataclass(frozen=True, slots=True)
class Pending:
    """The change-log entries not yet in a hash-list batch (up to a cap)."""

    after: int  # the last batch's end seq
    end: int  # the last pending seq within the cap (== after: nothing pending)
    entries: int
    cases: int
    oldest: datetime | None


class HashlistBatches:
    """The closed batches of the hash-list feed (`hashlist_batches`)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def published(self) -> int:
        """The end seq of the last closed batch; 0 when none."""
        end = self.session.scalar(select(func.max(HashlistBatch.end_seq)))
        return int(end or 0)

    def around(self, position: int) -> tuple[int, int, bool] | None:
        """(start, end, shuffled) of the closed batch (start, end] holding feed position
        `position` + 1, or None. Batches made by the migration from the log as it was
        (`cases` = LEGACY) keep their order, so cursors handed out before it stay exact."""
        found = self.session.execute(
            select(HashlistBatch.end_seq, HashlistBatch.cases)
            .where(HashlistBatch.end_seq > position)
            .order_by(HashlistBatch.end_seq)
            .limit(1)
        ).first()
        if found is None:
            return None
        start = self.session.scalar(
            select(func.max(HashlistBatch.end_seq)).where(HashlistBatch.end_seq <= position)
        )
        return int(start or 0), int(found.end_seq), found.cases != LEGACY

    def pending(self, cap: int) -> Pending:
        """What a new batch would hold: the entries after the last batch, at most `cap`."""
        after = self.published()
        window = (
            select(HashChange.seq, HashChange.created_at, Hash.case_id)
            .join(Hash, Hash.id == HashChange.hash_id)
            .where(HashChange.seq > after, HashChange.seq <= after + cap)
            .subquery()
        )
        entries, cases, oldest, end = self.session.execute(
            select(
                func.count(),
                func.count(distinct(window.c.case_id)),
                func.min(window.c.created_at),
                func.max(window.c.seq),
            )
        ).one()
        if oldest is not None and oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=UTC)
        return Pending(after, int(end or after), int(entries), int(cases), oldest)

    def close(self, end: int, cases: int) -> None:
        self.session.add(HashlistBatch(end_seq=end, cases=cases, closed_at=utcnow()))
        self.session.flush()


def published_expression() -> ColumnElement[bool]:
    """True for a hash (of a query joined with `cases`) whose value the feeds may carry: a
    victim's, or a bank's that is republished (issue 17)."""
    return or_(Case.bank.is_(None), Case.republish.is_(True))


def matchable_hashes(
    session: Session, batch: int = 50_000, *, published_only: bool = False
) -> Iterator[tuple[int, str, bytes]]:
    """(id, algorithm, value) of every active hash with a value, streamed in batches; with
    `published_only`, only those the feeds may carry (export)."""
    stmt = select(Hash.id, Hash.algorithm, Hash.value).where(
        Hash.status == HashStatus.ACTIVE, Hash.value.is_not(None)
    )
    if published_only:
        stmt = stmt.join(Case, Case.id == Hash.case_id).where(published_expression())
    stmt = stmt.execution_options(yield_per=batch)
    for row in session.execute(stmt):
        if row.value is not None:
            yield row.id, row.algorithm, row.value


def matchable_local_hashes(
    session: Session, batch: int = 50_000
) -> Iterator[tuple[list[int], list[int], list[bytes]]]:
    """(ids, photo ids, values) of the active local hashes (issue 14), in batches: the index
    groups their hits by photo, so it needs each one's photo."""
    stmt = (
        select(Hash.id, Hash.photo_id, Hash.value)
        .where(
            Hash.status == HashStatus.ACTIVE,
            Hash.algorithm == "local",
            Hash.value.is_not(None),
        )
        .execution_options(yield_per=batch)
    )
    for rows in session.execute(stmt).partitions(batch):
        kept = [r for r in rows if r.value is not None]
        yield [r.id for r in kept], [r.photo_id for r in kept], [r.value for r in kept]


def matchable_hashes_packed(
    session: Session, algorithm: str, width: int, span: int = 250_000
) -> Iterator[tuple[list[int], bytes]]:
    """PostgreSQL only: the active hashes of `algorithm` as (ids, values concatenated) chunks."""
    for _, ids, packed in packed_hash_ranges(session, {algorithm: width}, span):
        yield ids, packed


def packed_hash_ranges(
    session: Session, widths: Mapping[str, int], span: int = 250_000
) -> Iterator[tuple[str, list[int], bytes]]:
    """PostgreSQL only: the active hashes of the algorithms in `widths` (algorithm -> bytes per
    value) as (algorithm, ids, values concatenated) chunks, in no particular order.

    The database packs each chunk into one array and one bytea, so a million hashes cross the
    wire as a few dozen values instead of a million rows: this is what keeps start-up short.
    Chunks are ranges of `span` ids read through the primary key, one pass for all algorithms;
    paging with `ORDER BY id LIMIT` instead made PostgreSQL scan and sort the whole table for
    every page, and ordering inside the aggregates sorted each chunk twice more (together 6 s
    for a million hashes against about 1.3 s this way). Without an order, `array_agg` and
    `string_agg` still see the rows of a group in the same sequence, so the i-th id belongs to
    the i-th value. Values of another width (there should be none) are left out.
    """
    if not widths:
        return
    lowest, highest = session.execute(text("SELECT min(id), max(id) FROM hashes")).one()
    if lowest is None:
        return
    stmt = (
        select(
            Hash.algorithm,
            func.array_agg(Hash.id),
            func.string_agg(Hash.value, literal(b"", LargeBinary)),
        )
        .where(
            Hash.id >= bindparam("lo"),
            Hash.id < bindparam("hi"),
            Hash.status == HashStatus.ACTIVE,
            Hash.value.is_not(None),
            func.octet_length(Hash.value) == case(dict(widths), value=Hash.algorithm),
        )
        .group_by(Hash.algorithm)
    )
    for lo in range(int(lowest), int(highest) + 1, span):
        for algorithm, ids, packed in session.execute(stmt, {"lo": lo, "hi": lo + span}):
            yield str(algorithm), list(ids), bytes(packed)
