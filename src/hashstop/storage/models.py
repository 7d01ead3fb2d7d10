"""The tables of record, as SQLAlchemy 2.0 typed models.

What is stored is deliberately little: hash values as bytes (erased on withdrawal), keyed hashes
(HMAC) of case secrets and API keys, never the secrets themselves, and no image bytes anywhere.
The change log keeps hash ids and kinds of change only; the hash list feed joins the current
value, so an erased value cannot come back through the log.

The schema is changed only through the Alembic migrations in `migrations/`; the tests compare
these models with the migrated database.
"""

from __future__ import annotations

import enum
import secrets
from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    true,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit identity.
Id = BigInteger().with_variant(Integer(), "sqlite")


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both databases (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class CaseStatus(enum.StrEnum):
    ACTIVE = "active"
    WITHDRAWN = "withdrawn"


class HashStatus(enum.StrEnum):
    ACTIVE = "active"
    WITHDRAWN = "withdrawn"
    SUSPENDED = "suspended"


class ChangeKind(enum.StrEnum):
    ADDED = "added"
    WITHDRAWN = "withdrawn"
    SUSPENDED = "suspended"
    RESTORED = "restored"
    # A bank's republishing turned off (followers delete their copies; the hash still matches)
    # or on (followers get the value again).
    UNPUBLISHED = "unpublished"
    PUBLISHED = "published"


class Role(enum.StrEnum):
    PLATFORM = "platform"
    MODERATOR = "moderator"
    ADMIN = "admin"


class MatchStatus(enum.StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    FALSE_POSITIVE = "false_positive"
    DISMISSED = "dismissed"  # a moderator closed it without a verdict (issue 6)


class DecidedBy(enum.StrEnum):
    """Whose word set a match record's status: a platform's verdict or a moderator's decision."""

    PLATFORM = "platform"
    MODERATOR = "moderator"


class SuspensionKind(enum.StrEnum):
    """Why a hash is suspended: a moderator did it, the quarantine did, or the allowlist did."""

    MODERATOR = "moderator"
    QUARANTINE = "quarantine"  # automatic, pending review
    ALLOWLIST = "allowlist"


class SuspensionOutcome(enum.StrEnum):
    """How a suspension ended: restored, or replaced by a moderator's or the allowlist's."""

    RESTORED = "restored"
    CONFIRMED = "confirmed"
    ALLOWLISTED = "allowlisted"


class Verdict(enum.StrEnum):
    CONFIRMED = "confirmed"
    FALSE_POSITIVE = "false_positive"


class FeedbackAction(enum.StrEnum):
    BLOCKED = "blocked"
    REMOVED = "removed"
    NONE = "none"


NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Case(Base):
    """A victim's case: its hashes, reachable with the case secret shown once at creation."""

    __tablename__ = "cases"
    __table_args__ = (Index("ix_cases_bank", "bank", unique=True),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    secret_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    status: Mapped[str] = mapped_column(String(16), default=CaseStatus.ACTIVE)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # A bank (issue 17): hashes imported by an admin from a file or another exchange, under this
    # name, rather than a victim's case. Its secret is random and never shown.
    bank: Mapped[str | None] = mapped_column(String(64))
    # A bank's republishing policy (issue 17): whether its hashes' values go out in the feeds
    # (`/v1/hashlist`, the StopNCII-shaped feed, export, push). Off for a subscribed or imported
    # bank unless its admin chose otherwise; a victim's case (`bank` NULL) is always published.
    republish: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())

    photos: Mapped[list[Photo]] = relationship(back_populates="case")


def new_photo_ref() -> str:
    """A photo's public reference: 64 random bits, unrelated to the case, the client's key or
    the hashes, so a platform learns only which of its hits are the same picture."""
    return "p_" + secrets.token_hex(8)


class Photo(Base):
    """One photo of a case; its hashes are the variants (issue 8) of that one picture.

    `client_key` is the grouping key the victim's client chose; it is never shown to platforms.
    `public_id` is what a platform sees instead, in match results and the hash list.
    """

    __tablename__ = "photos"
    __table_args__ = (UniqueConstraint("case_id", "client_key"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    # Nullable in the schema only: SQLite cannot add NOT NULL without rebuilding the table,
    # which would cascade-delete the hashes. Every row has one (this default; the migration).
    public_id: Mapped[str] = mapped_column(
        String(24), nullable=True, unique=True, index=True, default=new_photo_ref
    )
    client_key: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    case: Mapped[Case] = relationship(back_populates="photos")


class Hash(Base):
    """A submitted hash. `value` is NULL once erased (withdrawal); the row stays for its id."""

    __tablename__ = "hashes"
    __table_args__ = (
        UniqueConstraint("case_id", "algorithm", "value"),
        Index("ix_hashes_status_algorithm", "status", "algorithm"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    photo_id: Mapped[int] = mapped_column(ForeignKey("photos.id", ondelete="CASCADE"), index=True)
    algorithm: Mapped[str] = mapped_column(String(16))
    value: Mapped[bytes | None] = mapped_column(LargeBinary(64))
    quality: Mapped[int | None] = mapped_column(SmallInteger)
    variant: Mapped[str] = mapped_column(String(32), default="original")
    status: Mapped[str] = mapped_column(String(16), default=HashStatus.ACTIVE)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    photo: Mapped[Photo] = relationship()


class HashChange(Base):
    """One change to the set of matchable hashes, numbered by a gap-free monotonic `seq`."""

    __tablename__ = "hash_changes"
    __table_args__ = (
        Index("ix_hash_changes_hash_id", "hash_id"),
        # The StopNCII-shaped feed (issue 17) starts from a time: the first seq at or after it.
        Index("ix_hash_changes_created_at", "created_at"),
    )

    seq: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=False)
    hash_id: Mapped[int] = mapped_column(ForeignKey("hashes.id", ondelete="CASCADE"))
    algorithm: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class HashlistBatch(Base):
    """A batch of the hash list feed (issue 12, attack 5): the change-log entries after the
    previous batch's `end_seq` up to this one's, published together and shuffled."""

    __tablename__ = "hashlist_batches"

    end_seq: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=False)
    cases: Mapped[int] = mapped_column(Integer)
    closed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Retraction(Base):
    """A withdrawn hash's value, kept for a bounded time only so that followers of the
    StopNCII-shaped feed (keyed by value, not by id) can be told which value to delete
    (issue 17). `hashes.value` is erased at withdrawal as always; these rows are deleted once
    older than `HASHSTOP_RETRACTION_DAYS` (0: none are kept)."""

    __tablename__ = "retractions"

    hash_id: Mapped[int] = mapped_column(
        ForeignKey("hashes.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    algorithm: Mapped[str] = mapped_column(String(16))
    value: Mapped[bytes] = mapped_column(LargeBinary(64))
    withdrawn_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)


class Subscription(Base):
    """A bank fed from another exchange through pytx (issue 17): which API, its collaboration
    config (JSON), and the last checkpoint applied (JSON, NULL before the first fetch)."""

    __tablename__ = "subscriptions"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    bank: Mapped[str] = mapped_column(String(64), unique=True)
    api: Mapped[str] = mapped_column(String(64))
    collab: Mapped[str] = mapped_column(Text)
    checkpoint: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class BankEntry(Base):
    """Which of a bank's hashes a record of the exchange (its key) brought: a deletion of the
    key erases the hashes no other key still holds."""

    __tablename__ = "bank_entries"
    __table_args__ = (Index("ix_bank_entries_subscription_id_key", "subscription_id", "key"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscriptions.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(512))
    hash_id: Mapped[int] = mapped_column(ForeignKey("hashes.id", ondelete="CASCADE"), index=True)


class OpinionState(enum.StrEnum):
    PENDING = "pending"  # to send (again, after a transport failure)
    SENT = "sent"  # the exchange accepted it
    NOT_SUPPORTED = "not_supported"  # the exchange takes no opinions (or not this one)
    GONE = "gone"  # the hash's value was erased (withdrawn) before it could be sent


class BankOpinion(Base):
    """A platform's verdict on a match of a subscribed bank's hash, to send back to the bank's
    exchange (pytx `report_opinion`, issue 17): queued in the verdict's transaction, marked
    `sent` in a transaction of its own after the exchange accepted it. It names the verdict and
    the hash, never a value: the value is read from `hashes` when it is sent."""

    __tablename__ = "bank_opinions"
    __table_args__ = (
        UniqueConstraint("feedback_id", "hash_id", name="uq_bank_opinions_feedback_id_hash_id"),
        Index("ix_bank_opinions_subscription_id_state", "subscription_id", "state"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscriptions.id", ondelete="CASCADE"))
    feedback_id: Mapped[int] = mapped_column(ForeignKey("feedback.id", ondelete="CASCADE"))
    hash_id: Mapped[int] = mapped_column(ForeignKey("hashes.id", ondelete="CASCADE"))
    verdict: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16), default=OpinionState.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class PushTarget(Base):
    """A bank of an HMA (OpenMediaMatch) that `hashstop push hma` keeps equal to the hash list
    (issue 17): where it is, and the hash-list position applied so far."""

    __tablename__ = "push_targets"
    __table_args__ = (UniqueConstraint("url", "bank", name="uq_push_targets_url_bank"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    url: Mapped[str] = mapped_column(String(512))
    bank: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(BigInteger, default=0)
    # The largest HMA content id ever recorded for this target: an add in doubt after a crash
    # can only have made an id above it (HMA's ids only grow).
    high_water: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class PushEntry(Base):
    """One of our hashes as bank content of a push target, and the call in flight for it.

    `state` is written (and committed) before each HMA call: `adding` (content_id NULL until
    HMA answered), `added`, `deleting`. A row still `adding` or `deleting` at start-up is a call
    whose outcome is unknown; `service/push.py` reconciles it. No foreign key to `hashes`: a hash
    row that disappears must still have its content deleted from HMA.
    """

    __tablename__ = "push_entries"
    __table_args__ = (
        UniqueConstraint("target_id", "hash_id", name="uq_push_entries_target_id_hash_id"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("push_targets.id", ondelete="CASCADE"))
    hash_id: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[str] = mapped_column(String(16))
    content_id: Mapped[int | None] = mapped_column(BigInteger)
    token: Mapped[str] = mapped_column(String(32))  # the note the content carries in HMA
    floor: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ApiKey(Base):
    """A platform, moderator or admin key; only the HMAC of the `hsk_` token is stored."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    platform: Mapped[str | None] = mapped_column(String(64))
    # A moderator key limited to one platform's matches (issue 6); NULL means global.
    scope_platform: Mapped[str | None] = mapped_column(String(64))
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class MatchRecord(Base):
    """A platform upload that matched; non-matches leave no record, only a counter."""

    __tablename__ = "match_records"
    __table_args__ = (
        Index("ix_match_records_platform_created_at", "platform", "created_at"),
        Index("ix_match_records_created_at", "created_at"),
        Index("ix_match_records_status_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    api_key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id"))
    platform: Mapped[str] = mapped_column(String(64))
    ref: Mapped[str] = mapped_column(String(256))
    status: Mapped[str] = mapped_column(String(16), default=MatchStatus.PENDING)
    # Who set `status` (DecidedBy), NULL while pending; a moderator's word is final (issue 6).
    decided_by: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    hits: Mapped[list[MatchHit]] = relationship(
        back_populates="match", order_by="MatchHit.distance, MatchHit.hash_id"
    )


class MatchHit(Base):
    """One stored hash that a match record's item came within distance of."""

    __tablename__ = "match_hits"
    # A hash's hits within a time window, read from one index range: the quarantine's rate check.
    __table_args__ = (Index("ix_match_hits_hash_id_created_at", "hash_id", "created_at"),)

    match_id: Mapped[int] = mapped_column(
        ForeignKey("match_records.id", ondelete="CASCADE"), primary_key=True
    )
    hash_id: Mapped[int] = mapped_column(
        ForeignKey("hashes.id", ondelete="CASCADE"), primary_key=True
    )
    algorithm: Mapped[str] = mapped_column(String(16))
    distance: Mapped[int] = mapped_column(SmallInteger)
    # The record's creation time, copied here so a hash's recent hits need no join to count.
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    match: Mapped[MatchRecord] = relationship(back_populates="hits")


class Feedback(Base):
    """A platform's verdict on one of its matches; every verdict is kept, the latest counts."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    match_id: Mapped[int] = mapped_column(
        ForeignKey("match_records.id", ondelete="CASCADE"), index=True
    )
    verdict: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(16), default=FeedbackAction.NONE)
    api_key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # False when a moderator had already decided the record: kept and counted, status unchanged.
    applied: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class AuditEntry(Base):
    """A sensitive action: who, what, on what, when. Never secrets or hash values."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    actor: Mapped[str] = mapped_column(String(96))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(96))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    details: Mapped[str | None] = mapped_column(Text)


class IdempotencyKey(Base):
    """A case opened with an `Idempotency-Key`: its keyed hash, the case, the request's keyed hash.

    Kept as long as the case, so that a key opens at most one case ever; it is honoured for
    replays only within the window the service sets (see `hashstop.service.idempotency`).
    """

    __tablename__ = "idempotency_keys"

    key_hash: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    request_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    case: Mapped[Case] = relationship()


class MatchDecision(Base):
    """A moderator's decision on a match record: what, from which status, why, who, when."""

    __tablename__ = "match_decisions"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    match_id: Mapped[int] = mapped_column(
        ForeignKey("match_records.id", ondelete="CASCADE"), index=True
    )
    api_key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id"))
    decision: Mapped[str] = mapped_column(String(16))
    previous_status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class HashSuspension(Base):
    """One suspension of a hash, open until `ended_at`; the hash's status is what matching reads.

    `actor` is `key:<name>` or `system` (the quarantine); reasons never hold hash values.
    """

    __tablename__ = "hash_suspensions"
    __table_args__ = (Index("ix_hash_suspensions_kind_ended_at", "kind", "ended_at"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    hash_id: Mapped[int] = mapped_column(ForeignKey("hashes.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(96))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    ended_by: Mapped[str | None] = mapped_column(String(96))
    end_reason: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(String(16))


class AllowlistEntry(Base):
    """A known benign hash (a news photo, a meme): nothing within match distance is accepted."""

    __tablename__ = "allowlist"
    __table_args__ = (UniqueConstraint("algorithm", "value"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    algorithm: Mapped[str] = mapped_column(String(16))
    value: Mapped[bytes] = mapped_column(LargeBinary(64))
    reason: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(96))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # The picture this entry was derived from (issue 12); NULL for a value added on its own.
    picture_id: Mapped[int | None] = mapped_column(Id, index=True)


class AllowlistPicture(Base):
    """A benign picture an admin allowlisted: its entries are every hash a client could derive
    from it (stored variants, dihedral transforms, query hashes, pHash, MD5, SHA-256)."""

    __tablename__ = "allowlist_pictures"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    reason: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(96))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class FlagKind(enum.StrEnum):
    """What a review flag points a moderator at."""

    PHOTO = "photo"  # one platform alone judged its matches false positives
    PLATFORM = "platform"  # a platform's false-positive verdicts spiked


class ReviewFlag(Base):
    """Something a moderator should look at, that no automatic rule may act on alone."""

    __tablename__ = "review_flags"
    __table_args__ = (Index("ix_review_flags_kind_cleared_at", "kind", "cleared_at"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    photo_id: Mapped[int | None] = mapped_column(
        ForeignKey("photos.id", ondelete="CASCADE"), index=True
    )
    platform: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    cleared_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    cleared_by: Mapped[str | None] = mapped_column(String(96))


class ReviewSession(Base):
    """A moderator's signed-in browser: only the keyed hash of the cookie's token is stored."""

    __tablename__ = "review_sessions"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    api_key_id: Mapped[int] = mapped_column(
        ForeignKey("api_keys.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
