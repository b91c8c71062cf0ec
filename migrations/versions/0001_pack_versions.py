"""pack versions

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-22 22:41:12.668607
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import workflows.db

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pack_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("jurisdiction_code", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("published_at", workflows.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pack_versions")),
        sa.UniqueConstraint(
            "jurisdiction_code", "version", name=op.f("uq_pack_versions_jurisdiction_code_version")
        ),
    )
    with op.batch_alter_table("pack_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pack_versions_active"), ["active"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_pack_versions_jurisdiction_code"), ["jurisdiction_code"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("pack_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pack_versions_jurisdiction_code"))
        batch_op.drop_index(batch_op.f("ix_pack_versions_active"))

    op.drop_table("pack_versions")
