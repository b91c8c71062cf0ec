"""`flask backup` and `flask restore`: a consistent copy of the database taken while the app
runs, and a restore into a fresh database that proves itself (docs/backups.md).

A restore is only worth something if the books and the audit log survived it, so `restore`
ends by running the same checks as `flask ledger verify` and `flask audit verify` on the
restored database, and exits 1 if either fails: a scheduler running a test restore notices.
"""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from workflows import audit
from workflows.backups import BackupError, back_up, bring_to_head, restore, shown
from workflows.db import make_engine, utcnow
from workflows.payments import verify as verify_ledger
from workflows.payments.models import LedgerTransaction, Payment


@click.command("backup")
@click.option(
    "--output",
    type=click.Path(file_okay=True, dir_okay=True, writable=True, path_type=Path),
    help="The file to write, or a folder to write guichet-<UTC time>.sqlite (or .pgdump) into. "
    "Default: the backups folder in the instance folder.",
)
@with_appcontext
def backup_command(output: Path | None) -> None:
    """Back up the database (SQLite: online backup API; PostgreSQL: pg_dump --format=custom) into a
    file checked before it gets its name, with its SHA-256 beside it."""
    url = current_app.config["DATABASE_URL"]
    if output is None:
        output = Path(current_app.instance_path) / "backups"
        output.mkdir(mode=0o700, parents=True, exist_ok=True)
    click.echo(f"Backing up {shown(url)}")
    try:
        made = back_up(url, output, utcnow())
    except BackupError as error:
        click.echo(f"Backup failed: {error}", err=True)
        raise SystemExit(1) from None
    click.echo(f"Backup written: {made.path}")
    click.echo(f"  size: {made.size} bytes")
    click.echo(f"  sha256: {made.sha256} (also in {made.path.name}.sha256)")


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--into",
    "into_url",
    required=True,
    envvar="GUICHET_RESTORE_INTO",
    help="The database to restore into: a new SQLite file (sqlite:////path/file.sqlite) or a "
    "PostgreSQL database (made if missing). Read from GUICHET_RESTORE_INTO when not given, which "
    "keeps a password off the command line.",
)
@click.option("--force", is_flag=True, help="Replace what the target database holds already.")
@click.option(
    "--sha256",
    "expected",
    help="The SHA-256 `flask backup` printed. Default: the one in PATH.sha256, if that file is there.",
)
def restore_command(path: Path, into_url: str, force: bool, expected: str | None) -> None:
    """Check a backup whole, restore it into a fresh database, bring its schema up to date and
    verify its ledger and audit log; exit 1 if any step fails."""
    click.echo(f"Restoring {path} into {shown(into_url)}")
    try:
        checked = restore(path, into_url, force=force, expected_sha256=expected)
    except BackupError as error:
        click.echo(f"Restore refused: {error}", err=True)
        raise SystemExit(1) from None
    against = (
        f"matches {checked.compared_with}"
        if checked.compared_with
        else "nothing to compare it with: only the file's structure was checked"
    )
    click.echo(f"Backup checked: SHA-256 {checked.sha256} ({against})")
    engine = make_engine(into_url, poolclass=NullPool)
    try:
        schema = bring_to_head(engine)
        if schema.upgraded:
            click.echo(f"Schema upgraded from {schema.restored_at} to {schema.head}")
        else:
            click.echo(f"Schema at {schema.head}, the newest")
        sound = _verify(engine)
    except BackupError as error:
        click.echo(f"Restored, but not usable: {error}", err=True)
        raise SystemExit(1) from None
    finally:
        engine.dispose()
    if not sound:
        click.echo("The restored database does not verify: do not put it in service.", err=True)
        raise SystemExit(1)
    click.echo("Restore verified.")


def _verify(engine: Engine) -> bool:
    """`flask ledger verify` and `flask audit verify` on the restored database, with their output."""
    with Session(engine) as session:
        problems = verify_ledger(session)
        transactions = session.scalar(select(func.count()).select_from(LedgerTransaction))
        payments = session.scalar(select(func.count()).where(Payment.status == "succeeded"))
        chain = audit.verify(session)
    if problems:
        click.echo(f"Ledger has {len(problems)} problem(s):", err=True)
        for problem in problems:
            click.echo(f"  {problem}", err=True)
    else:
        click.echo(f"Ledger OK: {transactions} transactions, {payments} payments")
    if chain.problem is not None:
        click.echo(f"Audit log broken at {chain.problem}", err=True)
    else:
        click.echo(f"Audit log OK: {chain.entries} entries")
        if chain.last_id is not None:
            click.echo(f"Newest entry: {chain.last_id}:{chain.last_hash}")
    return not problems and chain.problem is None
