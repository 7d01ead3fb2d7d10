"""Photo public ids: a match result and the hash list name the photo a hash belongs to.

`photos.public_id` is a random reference ("p_" and 16 hex digits) a platform may see; the
client's grouping key stays private. Existing photos get one here. The column stays nullable in
the schema: on SQLite, NOT NULL would need the table rebuilt, and dropping the old `photos`
table would cascade-delete every hash (the application always sets it).

Revision ID: 5b1e7c2d9a40
Revises: 984952c131d0
Create Date: 2026-11-28 09:50:00
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5b1e7c2d9a40"
down_revision: str | None = "984952c131d0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH = 1000


def upgrade() -> None:
    op.add_column("photos", sa.Column("public_id", sa.String(length=24), nullable=True))
    connection = op.get_bind()
    photos = sa.table("photos", sa.column("id", sa.Integer), sa.column("public_id", sa.String))
    while True:
        ids = connection.execute(
            sa.select(photos.c.id).where(photos.c.public_id.is_(None)).limit(_BATCH)
        ).scalars()
        rows = [{"photo_id": i, "ref": "p_" + secrets.token_hex(8)} for i in ids]
        if not rows:
            break
        connection.execute(
            photos.update()
            .where(photos.c.id == sa.bindparam("photo_id"))
            .values(public_id=sa.bindparam("ref")),
            rows,
        )
    op.create_index("ix_photos_public_id", "photos", ["public_id"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_photos_public_id", table_name="photos")
    op.drop_column("photos", "public_id")
