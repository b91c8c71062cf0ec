"""pack versions record the JSON Schema check their text passed at publication

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 09:00:00.000000

Versions published before are left without a stamp: workers check their texts in full, as
before, until the next publication (`flask packs load` of the same files is enough) stamps them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("pack_versions") as batch:
        batch.add_column(sa.Column("schema_check", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("pack_versions") as batch:
        batch.drop_column("schema_check")
