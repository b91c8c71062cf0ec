"""permit cases

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 23:44:25.651992
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import workflows.db

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "permit_cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("permit_code", sa.String(length=64), nullable=False),
        sa.Column("jurisdiction_code", sa.String(length=16), nullable=False),
        sa.Column("workflow", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=64), nullable=False),
        sa.Column("prerequisites", sa.JSON(), nullable=False),
        sa.Column("fee_cents", sa.Integer(), nullable=False),
        sa.Column("paid_at", workflows.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("due_at", workflows.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", workflows.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", workflows.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"], ["applications.id"], name=op.f("fk_permit_cases_application_id_applications")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_permit_cases")),
        sa.UniqueConstraint(
            "application_id", "permit_code", name=op.f("uq_permit_cases_application_id_permit_code")
        ),
    )
    with op.batch_alter_table("permit_cases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_permit_cases_application_id"), ["application_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_permit_cases_state"), ["state"], unique=False)

    op.create_table(
        "permit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("permit_case_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("event", sa.String(length=64), nullable=False),
        sa.Column("from_state", sa.String(length=64), nullable=False),
        sa.Column("to_state", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("at", workflows.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], name=op.f("fk_permit_events_actor_id_users")),
        sa.ForeignKeyConstraint(
            ["permit_case_id"], ["permit_cases.id"], name=op.f("fk_permit_events_permit_case_id_permit_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_permit_events")),
    )
    with op.batch_alter_table("permit_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_permit_events_actor_id"), ["actor_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_permit_events_permit_case_id"), ["permit_case_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("permit_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_permit_events_permit_case_id"))
        batch_op.drop_index(batch_op.f("ix_permit_events_actor_id"))

    op.drop_table("permit_events")
    with op.batch_alter_table("permit_cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_permit_cases_state"))
        batch_op.drop_index(batch_op.f("ix_permit_cases_application_id"))

    op.drop_table("permit_cases")
