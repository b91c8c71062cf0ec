"""A restored database's schema: at the revision this code expects, or brought there.

A backup made by an older release restores into an older schema; the same migrations as
`flask db upgrade` bring it up to date. One made by a newer release holds a revision this code
does not know: it is refused rather than run against tables the code does not understand.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from workflows import migrate
from workflows.backups.files import BackupError


@dataclass(frozen=True, slots=True)
class Schema:
    restored_at: str  # the revision the backup held
    head: str  # the revision this code's migrations end at, which the database is now at

    @property
    def upgraded(self) -> bool:
        return self.restored_at != self.head


def bring_to_head(engine: Engine) -> Schema:
    """Check the restored revision and apply the migrations after it, as `flask db upgrade` would."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    script = ScriptDirectory.from_config(migrate.alembic_config(engine))
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    if current is None:
        raise BackupError("The restored database records no schema revision: it is not a Guichet database.")
    try:
        script.get_revision(current)
    except CommandError:
        raise BackupError(
            f"The backup's schema is at revision {current}, which this version of Guichet does not "
            "know: it was made by a newer release. Restore it with that release."
        ) from None
    head = script.get_current_head()
    if current != head:
        migrate.upgrade(engine)
    return Schema(restored_at=current, head=head)
