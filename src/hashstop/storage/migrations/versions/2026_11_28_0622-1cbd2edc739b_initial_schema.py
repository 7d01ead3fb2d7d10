"""Initial schema: cases, photos, hashes, change log, keys, match records, feedback, audit log.

Revision ID: 1cbd2edc739b
Revises:
Create Date: 2026-11-28 06:22:19
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# 64-bit ids on PostgreSQL; SQLite only auto-increments an INTEGER PRIMARY KEY.
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

revision: str = "1cbd2edc739b"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", ID, nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("platform", sa.String(length=64), nullable=True),
        sa.Column("scope_platform", sa.String(length=64), nullable=True),
        sa.Column("token_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("name", name=op.f("uq_api_keys_name")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_keys_token_hash")),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", ID, nullable=False),
        sa.Column("actor", sa.String(length=96), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=96), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("details", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index(op.f("ix_audit_log_created_at"), "audit_log", ["created_at"], unique=False)

    op.create_table(
        "cases",
        sa.Column("id", ID, nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("secret_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
        sa.UniqueConstraint("public_id", name=op.f("uq_cases_public_id")),
    )
    op.create_table(
        "match_records",
        sa.Column("id", ID, nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("api_key_id", ID, nullable=False),
        sa.Column("platform", sa.String(length=64), nullable=False),
        sa.Column("ref", sa.String(length=256), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["api_key_id"], ["api_keys.id"], name=op.f("fk_match_records_api_key_id_api_keys")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_records")),
        sa.UniqueConstraint("public_id", name=op.f("uq_match_records_public_id")),
    )
    op.create_index(
        "ix_match_records_platform_created_at",
        "match_records",
        ["platform", "created_at"],
        unique=False,
    )

    op.create_table(
        "photos",
        sa.Column("id", ID, nullable=False),
        sa.Column("case_id", ID, nullable=False),
        sa.Column("client_key", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_photos_case_id_cases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_photos")),
        sa.UniqueConstraint("case_id", "client_key", name=op.f("uq_photos_case_id_client_key")),
    )
    op.create_index(op.f("ix_photos_case_id"), "photos", ["case_id"], unique=False)

    op.create_table(
        "feedback",
        sa.Column("id", ID, nullable=False),
        sa.Column("match_id", ID, nullable=False),
        sa.Column("verdict", sa.String(length=16), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("api_key_id", ID, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["api_key_id"], ["api_keys.id"], name=op.f("fk_feedback_api_key_id_api_keys")
        ),
        sa.ForeignKeyConstraint(
            ["match_id"],
            ["match_records.id"],
            name=op.f("fk_feedback_match_id_match_records"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback")),
    )
    op.create_index(op.f("ix_feedback_match_id"), "feedback", ["match_id"], unique=False)

    op.create_table(
        "hashes",
        sa.Column("id", ID, nullable=False),
        sa.Column("case_id", ID, nullable=False),
        sa.Column("photo_id", ID, nullable=False),
        sa.Column("algorithm", sa.String(length=16), nullable=False),
        sa.Column("value", sa.LargeBinary(length=64), nullable=True),
        sa.Column("quality", sa.SmallInteger(), nullable=True),
        sa.Column("variant", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_hashes_case_id_cases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["photo_id"], ["photos.id"], name=op.f("fk_hashes_photo_id_photos"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hashes")),
        sa.UniqueConstraint(
            "case_id", "algorithm", "value", name=op.f("uq_hashes_case_id_algorithm_value")
        ),
    )
    op.create_index(op.f("ix_hashes_photo_id"), "hashes", ["photo_id"], unique=False)
    op.create_index("ix_hashes_status_algorithm", "hashes", ["status", "algorithm"], unique=False)

    op.create_table(
        "hash_changes",
        sa.Column("seq", ID, autoincrement=False, nullable=False),
        sa.Column("hash_id", ID, nullable=False),
        sa.Column("algorithm", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["hash_id"],
            ["hashes.id"],
            name=op.f("fk_hash_changes_hash_id_hashes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_hash_changes")),
    )
    op.create_index("ix_hash_changes_hash_id", "hash_changes", ["hash_id"], unique=False)

    op.create_table(
        "match_hits",
        sa.Column("match_id", ID, nullable=False),
        sa.Column("hash_id", ID, nullable=False),
        sa.Column("algorithm", sa.String(length=16), nullable=False),
        sa.Column("distance", sa.SmallInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["hash_id"],
            ["hashes.id"],
            name=op.f("fk_match_hits_hash_id_hashes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["match_id"],
            ["match_records.id"],
            name=op.f("fk_match_hits_match_id_match_records"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("match_id", "hash_id", name=op.f("pk_match_hits")),
    )
    op.create_index(op.f("ix_match_hits_hash_id"), "match_hits", ["hash_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_match_hits_hash_id"), table_name="match_hits")

    op.drop_table("match_hits")
    op.drop_index("ix_hash_changes_hash_id", table_name="hash_changes")

    op.drop_table("hash_changes")
    op.drop_index("ix_hashes_status_algorithm", table_name="hashes")
    op.drop_index(op.f("ix_hashes_photo_id"), table_name="hashes")

    op.drop_table("hashes")
    op.drop_index(op.f("ix_feedback_match_id"), table_name="feedback")

    op.drop_table("feedback")
    op.drop_index(op.f("ix_photos_case_id"), table_name="photos")

    op.drop_table("photos")
    op.drop_index("ix_match_records_platform_created_at", table_name="match_records")

    op.drop_table("match_records")
    op.drop_table("cases")
    op.drop_index(op.f("ix_audit_log_created_at"), table_name="audit_log")

    op.drop_table("audit_log")
    op.drop_table("api_keys")
