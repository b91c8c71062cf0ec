"""PostgreSQL: pg_dump's custom format out, pg_restore in, both run as the installed client tools.

pg_dump reads the whole database in one repeatable-read transaction, so the dump is one
consistent snapshot while the app keeps writing. The password never goes on a command line
(where `ps` would show it) nor into a message: it reaches the tools in PGPASSWORD, and anything
they print is scrubbed of it before it is shown.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.pool import NullPool

from workflows.backups.files import BackupError
from workflows.db import make_engine


def back_up(url: URL, destination: Path) -> None:
    """Dump the database `url` names into `destination`, then read the dump back whole."""
    _run(
        url,
        "pg_dump",
        ["--format=custom", "--no-password", f"--file={destination}", f"--dbname={_conninfo(url)}"],
        f"pg_dump could not back up {_shown(url)}",
    )
    check(destination)


def check(path: Path) -> None:
    """Read the whole archive as pg_restore would, writing the SQL nowhere: a truncated or
    corrupted dump fails here, before anything is restored from it."""
    _run(None, "pg_restore", [f"--file={os.devnull}", str(path)], f"{path} is damaged or not a complete dump")


def prepare_target(url: URL, *, force: bool) -> bool:
    """Make sure the target database can take the restore; create it if it does not exist.

    Returns whether it already held tables (then only `force` lets the restore go ahead, and the
    restore drops and recreates the objects the dump holds)."""
    if _exists(url) is False:
        _create_database(url)
        return False
    engine = _engine(url)
    try:
        with engine.connect() as connection:
            tables = connection.scalar(
                text(
                    "SELECT count(*) FROM information_schema.tables "
                    "WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"
                )
            )
    except OperationalError as error:
        raise BackupError(f"Cannot connect to {_shown(url)}: {_scrub(str(error.orig), url)}") from None
    finally:
        engine.dispose()
    if tables and not force:
        raise BackupError(
            f"{_shown(url)} is not empty ({tables} tables). Restore into a new database, "
            "or pass --force to replace what it holds."
        )
    return bool(tables)


def restore(backup: Path, url: URL, *, replace: bool) -> None:
    """pg_restore the dump into `url` in one transaction: it all arrives, or nothing does.

    Owners and grants are not restored: the role running the restore owns what it creates,
    as a restore into a new server under a different role needs."""
    options = ["--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error", "--no-password"]
    if replace:
        options += ["--clean", "--if-exists"]
    _run(url, "pg_restore", [*options, f"--dbname={_conninfo(url)}", str(backup)], "pg_restore failed")
    engine = _engine(url)
    try:
        with engine.connect() as connection:
            connection.execute(text("ANALYZE"))  # pg_restore leaves the planner without statistics
            connection.commit()
    finally:
        engine.dispose()


def _exists(url: URL) -> bool | None:
    """Whether the server has the database, asked of its maintenance database; None when that
    cannot be asked (a role allowed into its own database only): connecting will tell."""
    engine = _engine(url.set(database="postgres"))
    try:
        with engine.connect() as connection:
            return bool(
                connection.scalar(
                    text("SELECT count(*) FROM pg_database WHERE datname = :name"), {"name": url.database}
                )
            )
    except OperationalError:
        return None
    finally:
        engine.dispose()


def _create_database(url: URL) -> None:
    maintenance = _engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    name = maintenance.dialect.identifier_preparer.quote(url.database)
    try:
        with maintenance.connect() as connection:
            connection.execute(text(f"CREATE DATABASE {name}"))
    except DBAPIError as error:
        raise BackupError(
            f"{_shown(url)} does not exist and could not be created ({_scrub(str(error.orig), url)}); "
            "create it with createdb, then restore again."
        ) from None
    finally:
        maintenance.dispose()


def _engine(url: URL, **options) -> Engine:
    return make_engine(url.render_as_string(hide_password=False), poolclass=NullPool, **options)


def _run(url: URL | None, program: str, arguments: list[str], failure: str) -> None:
    executable = shutil.which(program)
    if executable is None:
        raise BackupError(
            f"{program} is not installed (or not on PATH). Install PostgreSQL's client tools, of the "
            "server's major version or newer (Debian: apt-get install postgresql-client)."
        )
    environment = dict(os.environ)
    if url is not None and url.password:
        environment["PGPASSWORD"] = str(url.password)
    completed = subprocess.run(
        [executable, *arguments], env=environment, capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        said = _scrub((completed.stderr or completed.stdout).strip(), url)
        if completed.returncode < 0:  # pg_restore 15 can crash on a corrupted archive
            said = f"{program} was killed by signal {-completed.returncode}. {said}".strip()
        raise BackupError(f"{failure} (exit {completed.returncode}): {said}")


def _conninfo(url: URL) -> str:
    """The libpq URI the tools connect with: the same server, role, database and options, no password."""
    without_password = URL.create(  # url.set(password=None) would keep the password: None means "unchanged"
        "postgresql", url.username, None, url.host, url.port, url.database, url.query
    )
    return without_password.render_as_string(hide_password=False)


def _shown(url: URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=True)


def _scrub(message: str, url: URL | None) -> str:
    if url is not None and url.password:
        message = message.replace(str(url.password), "***")
    return message
