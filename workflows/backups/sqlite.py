"""SQLite: copies made with SQLite's online backup API, never by copying the file.

Copying the database file while the app writes can catch a transaction half on disk, or
miss what sits in a write-ahead log. The backup API reads the database inside one read
transaction, as any other reader would: the copy is the database as of one commit, and the
app's writers carry on (in the default rollback-journal mode a writer's commit waits for the
copy to finish; in WAL mode it does not wait at all).
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from sqlalchemy.engine import URL

from workflows.backups.files import BackupError

BUSY_TIMEOUT_SECONDS = 30.0  # how long to wait for a writer's commit before giving up


def database_path(url: URL) -> Path:
    """The file an sqlite:/// URL names; an in-memory database has nothing to back up or restore into."""
    if not url.database or url.database == ":memory:" or url.database.startswith("file::memory:"):
        raise BackupError("The database is an in-memory SQLite database: there is no file to back up.")
    return Path(url.database)


def back_up(source: Path, destination: Path) -> None:
    """Copy the live database at `source` into a new file at `destination`, then check the copy."""
    if not source.is_file():
        raise BackupError(f"No SQLite database at {source}.")
    with closing(_open(source, "rw")) as live, closing(sqlite3.connect(destination)) as copy:
        try:
            live.backup(copy)
        except sqlite3.Error as error:
            raise BackupError(f"SQLite could not copy {source}: {error}") from None
    check(destination)


def check(path: Path) -> None:
    """Refuse a file SQLite finds damaged (a truncated or corrupted copy) or that holds no Guichet
    schema (no Alembic version table)."""
    try:
        with closing(_open(path, "ro")) as connection:
            problems = [row[0] for row in connection.execute("PRAGMA integrity_check(20)")]
            versioned = connection.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
            ).fetchone()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path} is damaged: SQLite cannot read it ({error}).") from None
    if problems != ["ok"]:
        raise BackupError(f"{path} is damaged: SQLite's integrity check found " + "; ".join(problems))
    if versioned is None:
        raise BackupError(f"{path} is an SQLite database but not Guichet's: it has no alembic_version table.")


def is_empty(path: Path) -> bool:
    """Whether `path` holds no table at all (a missing or zero-length file is empty)."""
    if not path.exists() or path.stat().st_size == 0:
        return True
    try:
        with closing(_open(path, "ro")) as connection:
            tables = connection.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path} exists and SQLite cannot read it ({error}); move it away first.") from None
    return tables[0] == 0


def restore(backup: Path, target: Path) -> None:
    """Write the backup's database into `target` through SQLite itself.

    The backup API replaces the target's whole content in one transaction on the target, so a
    failure leaves the target as it was, and a `-wal` or `-journal` file beside it is handled by
    SQLite rather than left to corrupt the new content.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    with closing(_open(backup, "ro")) as source, closing(sqlite3.connect(target)) as destination:
        destination.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
        try:
            source.backup(destination)
        except sqlite3.Error as error:
            raise BackupError(f"SQLite could not write {target}: {error}") from None


def _open(path: Path, mode: str) -> sqlite3.Connection:
    """Open an existing file only (mode "ro" or "rw"): a mistyped path must not create an empty database."""
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode={mode}", uri=True, timeout=BUSY_TIMEOUT_SECONDS)
