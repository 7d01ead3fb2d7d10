"""Review flags (a photo or a platform a moderator should look at) and allowlisted pictures.

`review_flags`: a photo that one platform alone calls a false positive is flagged, not
suspended, and a platform whose false-positive verdicts spike is flagged too (issue 12, attack
1); a moderator clears a flag. `allowlist_pictures` groups the allowlist entries derived from one
picture (issue 12, attack 2): `allowlist.picture_id` names it (NULL for entries added as a single
value). No foreign key on the new column: SQLite cannot add one without rebuilding the table;
the service deletes a picture's entries with it.

Revision ID: 7d3a9c4e2f61
Revises: 5b1e7c2d9a40
Create Date: 2026-12-04 14:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7d3a9c4e2f61"
down_revision: str | None = "5b1e7c2d9a40"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "review_flags",
        sa.Column("id", _ID, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("photo_id", _ID, nullable=True),
        sa.Column("platform", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cleared_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cleared_by", sa.String(length=96), nullable=True),
        sa.ForeignKeyConstraint(
            ["photo_id"],
            ["photos.id"],
            name=op.f("fk_review_flags_photo_id_photos"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_flags")),
    )
    op.create_index(
        "ix_review_flags_kind_cleared_at", "review_flags", ["kind", "cleared_at"], unique=False
    )
    op.create_index(op.f("ix_review_flags_photo_id"), "review_flags", ["photo_id"], unique=False)
    op.create_table(
        "allowlist_pictures",
        sa.Column("id", _ID, nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=96), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_allowlist_pictures")),
    )
    op.add_column("allowlist", sa.Column("picture_id", _ID, nullable=True))
    op.create_index(op.f("ix_allowlist_picture_id"), "allowlist", ["picture_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_allowlist_picture_id"), table_name="allowlist")
    op.drop_column("allowlist", "picture_id")
    op.drop_table("allowlist_pictures")
    op.drop_index(op.f("ix_review_flags_photo_id"), table_name="review_flags")
    op.drop_index("ix_review_flags_kind_cleared_at", table_name="review_flags")
    op.drop_table("review_flags")
