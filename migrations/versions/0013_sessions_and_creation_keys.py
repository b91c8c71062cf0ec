"""sign-in sessions kept on the server, so that signing out ends every copy of a cookie; the
Idempotency-Key an application was created with over the API

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 13:00:00.000000

Cookies from before this revision carry no server-side session: their holders sign in again.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import workflows.db

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sign_in_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("sid_sha256", sa.String(length=64), nullable=False),
        sa.Column("started_at", workflows.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", workflows.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_sign_in_sessions_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_sessions")),
        sa.UniqueConstraint("sid_sha256", name=op.f("uq_sign_in_sessions_sid_sha256")),
    )
    with op.batch_alter_table("sign_in_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sign_in_sessions_user_id"), ["user_id"], unique=False)

    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("creation_key", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("creation_request_sha256", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_applications_owner_id_creation_key"), ["owner_id", "creation_key"]
        )


def downgrade() -> None:
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_applications_owner_id_creation_key"), type_="unique")
        batch_op.drop_column("creation_request_sha256")
        batch_op.drop_column("creation_key")
    with op.batch_alter_table("sign_in_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sign_in_sessions_user_id"))
    op.drop_table("sign_in_sessions")
