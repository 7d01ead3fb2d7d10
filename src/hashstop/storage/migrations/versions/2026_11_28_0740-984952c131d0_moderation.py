"""Moderation: decisions, hash suspensions, the allowlist, review sessions, queue indexes.

Also: `match_hits.created_at` (copied from its record, backfilled here) and an index on
(hash_id, created_at), so the quarantine counts a hash's recent hits from one index range.

Revision ID: 984952c131d0
Revises: 49edee4eb651
Create Date: 2026-11-28 07:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# 64-bit ids on PostgreSQL; SQLite only auto-increments an INTEGER PRIMARY KEY.
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

revision: str = "984952c131d0"
down_revision: str | None = "49edee4eb651"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("match_records") as batch:
        batch.add_column(sa.Column("decided_by", sa.String(length=16), nullable=True))
    op.create_index("ix_match_records_created_at", "match_records", ["created_at"], unique=False)
    op.create_index("ix_match_records_status_id", "match_records", ["status", "id"], unique=False)

    with op.batch_alter_table("feedback") as batch:
        batch.add_column(
            sa.Column("applied", sa.Boolean(), server_default=sa.true(), nullable=False)
        )

    with op.batch_alter_table("match_hits") as batch:
        batch.add_column(sa.Column("created_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE match_hits SET created_at = "
        "(SELECT created_at FROM match_records WHERE match_records.id = match_hits.match_id)"
    )
    with op.batch_alter_table("match_hits") as batch:
        batch.alter_column("created_at", existing_type=sa.DateTime(timezone=True), nullable=False)
    op.drop_index("ix_match_hits_hash_id", table_name="match_hits")
    op.create_index(
        "ix_match_hits_hash_id_created_at", "match_hits", ["hash_id", "created_at"], unique=False
    )

    op.create_table(
        "match_decisions",
        sa.Column("id", ID, nullable=False),
        sa.Column("match_id", ID, nullable=False),
        sa.Column("api_key_id", ID, nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("previous_status", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["api_key_id"], ["api_keys.id"], name=op.f("fk_match_decisions_api_key_id_api_keys")
        ),
        sa.ForeignKeyConstraint(
            ["match_id"],
            ["match_records.id"],
            name=op.f("fk_match_decisions_match_id_match_records"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_decisions")),
    )
    op.create_index(
        op.f("ix_match_decisions_match_id"), "match_decisions", ["match_id"], unique=False
    )

    op.create_table(
        "hash_suspensions",
        sa.Column("id", ID, nullable=False),
        sa.Column("hash_id", ID, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=96), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_by", sa.String(length=96), nullable=True),
        sa.Column("end_reason", sa.Text(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ["hash_id"],
            ["hashes.id"],
            name=op.f("fk_hash_suspensions_hash_id_hashes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hash_suspensions")),
    )
    op.create_index(
        op.f("ix_hash_suspensions_hash_id"), "hash_suspensions", ["hash_id"], unique=False
    )
    op.create_index(
        "ix_hash_suspensions_kind_ended_at",
        "hash_suspensions",
        ["kind", "ended_at"],
        unique=False,
    )

    op.create_table(
        "allowlist",
        sa.Column("id", ID, nullable=False),
        sa.Column("algorithm", sa.String(length=16), nullable=False),
        sa.Column("value", sa.LargeBinary(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=96), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_allowlist")),
        sa.UniqueConstraint("algorithm", "value", name=op.f("uq_allowlist_algorithm_value")),
    )

    op.create_table(
        "review_sessions",
        sa.Column("id", ID, nullable=False),
        sa.Column("token_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("api_key_id", ID, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["api_key_id"],
            ["api_keys.id"],
            name=op.f("fk_review_sessions_api_key_id_api_keys"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_review_sessions_token_hash")),
    )
    op.create_index(
        op.f("ix_review_sessions_api_key_id"), "review_sessions", ["api_key_id"], unique=False
    )
    op.create_index(
        op.f("ix_review_sessions_expires_at"), "review_sessions", ["expires_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_review_sessions_expires_at"), table_name="review_sessions")
    op.drop_index(op.f("ix_review_sessions_api_key_id"), table_name="review_sessions")
    op.drop_table("review_sessions")
    op.drop_table("allowlist")
    op.drop_index("ix_hash_suspensions_kind_ended_at", table_name="hash_suspensions")
    op.drop_index(op.f("ix_hash_suspensions_hash_id"), table_name="hash_suspensions")
    op.drop_table("hash_suspensions")
    op.drop_index(op.f("ix_match_decisions_match_id"), table_name="match_decisions")
    op.drop_table("match_decisions")

    op.drop_index("ix_match_hits_hash_id_created_at", table_name="match_hits")
    op.create_index("ix_match_hits_hash_id", "match_hits", ["hash_id"], unique=False)
    with op.batch_alter_table("match_hits") as batch:
        batch.drop_column("created_at")

    with op.batch_alter_table("feedback") as batch:
        batch.drop_column("applied")

    op.drop_index("ix_match_records_status_id", table_name="match_records")
    op.drop_index("ix_match_records_created_at", table_name="match_records")
    with op.batch_alter_table("match_records") as batch:
        batch.drop_column("decided_by")
