"""`flask backup` and `flask restore`, on SQLite always and on PostgreSQL when TEST_DATABASE_URL is set.

The source is a committed database with real activity (a licensed application, a paid one, a
submitted one: ledger entries, audit entries, licences, outbox messages), because a backup is
taken by another connection and must see what the app committed. Every restore goes into a
fresh database and is compared with the source table by table, row by row.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import sqlite3
import stat
import threading
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from click.testing import Result
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from app import create_app
from tests.conftest import IN_CI, SIGNING_KEY
from tests.factories import licensed_application, paid_application, submitted_application, user
from workflows import audit, migrate
from workflows.applications import lock_application
from workflows.db import make_engine, utcnow
from workflows.payments import SimulatedGateway, agency_balances, pay
from workflows.payments.models import Payment

NAME = re.compile(r"guichet-\d{8}T\d{6}Z\.(sqlite|pgdump)")


@pytest.fixture(scope="module")
def source(committing_database: Engine) -> Engine:
    """The module's database with committed activity of every kind the books and the log hold."""
    with flask(url_of(committing_database)), Session(committing_database) as session, session.begin():
        licensed_application(session, user(session))  # the app configures the key licences are signed with
        paid_application(session, user(session))
        submitted_application(session, user(session))
    return committing_database


@pytest.fixture
def fresh(source: Engine, fresh_database: Callable[[str], str]) -> Callable[[], str]:
    """A new, empty database on the source's backend, as a URL: where a restore goes."""
    return lambda: fresh_database(source.dialect.name)


@contextmanager
def flask(url: str) -> Iterator[Callable[..., Result]]:
    """Run `flask ...` commands against the database at `url`, as an operator would."""
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": url,
            "SECRET_KEY": "test-secret-key",
            "PACKS_REFRESH_SECONDS": 0,
            "LICENCE_SIGNING_KEY": SIGNING_KEY,
        }
    )
    runner = app.test_cli_runner()
    try:
        yield lambda *args: runner.invoke(args=list(args))
    finally:
        app.extensions["guichet.db"].engine.dispose()


@contextmanager
def engine_at(url: str) -> Iterator[Engine]:
    engine = make_engine(url, poolclass=NullPool)
    try:
        yield engine
    finally:
        engine.dispose()


def url_of(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def back_up(engine: Engine, folder: Path) -> Path:
    with flask(url_of(engine)) as run:
        result = run("backup", "--output", str(folder))
    assert result.exit_code == 0, result.output
    return Path(re.search(r"Backup written: (.+)", result.output).group(1))


def restore(backup: Path, target: str, *options: str) -> Result:
    with flask("sqlite://") as run:  # the app's own database plays no part in a restore
        return run("restore", str(backup), "--into", target, *options)


def contents(engine: Engine) -> dict[str, list[tuple]]:
    """Every row of every table, in a stable order."""
    with engine.connect() as connection:
        return {
            name: sorted(
                (tuple(row) for row in connection.execute(text(f'SELECT * FROM "{name}"'))), key=repr
            )
            for name in inspect(connection).get_table_names()
        }


def audit_head(engine: Engine) -> tuple[int, str]:
    with Session(engine) as session:
        chain = audit.verify(session)
    assert chain.ok, chain.problem
    return chain.last_id, chain.last_hash


def balances(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        return agency_balances(session)


def payments(engine: Engine) -> set[int]:
    with Session(engine) as session:
        return set(session.scalars(select(Payment.application_id).where(Payment.status == "succeeded")))


def pay_for_new_application(engine: Engine) -> int:
    """Commit one more paid application: the database takes new work (its sequences survived)."""
    with Session(engine) as session, session.begin():
        application, _ = paid_application(session, user(session))
        return application.id


def verified(url: str, expect: tuple[int, str] | None = None) -> str:
    """`flask ledger verify` and `flask audit verify` on `url`; both must pass."""
    with flask(url) as run:
        ledger = run("ledger", "verify")
        chain = run("audit", "verify", *(["--expect", f"{expect[0]}:{expect[1]}"] if expect else []))
    assert ledger.exit_code == 0, ledger.output
    assert chain.exit_code == 0, chain.output
    return ledger.output + chain.output


def is_empty(url: str) -> bool:
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        return True
    with engine_at(url) as engine, engine.connect() as connection:
        return inspect(connection).get_table_names() == []


# A backup, and a restore into a fresh database --------------------------------------------


def test_a_restore_into_a_fresh_database_holds_every_row_the_same_books_and_the_same_audit_chain(
    source, fresh, tmp_path
):
    with flask(url_of(source)) as run:
        result = run("backup", "--output", str(tmp_path))
    assert result.exit_code == 0, result.output
    backup = Path(re.search(r"Backup written: (.+)", result.output).group(1))
    assert backup.parent == tmp_path and NAME.fullmatch(backup.name)
    digest = hashlib.sha256(backup.read_bytes()).hexdigest()
    assert f"size: {backup.stat().st_size} bytes" in result.output
    assert f"sha256: {digest}" in result.output
    assert (tmp_path / f"{backup.name}.sha256").read_text() == f"{digest}  {backup.name}\n"
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600  # people's data: its owner only
    assert sorted(path.name for path in tmp_path.iterdir()) == [backup.name, f"{backup.name}.sha256"]

    target = fresh()
    result = restore(backup, target)
    assert result.exit_code == 0, result.output
    assert f"SHA-256 {digest} (matches {backup.name}.sha256)" in result.output
    assert "Schema at" in result.output and "Restore verified." in result.output

    with engine_at(target) as restored:
        before = contents(source)
        assert all(before[table] for table in ("ledger_entries", "audit_log", "payments", "licences"))
        assert {table: len(rows) for table, rows in contents(restored).items()} == {
            table: len(rows) for table, rows in before.items()
        }
        assert contents(restored) == before
        assert balances(restored) == balances(source) != {}
        head = audit_head(source)
        assert audit_head(restored) == head
        assert f"Newest entry: {head[0]}:{head[1]}" in result.output
        assert "Audit log OK" in verified(target, expect=head)

        new = pay_for_new_application(restored)  # ids and sequences carry on after the restore
        assert new in payments(restored) and new not in payments(source)
        verified(target)


def test_a_backup_taken_while_a_payment_is_being_written_holds_none_of_it(source, fresh, tmp_path):
    with Session(source) as session, session.begin():
        application, _ = submitted_application(session, user(session))
        application_id = application.id
    written, backed_up = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def pay_slowly() -> None:
        """A payment flushed (ledger entries, audit entries) but committed only after the backup."""
        try:
            with Session(source) as session, session.begin():
                pay(
                    session,
                    lock_application(session, application_id),
                    idempotency_key="during-backup",
                    card_token="tok_approved",
                    gateway=SimulatedGateway(),
                    now=utcnow(),
                )
                session.flush()
                written.set()
                assert backed_up.wait(60)
        except BaseException as error:
            errors.append(error)
            written.set()

    writer = threading.Thread(target=pay_slowly)
    writer.start()
    assert written.wait(60)
    during = back_up(source, tmp_path)
    backed_up.set()
    writer.join(60)
    assert not errors, errors
    assert application_id in payments(source)  # the writer was not blocked from committing

    target = fresh()
    result = restore(during, target)
    assert result.exit_code == 0, result.output
    with engine_at(target) as restored:
        assert application_id not in payments(restored)
        assert payments(restored) == payments(source) - {application_id}
    verified(target)

    after = tmp_path / "after"
    after.mkdir()
    later = fresh()
    assert restore(back_up(source, after), later).exit_code == 0
    with engine_at(later) as restored:
        assert contents(restored) == contents(source)


# Refusals ---------------------------------------------------------------------------------------


def test_restore_refuses_a_database_that_holds_tables_unless_forced(source, fresh, tmp_path):
    backup = back_up(source, tmp_path)
    target = fresh()
    assert restore(backup, target).exit_code == 0
    with engine_at(target) as restored:
        extra = pay_for_new_application(restored)

        result = restore(backup, target)
        assert result.exit_code == 1
        assert "is not empty" in result.output and "--force" in result.output
        assert extra in payments(restored)  # untouched

        result = restore(backup, target, "--force")
        assert result.exit_code == 0, result.output
        assert extra not in payments(restored)
        assert contents(restored) == contents(source)
    verified(target)


def test_a_truncated_backup_is_refused_before_the_target_is_touched(source, fresh, tmp_path):
    backup = back_up(source, tmp_path)
    whole = backup.read_bytes()
    backup.write_bytes(whole[: len(whole) // 2])
    target = fresh()

    result = restore(backup, target)
    assert result.exit_code == 1
    assert f"{backup} is damaged: its SHA-256 is" in result.output
    assert is_empty(target)

    Path(f"{backup}.sha256").unlink()  # with no checksum to go by, the file's structure still fails it
    result = restore(backup, target)
    assert result.exit_code == 1
    assert f"{backup} is damaged" in result.output and "Restore verified" not in result.output
    assert is_empty(target)


def test_a_backup_with_one_byte_changed_is_refused_by_its_checksum(source, fresh, tmp_path):
    backup = back_up(source, tmp_path)
    damaged = bytearray(backup.read_bytes())
    damaged[len(damaged) // 2] ^= 0xFF
    backup.write_bytes(bytes(damaged))
    target = fresh()
    result = restore(backup, target)
    assert result.exit_code == 1
    assert "is damaged: its SHA-256 is" in result.output and f"as {backup.name}.sha256 says" in result.output
    assert is_empty(target)

    backup.write_bytes(bytes(damaged[: len(damaged) // 2]))
    result = restore(backup, target, "--sha256", "0" * 64)  # the hash printed at backup time wins
    assert result.exit_code == 1
    assert f"not {'0' * 64} as the SHA-256 given says" in result.output


def test_a_file_that_is_not_a_backup_is_refused(source, fresh, tmp_path):
    impostor = tmp_path / "guichet-20260101T000000Z.sqlite"
    impostor.write_text("SELECT 1;\n")
    target = fresh()
    result = restore(impostor, target)
    assert result.exit_code == 1
    assert "is not a Guichet backup" in result.output
    assert is_empty(target)


# SQLite only: no server needed ---------------------------------------------------------------


def test_a_backup_from_an_older_release_is_upgraded_and_one_from_a_newer_release_refused(
    tmp_path, fresh_database
):
    old = make_engine(fresh_database("sqlite"))
    migrate.upgrade(old, "0011")
    backup = back_up(old, tmp_path)
    old.dispose()
    target = fresh_database("sqlite")
    result = restore(backup, target)
    assert result.exit_code == 0, result.output
    head = ScriptDirectory.from_config(migrate.alembic_config(old)).get_current_head()
    assert f"Schema upgraded from 0011 to {head}" in result.output

    with engine_at(target) as restored, restored.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    newer = tmp_path / "newer"
    newer.mkdir()
    with engine_at(target) as restored:
        backup = back_up(restored, newer)
    result = restore(backup, fresh_database("sqlite"))
    assert result.exit_code == 1
    assert "revision 0099, which this version of Guichet does not know" in result.output


def test_a_sqlite_backup_does_not_restore_into_postgresql(tmp_path, fresh_database):
    engine = make_engine(fresh_database("sqlite"))
    migrate.upgrade(engine, "0001")
    backup = back_up(engine, tmp_path)
    engine.dispose()
    result = restore(backup, "postgresql://guichet@127.0.0.1:1/guichet")
    assert result.exit_code == 1
    assert "is a SQLite backup: it restores into SQLite only, not into PostgreSQL" in result.output


# pg_dump's failures, with no server needed ---------------------------------------------------

SECRET = "s3cret-Pa55"
UNREACHABLE = f"postgresql://guichet:{SECRET}@127.0.0.1:1/guichet"


def test_without_pg_dump_the_backup_fails_clearly_and_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    output = tmp_path / "backups"
    output.mkdir()
    with flask(UNREACHABLE) as run:
        result = run("backup", "--output", str(output))
    assert result.exit_code == 1
    assert "pg_dump is not installed (or not on PATH)" in result.output
    assert "postgresql://guichet:***@127.0.0.1:1/guichet" in result.output
    assert SECRET not in result.output
    assert list(output.iterdir()) == []


def test_pg_dump_gets_the_password_in_its_environment_never_on_its_command_line(tmp_path, monkeypatch):
    """A stand-in pg_dump records what it was given, then fails as a real one would."""
    bin_folder = tmp_path / "bin"
    bin_folder.mkdir()
    seen = tmp_path / "seen"
    fake = bin_folder / "pg_dump"
    fake.write_text(
        f'#!/bin/sh\nprintf "%s\\n" "$@" > {seen}\necho "PGPASSWORD=$PGPASSWORD" >> {seen}\n'
        f'echo "pg_dump: error: connection failed, password $PGPASSWORD" >&2\nexit 1\n'
    )
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_folder))
    output = tmp_path / "backups"
    output.mkdir()
    with flask(UNREACHABLE) as run:
        result = run("backup", "--output", str(output))
    given = seen.read_text().splitlines()
    assert "--format=custom" in given and "--dbname=postgresql://guichet@127.0.0.1:1/guichet" in given
    assert given[-1] == f"PGPASSWORD={SECRET}"
    assert not any(SECRET in argument for argument in given[:-1])
    assert result.exit_code == 1
    assert "pg_dump could not back up postgresql://guichet:***@127.0.0.1:1/guichet (exit 1)" in result.output
    assert "connection failed, password ***" in result.output and SECRET not in result.output
    assert list(output.iterdir()) == []  # the partial file it was given is gone


def test_a_failing_pg_dump_leaves_no_file_behind(tmp_path):
    if not IN_CI and shutil.which("pg_dump") is None:
        pytest.skip("pg_dump is not installed")
    output = tmp_path / "backups"
    output.mkdir()
    with flask(UNREACHABLE) as run:
        result = run("backup", "--output", str(output))
    assert result.exit_code == 1
    assert "pg_dump could not back up postgresql://guichet:***@127.0.0.1:1/guichet" in result.output
    assert "Connection refused" in result.output or "connection" in result.output.lower()
    assert SECRET not in result.output
    assert list(output.iterdir()) == []


def test_a_backup_of_a_database_in_wal_mode_holds_the_commits_still_in_its_log(
    source, tmp_path, fresh_database
):
    """Copying the file alone would miss them: they are in guichet.sqlite-wal until a checkpoint."""
    if source.dialect.name != "sqlite":
        pytest.skip("SQLite's write-ahead log")
    url = fresh_database("sqlite")
    assert restore(back_up(source, tmp_path), url).exit_code == 0
    path = url.removeprefix("sqlite:///")
    with closing(sqlite3.connect(path)) as keeps_the_log_open, engine_at(url) as engine:
        assert keeps_the_log_open.execute("PRAGMA journal_mode = WAL").fetchone() == ("wal",)
        keeps_the_log_open.execute("PRAGMA wal_autocheckpoint = 0")
        keeps_the_log_open.execute("SELECT count(*) FROM payments").fetchall()  # now a reader of the log
        logged = pay_for_new_application(engine)
        assert Path(f"{path}-wal").stat().st_size > 0
        folder = tmp_path / "wal"
        folder.mkdir()
        backup = back_up(engine, folder)
        target = fresh_database("sqlite")
        result = restore(backup, target)
        assert result.exit_code == 0, result.output
        with engine_at(target) as restored:
            assert logged in payments(restored)
            assert contents(restored) == contents(engine)
