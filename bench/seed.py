"""Seed a PostgreSQL database with many paid applications, for the load benchmarks.

Making 100,000 applications through the service layer would take hours (each is triaged,
filled in, consented, submitted and paid), so this script makes one real paid application
per template through the same services the web layer calls, then copies it with
`INSERT ... SELECT` over `generate_series` in PostgreSQL: the applications, their permit
cases and permit history, consents, invoices and their lines, payments and Business
Numbers. Every copy has its own owner (two applications per owner), its own valid Business
Number and its own ids; due dates are spread over several weeks either side of now, so
some tasks are overdue and the queue's order is not one tie. What is not copied: the
ledger and the audit log (no hot path reads them by application), so `flask ledger verify`
and `flask audit verify` are not meant for a seeded database.

    .venv/bin/python bench/seed.py --database-url postgresql://postgres@127.0.0.1:5432/guichet_bench \
        --applications 100000

The database is dropped and made again. It takes about a minute for 100,000 applications
(1,300,000 permits). The benchmarks (bench/decisions.py, bench/journeys.py, bench/scale.py)
call `seed()` themselves.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.exc import OperationalError, ProgrammingError  # noqa: E402

#: Answer sets copied: mostly Toronto restaurants (the benchmarks' clerks work for Toronto's
#: agencies), with Vancouver ones among them so that the queue indexes see other agencies.
TEMPLATES = (("toronto", 4), ("vancouver", 1))

#: Tables copied with each application, parents first. Each maps its foreign keys to the
#: table whose copied ids they follow.
COPIED = (
    ("applications", {"owner_id": "users"}),
    ("assigned_business_numbers", {"application_id": "applications"}),
    ("consents", {"application_id": "applications", "given_by": "users"}),
    ("permit_cases", {"application_id": "applications"}),
    ("permit_events", {"permit_case_id": "permit_cases"}),
    ("invoices", {"application_id": "applications"}),
    ("invoice_lines", {"invoice_id": "invoices"}),
    ("payments", {"application_id": "applications", "invoice_id": "invoices"}),
)
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/guichet_bench"
APPLICATIONS_PER_OWNER = 2
DUE_SPREAD_MINUTES = 60 * 24 * 42  # due dates spread over six weeks


@dataclass(frozen=True)
class Seeded:
    applications: int
    permits: int
    seconds: float


def postgres_url(url: str, *, quick: bool = False) -> str:
    """The URL with the psycopg 3 driver SQLAlchemy and the app use; a quick run's database is
    another one, so that it never replaces a database seeded for a full run."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        raise SystemExit(f"The load benchmarks need PostgreSQL, not {parsed.get_backend_name()}")
    if quick:
        parsed = parsed.set(database=f"{parsed.database}_quick")
    return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


def recreate_database(url: str) -> None:
    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()


def flask(url: str, *args: str) -> None:
    """A `flask` command of the project against the database, as an administrator runs it."""
    environment = {**os.environ, "DATABASE_URL": url, "FLASK_APP": "wsgi"}
    subprocess.run(
        [str(Path(sys.executable).parent / "flask"), *args],
        cwd=ROOT,
        env=environment,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def make_templates(url: str) -> dict[str, int]:
    """One paid application per answer set, made through the services; their ids by name."""
    from app import create_app
    from app.db import db_session
    from tests.answer_sets import TORONTO, TORONTO_FULL, VANCOUVER, VANCOUVER_FULL
    from tests.factories import paid_application, user

    answer_sets = {"toronto": (TORONTO, TORONTO_FULL), "vancouver": (VANCOUVER, VANCOUVER_FULL)}
    app = create_app({"DATABASE_URL": url})
    ids = {}
    with app.app_context():
        session = db_session()
        for name, _weight in TEMPLATES:
            jurisdiction, answers = answer_sets[name]
            owner = user(session)
            application, _result = paid_application(session, owner, answers, jurisdiction=jurisdiction)
            ids[name] = application.id
        session.commit()
    app.extensions["guichet.db"].engine.dispose()
    return ids


def business_numbers(count: int, start: int) -> list[str]:
    """`count` distinct valid Business Numbers (nine digits, the last a check digit)."""
    from licences.business_number import check_digit

    return [f"{n:08d}" + check_digit(f"{n:08d}") for n in range(start, start + count)]


def _columns(connection, table: str) -> list[str]:
    return list(
        connection.execute(
            text(
                "SELECT column_name FROM information_schema.columns"
                " WHERE table_name = :table ORDER BY ordinal_position"
            ),
            {"table": table},
        ).scalars()
    )


def _of_template(table: str) -> str:
    """The condition picking the template application's rows of `table` (aliased `t`)."""
    owned_through = {
        "applications": "t.id = :a",
        "permit_events": "t.permit_case_id IN (SELECT id FROM permit_cases WHERE application_id = :a)",
        "invoice_lines": "t.invoice_id IN (SELECT id FROM invoices WHERE application_id = :a)",
    }
    return owned_through.get(table, "t.application_id = :a")


def _template_rows(connection, table: str, application_id: int) -> tuple[int, int]:
    """The first id and count of the template application's rows of `table`; they are
    contiguous because each template was made alone in a fresh database."""
    first, last, count = connection.execute(
        text(f"SELECT min(t.id), max(t.id), count(*) FROM {table} t WHERE {_of_template(table)}"),
        {"a": application_id},
    ).one()
    assert count == 0 or last - first + 1 == count, f"{table} rows of the template are not contiguous"
    return first, count


def clone(engine: Engine, template_id: int, copies: int, bn_start: int) -> None:
    """`copies` copies of the application `template_id` and everything in COPIED, in one transaction."""
    with engine.begin() as connection:
        owner = connection.execute(
            text("SELECT owner_id FROM applications WHERE id = :a"), {"a": template_id}
        ).scalar_one()
        owners = -(-copies // APPLICATIONS_PER_OWNER)
        users_base = connection.execute(text("SELECT coalesce(max(id), 0) FROM users")).scalar_one()
        connection.execute(
            text(
                "INSERT INTO users (id, email, name, password_hash, role, created_at, language)"
                " SELECT :base + g, 'seed-' || (:base + g) || '@example.ca', 'Owner ' || g,"
                " t.password_hash, t.role, t.created_at, t.language"
                " FROM generate_series(1, :owners) g, users t WHERE t.id = :owner"
            ),
            {"base": users_base, "owners": owners, "owner": owner},
        )
        # each table: new id = base + (g - 1) * rows_per_copy + (old id - first template id)
        layout = {"users": (users_base + 1, 1, owner, APPLICATIONS_PER_OWNER)}
        for table, _ in COPIED:
            first, count = (
                _template_rows(connection, table, template_id)
                if table != "assigned_business_numbers"
                else (None, 1)
            )
            base = (
                connection.execute(text(f"SELECT coalesce(max(id), 0) + 1 FROM {table}")).scalar_one()
                if first is not None
                else None
            )
            layout[table] = (base, count, first, 1)
        connection.execute(text("CREATE TEMPORARY TABLE seed_bn (g integer PRIMARY KEY, number varchar(9))"))
        with connection.connection.driver_connection.cursor().copy(
            "COPY seed_bn (g, number) FROM STDIN"
        ) as copy:
            for g, number in enumerate(business_numbers(copies, bn_start), start=1):
                copy.write_row((g, number))

        def new_id(table: str, old: str) -> str:
            base, count, first, per = layout[table]
            return f"({base} + ((g - 1) / {per}) * {count} + ({old} - {first}))"

        for table, foreign_keys in COPIED:
            columns = _columns(connection, table)
            values = []
            for column in columns:
                if column == "id":
                    values.append(new_id(table, "t.id"))
                elif column in foreign_keys:
                    values.append(new_id(foreign_keys[column], f"t.{column}"))
                elif column in ("business_number", "number"):
                    values.append("bn.number")
                elif column == "decision_due_at":
                    values.append(
                        f"t.decision_due_at + (((g * 7919) % {DUE_SPREAD_MINUTES})"
                        f" - {DUE_SPREAD_MINUTES // 2}) * interval '1 minute'"
                    )
                elif column == "idempotency_key":
                    values.append("t.idempotency_key || '-' || g")
                elif column == "processor_reference":
                    values.append("t.processor_reference || '-' || g")
                else:
                    values.append(f"t.{column}")
            where = _of_template(table)
            connection.execute(
                text(
                    f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(values)}"
                    f" FROM generate_series(1, :copies) g JOIN seed_bn bn USING (g), {table} t"
                    f" WHERE {where}"
                ),
                {"copies": copies, "a": template_id},
            )
        connection.execute(text("DROP TABLE seed_bn"))
        for table in ["users", *(t for t, _ in COPIED if t != "assigned_business_numbers")]:
            connection.execute(
                text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
            )


def copies_per_template(copies: int) -> dict[str, int]:
    """`copies` shared among TEMPLATES by weight; the last takes what rounding leaves."""
    total = sum(weight for _name, weight in TEMPLATES)
    shares = {name: copies * weight // total for name, weight in TEMPLATES[:-1]}
    shares[TEMPLATES[-1][0]] = copies - sum(shares.values())
    return shares


def seed(url: str, applications: int, *, echo: bool = True) -> Seeded:
    """A fresh database at `url` with the bundled packs and `applications` paid applications."""
    started = time.perf_counter()
    url = postgres_url(url)
    recreate_database(url)
    flask(url, "db", "upgrade")
    flask(url, "packs", "load")
    templates = make_templates(url)
    engine = create_engine(url)
    bn_start = 10_000_000
    for name, copies in copies_per_template(applications - len(templates)).items():
        if echo:
            print(f"  copying the {name} application {copies:,} times", flush=True)
        clone(engine, templates[name], copies, bn_start)
        bn_start += copies
    with engine.begin() as connection:
        connection.execute(text("ANALYZE"))
        counted_applications = connection.execute(text("SELECT count(*) FROM applications")).scalar_one()
        permits = connection.execute(text("SELECT count(*) FROM permit_cases")).scalar_one()
    engine.dispose()
    return Seeded(counted_applications, permits, time.perf_counter() - started)


def ensure_seeded(url: str, applications: int, reuse: bool) -> None:
    """Seed the database, unless `reuse` and it already holds that many applications."""
    if reuse:
        engine = create_engine(url)
        try:
            with engine.connect() as connection:
                have = connection.execute(text("SELECT count(*) FROM applications")).scalar_one()
            if have >= applications:
                print(f"Reusing the seeded database: {have:,} applications")
                flask(url, "db", "upgrade")  # a database seeded before the latest migration
                return
        except (OperationalError, ProgrammingError):  # no such database or table yet: seed it
            pass
        finally:
            engine.dispose()
    print(f"Seeding {applications:,} applications ...", flush=True)
    seeded = seed(url, applications)
    print(f"  {seeded.applications:,} applications, {seeded.permits:,} permits in {seeded.seconds:.0f} s")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--applications", type=int, default=100_000)
    args = parser.parse_args(argv)
    seeded = seed(args.database_url, args.applications)
    print(f"{seeded.applications:,} applications, {seeded.permits:,} permits in {seeded.seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
