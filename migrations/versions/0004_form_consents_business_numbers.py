"""application form values, consents and assigned business numbers

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 21:00:28.992969
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import workflows.db

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "assigned_business_numbers",
        sa.Column("number", sa.String(length=9), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("assigned_at", workflows.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_assigned_business_numbers_application_id_applications"),
        ),
        sa.PrimaryKeyConstraint("number", name=op.f("pk_assigned_business_numbers")),
    )
    with op.batch_alter_table("assigned_business_numbers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_assigned_business_numbers_application_id"), ["application_id"], unique=False
        )

    op.create_table(
        "consents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("agency_code", sa.String(length=32), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("given_by", sa.Integer(), nullable=False),
        sa.Column("given_at", workflows.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"], ["applications.id"], name=op.f("fk_consents_application_id_applications")
        ),
        sa.ForeignKeyConstraint(["given_by"], ["users.id"], name=op.f("fk_consents_given_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consents")),
    )
    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_consents_application_id"), ["application_id"], unique=False)

    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("program_accounts", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("form_values", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("submitted_at", workflows.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("updated_at", workflows.db.UTCDateTime(timezone=True), nullable=True))
    # Applications made before this revision: no program account yet, an empty form.
    op.execute("UPDATE applications SET program_accounts = '[]', form_values = '{}', updated_at = created_at")
    with op.batch_alter_table("applications", schema=None) as batch_op:
        for column, kind in (("program_accounts", sa.JSON()), ("form_values", sa.JSON())):
            batch_op.alter_column(column, existing_type=kind, nullable=False)
        batch_op.alter_column(
            "updated_at", existing_type=workflows.db.UTCDateTime(timezone=True), nullable=False
        )


def downgrade() -> None:
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_column("updated_at")
        batch_op.drop_column("submitted_at")
        batch_op.drop_column("form_values")
        batch_op.drop_column("program_accounts")

    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consents_application_id"))

    op.drop_table("consents")
    with op.batch_alter_table("assigned_business_numbers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assigned_business_numbers_application_id"))

    op.drop_table("assigned_business_numbers")
