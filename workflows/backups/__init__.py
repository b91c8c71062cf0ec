"""Backups of Guichet's database, and restores into a fresh one (docs/backups.md).

SQLite is copied with its online backup API, PostgreSQL dumped with pg_dump's custom format:
each is one consistent snapshot taken while the app runs. A backup is checked before it gets
its final name and fingerprinted beside it; a restore checks the fingerprint and the whole
file before it touches the target, and refuses a target that already holds tables unless told
to replace them. Free of Flask, so the CLI, the tests and a script all use the same code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from workflows.backups import postgres, sqlite
from workflows.backups.files import (
    KINDS,
    BackupError,
    kind_of,
    recorded_checksum,
    sha256_of,
    write_checksum,
    written_atomically,
)
from workflows.backups.schema import Schema, bring_to_head
from workflows.db import normalize_database_url

__all__ = [
    "BackupError",
    "BackupFile",
    "Checked",
    "Schema",
    "back_up",
    "bring_to_head",
    "check_backup",
    "default_name",
    "restore",
    "shown",
]


@dataclass(frozen=True, slots=True)
class BackupFile:
    path: Path
    kind: str  # "sqlite" or "postgresql"
    size: int
    sha256: str


@dataclass(frozen=True, slots=True)
class Checked:
    """A backup file found whole: its kind, its SHA-256, and what that was compared with (None:
    nothing to compare with, so only the file's own structure was checked)."""

    kind: str
    sha256: str
    compared_with: str | None


def default_name(kind: str, now: datetime) -> str:
    """guichet-20261205T091500Z.sqlite: sorts by time, says when in UTC, and says what it holds."""
    return f"guichet-{now.astimezone(UTC):%Y%m%dT%H%M%SZ}{KINDS[kind]}"


def shown(database_url: str) -> str:
    """The URL as it may be printed: the password, if any, replaced by ***."""
    return make_url(database_url).render_as_string(hide_password=True)


def back_up(database_url: str, output: Path, now: datetime) -> BackupFile:
    """Back up the database at `database_url` into the file `output` or, when `output` is a
    folder, into a file named by `default_name` there. An existing file is never overwritten."""
    url = _url(database_url)
    kind = _kind(url)
    destination = output / default_name(kind, now) if output.is_dir() else output
    if destination.exists():
        raise BackupError(f"{destination} exists already: a backup never overwrites a file.")
    if not destination.parent.is_dir():
        raise BackupError(f"No folder {destination.parent} to write the backup into.")
    with written_atomically(destination) as temporary:
        if kind == "sqlite":
            sqlite.back_up(sqlite.database_path(url), temporary)
        else:
            postgres.back_up(url, temporary)
        digest = sha256_of(temporary)
    write_checksum(destination, digest)
    return BackupFile(destination, kind, destination.stat().st_size, digest)


def check_backup(path: Path, expected_sha256: str | None = None) -> Checked:
    """Refuse a file that is not a whole Guichet backup: a SHA-256 other than the one given (or
    else the one recorded beside it), or a file its database cannot read through."""
    kind = kind_of(path)
    digest = sha256_of(path)
    expected, source = expected_sha256, "the SHA-256 given"
    if expected is None:
        expected, source = recorded_checksum(path), f"{path.name}.sha256"
    if expected is not None and digest != expected.strip().lower():
        raise BackupError(
            f"{path} is damaged: its SHA-256 is {digest}, not {expected.strip().lower()} as {source} says."
        )
    if kind == "sqlite":
        sqlite.check(path)
    else:
        postgres.check(path)
    return Checked(kind, digest, source if expected is not None else None)


def restore(path: Path, into_url: str, *, force: bool = False, expected_sha256: str | None = None) -> Checked:
    """Check the backup whole, then restore it into the database `into_url` names, which must be
    empty (or missing: it is made) unless `force`. The schema and the books are checked after,
    by the caller (`bring_to_head`, then the ledger and audit verifications)."""
    url = _url(into_url)
    target_kind = _kind(url)
    checked = check_backup(path, expected_sha256)
    if checked.kind != target_kind:
        raise BackupError(
            f"{path} is a {_names[checked.kind]} backup: it restores into {_names[checked.kind]} only, "
            f"not into {_names[target_kind]}."
        )
    if target_kind == "sqlite":
        target = sqlite.database_path(url)
        if target.exists() and target.resolve() == path.resolve():
            raise BackupError("The backup file and the target database are the same file.")
        if not force and not sqlite.is_empty(target):
            raise BackupError(
                f"{target} is not empty. Restore into a new file, or pass --force to replace what it holds."
            )
        sqlite.restore(path, target)
    else:
        replace = postgres.prepare_target(url, force=force)
        postgres.restore(path, url, replace=replace)
    return checked


_names = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def _url(database_url: str) -> URL:
    return make_url(normalize_database_url(database_url))


def _kind(url: URL) -> str:
    backend = url.get_backend_name()
    if backend not in KINDS:
        raise BackupError(f"Guichet backs up SQLite and PostgreSQL databases, not {backend}.")
    return backend
