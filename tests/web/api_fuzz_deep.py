"""The deep run of the API fuzzer: `make fuzz-api` (or `python -m tests.web.api_fuzz_deep`).

Every operation of the OpenAPI document as every role, with schemathesis's coverage phase
and many more generated cases than the suite's quick profile, at random unless `--seed` is
given, on a fresh migrated database holding the bundled packs (a SQLite file, or with
`--postgres SERVER_URL` a database made on that server and dropped after) whose changes are
committed, as a server's would be. Prints the requests made and every distinct failure, and
exits 1 if there is any.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import make_url, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from app import create_app
from app.db import db_session
from licences.signing import new_private_key_pem
from tests.web.api_fuzz import ROLES, Fuzzer, build_world, fuzz_app_config
from workflows import migrate
from workflows.db import make_engine
from workflows.pack_store import publish_packs
from workflows.packs.loader import bundled_pack_directory, read_pack_directory


@contextmanager
def fresh_database(postgres_server: str | None) -> Iterator[str]:
    """The URL of a new database, migrated and holding the bundled packs; gone afterwards."""
    with tempfile.TemporaryDirectory() as folder:
        if postgres_server:
            admin = make_engine(postgres_server, isolation_level="AUTOCOMMIT", poolclass=NullPool)
            name = f"guichet_fuzz_{uuid.uuid4().hex[:12]}"
            with admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
            url = make_url(postgres_server).set(database=name).render_as_string(hide_password=False)
        else:
            url = f"sqlite:///{Path(folder) / 'fuzz.sqlite'}"
        try:
            engine = make_engine(url)
            migrate.upgrade(engine)
            with Session(engine) as session, session.begin():
                publish_packs(session, read_pack_directory(bundled_pack_directory()))
            engine.dispose()
            yield url
        finally:
            if postgres_server:
                with admin.connect() as connection:
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=60, help="generated cases per operation and role")
    parser.add_argument("--postgres", metavar="SERVER_URL", help="run on PostgreSQL (default: SQLite)")
    parser.add_argument("--seed", type=int, help="send the same cases on every run")
    parser.add_argument("--no-coverage", action="store_true", help="skip schemathesis's coverage phase")
    args = parser.parse_args(argv)

    with fresh_database(args.postgres) as url:
        app = create_app(
            {
                "DATABASE_URL": url,
                "SECRET_KEY": "fuzz",
                "PACKS_REFRESH_SECONDS": 0,
                "LICENCE_SIGNING_KEY": new_private_key_pem(),
                **fuzz_app_config(),
            }
        )
        with app.app_context():
            session = db_session()
            world = build_world(session)
            session.commit()
        fuzzer = Fuzzer(app, world)
        started = time.monotonic()
        for operation in fuzzer.operations():
            for role in ROLES:
                fuzzer.run(
                    operation, role, max_examples=args.examples, seed=args.seed, coverage=not args.no_coverage
                )
            print(f"{operation.label}: {fuzzer.report.requests} requests so far", file=sys.stderr, flush=True)
        elapsed = time.monotonic() - started
        app.extensions["guichet.db"].engine.dispose()  # before the database is dropped

    report = fuzzer.report
    backend = "PostgreSQL" if args.postgres else "SQLite"
    print(report.summary())
    print(f"API fuzzing: {report.requests} requests, {report.cases} cases, {elapsed:.0f} s ({backend})")
    print(f"API fuzzing: {len(report.failures)} distinct failures")
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
