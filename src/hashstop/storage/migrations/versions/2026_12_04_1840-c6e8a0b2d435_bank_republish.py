"""Bank republishing policy: `cases.republish`, whether a bank's hashes go out in the feeds
(issue 17). Banks that exist keep being published as before (true); new subscribed or imported
banks are made with it off by the service.

Revision ID: c6e8a0b2d435
Revises: b5d7f9a1c324
Create Date: 2026-12-04 18:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c6e8a0b2d435"
down_revision: str | None = "b5d7f9a1c324"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "cases",
        sa.Column("republish", sa.Boolean(), nullable=False, server_default=sa.true()),
    )


def downgrade() -> None:
    # A plain DROP COLUMN (SQLite 3.35+), never a batch rebuild: rebuilding `cases` on SQLite
    # would cascade-delete every photo and hash.
    op.execute("ALTER TABLE cases DROP COLUMN republish")
