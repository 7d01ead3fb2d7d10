"""Subscriptions: banks fed from other exchanges through pytx, and which record brought which
hash (issue 17).

Revision ID: 9d1e5f7a2c48
Revises: 8c2d4e6f1a37
Create Date: 2026-12-04 15:05:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9d1e5f7a2c48"
down_revision: str | None = "8c2d4e6f1a37"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "subscriptions",
        sa.Column("id", ID, nullable=False),
        sa.Column("bank", sa.String(length=64), nullable=False),
        sa.Column("api", sa.String(length=64), nullable=False),
        sa.Column("collab", sa.Text(), nullable=False),
        sa.Column("checkpoint", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscriptions")),
        sa.UniqueConstraint("bank", name=op.f("uq_subscriptions_bank")),
    )
    op.create_table(
        "bank_entries",
        sa.Column("id", ID, nullable=False),
        sa.Column("subscription_id", ID, nullable=False),
        sa.Column("key", sa.String(length=512), nullable=False),
        sa.Column("hash_id", ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.id"],
            name=op.f("fk_bank_entries_subscription_id_subscriptions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["hash_id"],
            ["hashes.id"],
            name=op.f("fk_bank_entries_hash_id_hashes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_entries")),
    )
    op.create_index(
        "ix_bank_entries_subscription_id_key", "bank_entries", ["subscription_id", "key"]
    )
    op.create_index(op.f("ix_bank_entries_hash_id"), "bank_entries", ["hash_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_bank_entries_hash_id"), table_name="bank_entries")
    op.drop_index("ix_bank_entries_subscription_id_key", table_name="bank_entries")
    op.drop_table("bank_entries")
    op.drop_table("subscriptions")
