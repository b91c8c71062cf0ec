"""Backup files on disk: written whole or not at all, fingerprinted, and recognised by their
first bytes rather than their name.

A file that is half written (a full disk, a killed process) must never be taken for a good
backup, so every backup is written under a temporary name in the destination folder and only
renamed to its final name once it is complete and checked. The SHA-256 written beside it (in
`sha256sum` format) lets a restore, or `sha256sum -c`, refuse a copy damaged later in storage.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"  # pg_dump --format=custom
KINDS = {"sqlite": ".sqlite", "postgresql": ".pgdump"}


class BackupError(Exception):
    """A backup or restore that was refused or failed; the message tells the operator why."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def checksum_path(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def write_checksum(path: Path, digest: str) -> Path:
    """PATH.sha256 beside the backup, in the format `sha256sum -c` reads."""
    target = checksum_path(path)
    with written_atomically(target) as temporary:
        temporary.write_text(f"{digest}  {path.name}\n", encoding="ascii")
    return target


def recorded_checksum(path: Path) -> str | None:
    """The SHA-256 written beside the backup when it was made, if that file is still there."""
    target = checksum_path(path)
    if not target.exists():
        return None
    fields = target.read_text(encoding="ascii", errors="replace").split()
    if not fields or len(fields[0]) != 64:
        raise BackupError(f"{target} does not hold a SHA-256: cannot check the backup against it.")
    return fields[0].lower()


def kind_of(path: Path) -> str:
    """ "sqlite" or "postgresql", from the file's first bytes; anything else is refused."""
    if not path.is_file():
        raise BackupError(f"No backup file at {path}.")
    with path.open("rb") as stream:
        head = stream.read(len(SQLITE_MAGIC))
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_DUMP_MAGIC):
        return "postgresql"
    raise BackupError(
        f"{path} is not a Guichet backup: it is neither an SQLite database nor a pg_dump "
        "custom-format archive."
    )


@contextmanager
def written_atomically(final: Path) -> Iterator[Path]:
    """An empty temporary file beside `final`, renamed to `final` if the block succeeds (after its
    bytes reach the disk) and deleted if it fails, so `final` is never a partial file. Only its
    owner may read it: a backup holds people's data and the books."""
    temporary = final.with_name(f".{final.name}.partial-{os.getpid()}")
    temporary.unlink(missing_ok=True)
    os.close(
        os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    )  # its owner only, from the start
    try:
        yield temporary
        _sync(temporary)
        os.replace(temporary, final)
        _sync(final.parent)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _sync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
