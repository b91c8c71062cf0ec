"""workflow definitions: the pack workflows permit cases follow, kept for restarts

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 21:06:24.062056
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import workflows.db

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "workflow_definitions",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("created_at", workflows.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_workflow_definitions")),
    )


def downgrade() -> None:
    op.drop_table("workflow_definitions")
