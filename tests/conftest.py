"""Fixtures shared by the database and web tests.

Database tests run on SQLite always and on PostgreSQL when TEST_DATABASE_URL names a
server; under CI=true PostgreSQL is required and its absence fails the run. Each
backend gets a fresh database, migrated with Alembic and loaded with the bundled packs
once per session; each test then runs inside a transaction that is rolled back.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, make_url, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from app import create_app
from licences.signing import new_private_key_pem
from tests.smtp_sink import SmtpSink
from workflows import migrate
from workflows.db import make_engine
from workflows.pack_store import publish_packs
from workflows.packs.loader import bundled_pack_directory, read_pack_directory
from workflows.workflow_templates import forget_registered_templates, register_template

IN_CI = os.environ.get("CI", "").lower() == "true"
POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
#: The key this test run signs licences with: made for the run, like a development instance's.
SIGNING_KEY = new_private_key_pem()


def pytest_configure(config: pytest.Config) -> None:
    if IN_CI and not POSTGRES_URL:
        raise pytest.UsageError(
            "CI=true: set TEST_DATABASE_URL to a PostgreSQL database; "
            "PostgreSQL tests must run in CI, not be skipped."
        )


@pytest.fixture(scope="session")
def fresh_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], str]]:
    """Make an empty database on a backend and return its URL; PostgreSQL ones are dropped at the end."""
    created: list[str] = []

    def make(backend: str) -> str:
        if backend == "sqlite":
            return f"sqlite:///{tmp_path_factory.mktemp('db') / 'guichet.sqlite'}"
        if not POSTGRES_URL:
            pytest.skip("TEST_DATABASE_URL is not set: PostgreSQL tests skipped (they run in CI)")
        name = f"guichet_test_{uuid.uuid4().hex[:12]}"
        with _postgres_admin().connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        created.append(name)
        return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)

    yield make
    if created:
        with _postgres_admin().connect() as connection:
            for name in created:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _postgres_admin() -> Engine:
    return make_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool)


@pytest.fixture(scope="session", params=BACKENDS)
def database(request: pytest.FixtureRequest, fresh_database) -> Iterator[Engine]:
    """A migrated database holding the bundled packs, shared by the session's tests on one backend."""
    engine = make_engine(fresh_database(request.param))
    migrate.upgrade(engine)
    with Session(engine) as session, session.begin():
        publish_packs(session, read_pack_directory(bundled_pack_directory()))
    yield engine
    engine.dispose()


@pytest.fixture(scope="module", params=BACKENDS)
def committing_database(request: pytest.FixtureRequest, fresh_database) -> Iterator[Engine]:
    """A migrated database with the bundled packs, one per module, for tests whose threads commit
    (each in its own transaction, as separate requests would), so nothing is rolled back."""
    engine = make_engine(fresh_database(request.param))
    migrate.upgrade(engine)
    with Session(engine) as session, session.begin():
        publish_packs(session, read_pack_directory(bundled_pack_directory()))
    yield engine
    engine.dispose()


@pytest.fixture
def app(database: Engine):
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database.url.render_as_string(hide_password=False),
            "SECRET_KEY": "test-secret-key",
            "PACKS_REFRESH_SECONDS": 0,
            "LICENCE_SIGNING_KEY": SIGNING_KEY,
            "WTF_CSRF_ENABLED": False,  # tests of CSRF itself turn it back on
        }
    )
    connection = database.connect()
    transaction = connection.begin()
    app.extensions["guichet.db"].bind_to(connection)
    yield app
    transaction.rollback()
    connection.close()
    app.extensions["guichet.db"].engine.dispose()


@pytest.fixture(autouse=True)
def ledger_verified_after_money_tests(request: pytest.FixtureRequest) -> Iterator[None]:
    """After every test marked `money`, `flask ledger verify` must pass: no test may leave books
    that do not balance (tests that tamper with the books on purpose say so with a marker)."""
    if not request.node.get_closest_marker("money") or request.node.get_closest_marker("tampers_with_books"):
        yield
        return
    if "db_session" in request.fixturenames:
        # Set up here, so torn down after the check: closing it rolls back what it did not commit.
        request.getfixturevalue("db_session")
    runner = request.getfixturevalue("runner")
    yield
    result = runner.invoke(args=["ledger", "verify"])
    assert result.exit_code == 0, result.output


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    """A real SMTP server on a free local port, for the tests of emails."""
    sink = SmtpSink()
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def db_session(app):
    """A session on the test's transaction, as the app's requests see it."""
    with app.app_context():
        from app.db import db_session as session

        yield session()


@pytest.fixture
def restart() -> Iterator[Callable[[], None]]:
    """Empties the registry, as in a new process that has compiled no pack yet. What it forgets
    is registered again after the test: the packs compiled and cached earlier still need it."""
    forgotten: dict[str, Any] = {}

    def forget() -> None:
        forgotten.update(forget_registered_templates())

    yield forget
    for key, template in forgotten.items():
        register_template(key, template)
