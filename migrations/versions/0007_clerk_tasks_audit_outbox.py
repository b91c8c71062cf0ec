"""clerk tasks, audit log, outbox, user language

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 23:04:12.705797
"""

from collections.abc import Sequence
from datetime import timedelta

import sqlalchemy as sa
from alembic import op

import workflows.db
from workflows.packs.loader import PackSource, load_pack_set

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", workflows.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=128), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], name=op.f("fk_audit_log_actor_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
        sa.UniqueConstraint("hash", name=op.f("uq_audit_log_hash")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_action"), ["action"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_log_actor_id"), ["actor_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_log_subject"), ["subject"], unique=False)
    _refuse_audit_log_changes()

    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=True),
        sa.Column("to_address", sa.String(length=254), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", workflows.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", workflows.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", workflows.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("failed_at", workflows.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["application_id"], ["applications.id"], name=op.f("fk_outbox_application_id_applications")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbox_application_id"), ["application_id"], unique=False)
        batch_op.create_index("ix_outbox_pending", ["sent_at", "failed_at", "next_attempt_at"], unique=False)

    with op.batch_alter_table("permit_cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("agency_code", sa.String(length=32), nullable=True))
        batch_op.add_column(
            sa.Column("decision_due_at", workflows.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("waiting_on", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("claimed_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("claimed_at", workflows.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("conditions", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.create_index(batch_op.f("ix_permit_cases_claimed_by_id"), ["claimed_by_id"], unique=False)
        batch_op.create_index(
            "ix_permit_cases_queue", ["agency_code", "waiting_on", "decision_due_at"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_permit_cases_claimed_by_id_users"), "users", ["claimed_by_id"], ["id"]
        )

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=2), nullable=False, server_default="en"))

    _fill_task_columns()


def _refuse_audit_log_changes() -> None:
    """The database itself refuses to change or delete audit entries, whoever asks (defence in
    depth: the chain still shows a change made by someone able to drop these triggers).
    A later migration that rebuilds audit_log on SQLite (batch mode) must make them again."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP; END $$"
        )
        op.execute(
            "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
            "FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change()"
        )
        op.execute(
            "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change()"
        )
    else:
        for operation in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_log_no_{operation.lower()} BEFORE {operation} ON audit_log "
                f"BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: {operation} refused'); END"
            )


def _fill_task_columns() -> None:
    """Cases opened before this revision: whose turn it is from their state, and their agency and
    due date from the packs in force (a permit no longer in them keeps none, so is in no queue)."""
    permit_cases = sa.table(
        "permit_cases",
        sa.column("id", sa.Integer),
        sa.column("application_id", sa.Integer),
        sa.column("jurisdiction_code", sa.String),
        sa.column("permit_code", sa.String),
        sa.column("state", sa.String),
        sa.column("agency_code", sa.String),
        sa.column("waiting_on", sa.String),
        sa.column("decision_due_at", workflows.db.UTCDateTime(timezone=True)),
    )
    applications = sa.table(
        "applications", sa.column("id", sa.Integer), sa.column("submitted_at", workflows.db.UTCDateTime())
    )
    frame = ("draft", "submitted", "paid", "approved", "rejected", "withdrawn")
    op.execute(
        permit_cases.update()
        .where(permit_cases.c.state.like("%\\_info\\_requested", escape="\\"))
        .values(waiting_on="applicant")
    )
    op.execute(
        permit_cases.update()
        .where(permit_cases.c.waiting_on.is_(None), permit_cases.c.state.not_in(frame))
        .values(waiting_on="clerk")
    )
    connection = op.get_bind()
    # The packs in force, read with this revision's columns (not the ORM's, which later
    # revisions extend).
    pack_versions = sa.table(
        "pack_versions", sa.column("filename", sa.String), sa.column("source", sa.Text), sa.column("active")
    )
    sources = [
        PackSource(row.filename, row.source)
        for row in connection.execute(sa.select(pack_versions).where(pack_versions.c.active.is_(True)))
    ]
    if not sources:
        return
    pack_set = load_pack_set(sources)
    permits = {
        (permit.jurisdiction.code, permit.code): permit
        for pack in pack_set.packs.values()
        for permit in pack.permits
    }
    rows = connection.execute(
        sa.select(
            permit_cases.c.id,
            permit_cases.c.jurisdiction_code,
            permit_cases.c.permit_code,
            applications.c.submitted_at,
        ).join(applications, applications.c.id == permit_cases.c.application_id)
    )
    for row in rows.all():
        permit = permits.get((row.jurisdiction_code, row.permit_code))
        if permit is None:
            continue
        due = row.submitted_at + timedelta(days=permit.processing_days) if row.submitted_at else None
        connection.execute(
            permit_cases.update()
            .where(permit_cases.c.id == row.id)
            .values(agency_code=permit.agency.code, decision_due_at=due)
        )


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("language")

    with op.batch_alter_table("permit_cases", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_permit_cases_claimed_by_id_users"), type_="foreignkey")
        batch_op.drop_index("ix_permit_cases_queue")
        batch_op.drop_index(batch_op.f("ix_permit_cases_claimed_by_id"))
        batch_op.drop_column("conditions")
        batch_op.drop_column("claimed_at")
        batch_op.drop_column("claimed_by_id")
        batch_op.drop_column("waiting_on")
        batch_op.drop_column("decision_due_at")
        batch_op.drop_column("agency_code")

    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_pending")
        batch_op.drop_index(batch_op.f("ix_outbox_application_id"))

    op.drop_table("outbox")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_log_no_truncate ON audit_log")
        op.execute("DROP TRIGGER audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION audit_log_refuse_change()")
    else:
        op.execute("DROP TRIGGER audit_log_no_delete")
        op.execute("DROP TRIGGER audit_log_no_update")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_subject"))
        batch_op.drop_index(batch_op.f("ix_audit_log_actor_id"))
        batch_op.drop_index(batch_op.f("ix_audit_log_action"))

    op.drop_table("audit_log")
