"""Hash list batches: the feed is published in closed batches that mix cases (issue 12).

`hashlist_batches` holds each batch's last change-log seq, how many cases it mixes and when it
was closed. The change log entries already there become batches of at most 5,000 entries here,
with `cases` -1: they keep their order, so a cursor a platform holds from before stays exact.

Revision ID: 7d3f9a1c5e22
Revises: 7d3a9c4e2f61
Create Date: 2026-12-04 14:50:00
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "7d3f9a1c5e22"
down_revision: str | None = "7d3a9c4e2f61"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_BATCH = 5000


def upgrade() -> None:
    batches = op.create_table(
        "hashlist_batches",
        sa.Column("end_seq", ID, autoincrement=False, nullable=False),
        sa.Column("cases", sa.Integer(), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("end_seq", name=op.f("pk_hashlist_batches")),
    )
    head = op.get_bind().execute(sa.text("SELECT max(seq) FROM hash_changes")).scalar()
    if head:
        now = datetime.now(UTC)
        ends = [*range(_BATCH, int(head), _BATCH), int(head)]
        op.bulk_insert(batches, [{"end_seq": e, "cases": -1, "closed_at": now} for e in ends])


def downgrade() -> None:
    op.drop_table("hashlist_batches")
