"""Banks: hashes imported under a name by an admin, held as a case row with `bank` set (issue 17).

Revision ID: 8c2d4e6f1a37
Revises: 7a3f9c1e2b55
Create Date: 2026-12-04 15:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8c2d4e6f1a37"
down_revision: str | None = "7a3f9c1e2b55"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("cases", sa.Column("bank", sa.String(length=64), nullable=True))
    op.create_index("ix_cases_bank", "cases", ["bank"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_cases_bank", table_name="cases")
    # A plain DROP COLUMN (SQLite 3.35+), never a batch rebuild: rebuilding `cases` on SQLite
    # would cascade-delete every photo and hash.
    op.execute("ALTER TABLE cases DROP COLUMN bank")
