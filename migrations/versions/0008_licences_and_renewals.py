"""licences, renewals, renewal reminders; permits' issue and expiry; renewal invoices

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 11:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import workflows.db

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "licences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("issued_at", workflows.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("signature", sa.String(length=128), nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("superseded_at", workflows.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", workflows.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["application_id"], ["applications.id"], name=op.f("fk_licences_application_id_applications")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_licences")),
        sa.UniqueConstraint("application_id", "version", name=op.f("uq_licences_application_id_version")),
        sa.UniqueConstraint("number", name=op.f("uq_licences_number")),
    )
    with op.batch_alter_table("licences", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_licences_application_id"), ["application_id"], unique=False)

    op.create_table(
        "renewals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("requested_by", sa.Integer(), nullable=False),
        sa.Column("permit_codes", sa.JSON(), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("created_at", workflows.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("completed_at", workflows.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["application_id"], ["applications.id"], name=op.f("fk_renewals_application_id_applications")
        ),
        sa.ForeignKeyConstraint(["requested_by"], ["users.id"], name=op.f("fk_renewals_requested_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_renewals")),
    )
    with op.batch_alter_table("renewals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_renewals_application_id"), ["application_id"], unique=False)

    op.create_table(
        "renewal_reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("permit_case_id", sa.Integer(), nullable=False),
        sa.Column("expires_at", workflows.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("days_before", sa.Integer(), nullable=False),
        sa.Column("sent_at", workflows.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["permit_case_id"],
            ["permit_cases.id"],
            name=op.f("fk_renewal_reminders_permit_case_id_permit_cases"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_renewal_reminders")),
        sa.UniqueConstraint(
            "permit_case_id",
            "expires_at",
            "days_before",
            name=op.f("uq_renewal_reminders_permit_case_id_expires_at_days_before"),
        ),
    )
    with op.batch_alter_table("renewal_reminders", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_renewal_reminders_permit_case_id"), ["permit_case_id"], unique=False
        )

    with op.batch_alter_table("permit_cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("issued_at", workflows.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("expires_at", workflows.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_permit_cases_expires_at"), ["expires_at"], unique=False)

    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("renewal_id", sa.Integer(), nullable=True))
        batch_op.drop_constraint("uq_invoices_application_id", type_="unique")
        batch_op.create_index(batch_op.f("ix_invoices_application_id"), ["application_id"], unique=False)
        batch_op.create_unique_constraint(batch_op.f("uq_invoices_renewal_id"), ["renewal_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_invoices_renewal_id_renewals"), "renewals", ["renewal_id"], ["id"]
        )
    op.create_index(
        "uq_invoices_first_bill",
        "invoices",
        ["application_id"],
        unique=True,
        sqlite_where=sa.text("renewal_id IS NULL"),
        postgresql_where=sa.text("renewal_id IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("uq_invoices_first_bill", table_name="invoices")
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_invoices_renewal_id_renewals"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("uq_invoices_renewal_id"), type_="unique")
        batch_op.drop_index(batch_op.f("ix_invoices_application_id"))
        batch_op.create_unique_constraint("uq_invoices_application_id", ["application_id"])
        batch_op.drop_column("renewal_id")

    with op.batch_alter_table("permit_cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_permit_cases_expires_at"))
        batch_op.drop_column("expires_at")
        batch_op.drop_column("issued_at")

    with op.batch_alter_table("renewal_reminders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_renewal_reminders_permit_case_id"))
    op.drop_table("renewal_reminders")
    with op.batch_alter_table("renewals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_renewals_application_id"))
    op.drop_table("renewals")
    with op.batch_alter_table("licences", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_licences_application_id"))
    op.drop_table("licences")
