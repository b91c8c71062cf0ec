"""satisfaction survey responses; an index for the service-quality figures

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 12:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import workflows.db

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "satisfaction_responses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("created_at", workflows.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("score BETWEEN 1 AND 5", name=op.f("ck_satisfaction_responses_score_range")),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_satisfaction_responses_application_id_applications"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_satisfaction_responses")),
        sa.UniqueConstraint("application_id", name=op.f("uq_satisfaction_responses_application_id")),
    )
    with op.batch_alter_table("satisfaction_responses", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_satisfaction_responses_created_at"), ["created_at"], unique=False
        )
    with op.batch_alter_table("permit_events", schema=None) as batch_op:
        batch_op.create_index("ix_permit_events_event_at", ["event", "at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("permit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_permit_events_event_at")
    with op.batch_alter_table("satisfaction_responses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_satisfaction_responses_created_at"))
    op.drop_table("satisfaction_responses")
