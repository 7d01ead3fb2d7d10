"""Bank opinions: platforms' verdicts on matches of subscribed banks' hashes, queued to be sent
back to the bank's exchange through pytx's `report_opinion` (issue 17).

Revision ID: b5d7f9a1c324
Revises: a4c6e8f0b213
Create Date: 2026-12-04 17:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b5d7f9a1c324"
down_revision: str | None = "a4c6e8f0b213"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "bank_opinions",
        sa.Column("id", ID, nullable=False),
        sa.Column("subscription_id", ID, nullable=False),
        sa.Column("feedback_id", ID, nullable=False),
        sa.Column("hash_id", ID, nullable=False),
        sa.Column("verdict", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.id"],
            name=op.f("fk_bank_opinions_subscription_id_subscriptions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["feedback_id"],
            ["feedback.id"],
            name=op.f("fk_bank_opinions_feedback_id_feedback"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["hash_id"],
            ["hashes.id"],
            name=op.f("fk_bank_opinions_hash_id_hashes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_opinions")),
        sa.UniqueConstraint("feedback_id", "hash_id", name="uq_bank_opinions_feedback_id_hash_id"),
    )
    op.create_index(
        "ix_bank_opinions_subscription_id_state", "bank_opinions", ["subscription_id", "state"]
    )


def downgrade() -> None:
    op.drop_index("ix_bank_opinions_subscription_id_state", table_name="bank_opinions")
    op.drop_table("bank_opinions")
