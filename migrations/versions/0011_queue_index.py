"""the queue's index follows the queue's order and leaves closed permits out

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 07:10:00.000000

The queue page orders an agency's open tasks by due date (none last), then id. The old
index (agency, whose turn, due date) made the database sort every open task of the agency
to show 25 of them: half a second with 160,000 waiting. This one is in the page's order and
holds only the permits someone is waiting on, so a page reads 25 entries.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_permit_cases_queue", table_name="permit_cases")
    op.create_index(
        "ix_permit_cases_queue",
        "permit_cases",
        ["agency_code", "decision_due_at", "id"],
        postgresql_where=sa.text("waiting_on IS NOT NULL"),
        sqlite_where=sa.text("waiting_on IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_permit_cases_queue", table_name="permit_cases")
    op.create_index("ix_permit_cases_queue", "permit_cases", ["agency_code", "waiting_on", "decision_due_at"])
