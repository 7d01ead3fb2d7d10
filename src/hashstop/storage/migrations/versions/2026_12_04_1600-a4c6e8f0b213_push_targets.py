"""Push mode: HMA banks kept equal to the hash list, and the content id of each pushed hash
(issue 17).

Revision ID: a4c6e8f0b213
Revises: 9d1e5f7a2c48
Create Date: 2026-12-04 16:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a4c6e8f0b213"
down_revision: str | None = "9d1e5f7a2c48"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "push_targets",
        sa.Column("id", ID, nullable=False),
        sa.Column("url", sa.String(length=512), nullable=False),
        sa.Column("bank", sa.String(length=64), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("high_water", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_push_targets")),
        sa.UniqueConstraint("url", "bank", name="uq_push_targets_url_bank"),
    )
    op.create_table(
        "push_entries",
        sa.Column("id", ID, nullable=False),
        sa.Column("target_id", ID, nullable=False),
        sa.Column("hash_id", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("content_id", sa.BigInteger(), nullable=True),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("floor", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["target_id"],
            ["push_targets.id"],
            name=op.f("fk_push_entries_target_id_push_targets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_push_entries")),
        sa.UniqueConstraint("target_id", "hash_id", name="uq_push_entries_target_id_hash_id"),
    )


def downgrade() -> None:
    op.drop_table("push_entries")
    op.drop_table("push_targets")
