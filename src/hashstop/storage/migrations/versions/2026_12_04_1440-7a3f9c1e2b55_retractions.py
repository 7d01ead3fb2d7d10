"""Retractions: withdrawn values kept for a bounded time for value-keyed feeds (issue 17).

The StopNCII-shaped feed keys its records by hash value, so telling a follower to delete a
withdrawn hash needs its value after `hashes.value` is erased. `retractions` keeps it for
`HASHSTOP_RETRACTION_DAYS` at most. `hash_changes.created_at` gets an index: that feed starts
from a time.

Revision ID: 7a3f9c1e2b55
Revises: 7d3f9a1c5e22
Create Date: 2026-12-04 14:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7a3f9c1e2b55"
down_revision: str | None = "7d3f9a1c5e22"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "retractions",
        sa.Column("hash_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("algorithm", sa.String(length=16), nullable=False),
        sa.Column("value", sa.LargeBinary(length=64), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["hash_id"],
            ["hashes.id"],
            name=op.f("fk_retractions_hash_id_hashes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("hash_id", name=op.f("pk_retractions")),
    )
    op.create_index(
        op.f("ix_retractions_withdrawn_at"), "retractions", ["withdrawn_at"], unique=False
    )
    op.create_index("ix_hash_changes_created_at", "hash_changes", ["created_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_hash_changes_created_at", table_name="hash_changes")
    op.drop_index(op.f("ix_retractions_withdrawn_at"), table_name="retractions")
    op.drop_table("retractions")
