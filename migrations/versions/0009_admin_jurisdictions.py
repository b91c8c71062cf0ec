"""administrators' jurisdiction; who published each pack version

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 12:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("jurisdiction_code", sa.String(length=16), nullable=True))
    # Administrators made before scopes existed keep the reach they had: everything (federal, CA).
    op.execute("UPDATE users SET jurisdiction_code = 'CA' WHERE role = 'admin'")
    with op.batch_alter_table("pack_versions") as batch:
        batch.add_column(sa.Column("published_by_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_pack_versions_published_by_id_users"), "users", ["published_by_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("pack_versions") as batch:
        batch.drop_constraint(op.f("fk_pack_versions_published_by_id_users"), type_="foreignkey")
        batch.drop_column("published_by_id")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("jurisdiction_code")
