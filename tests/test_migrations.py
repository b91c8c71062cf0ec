"""The schema comes only from Alembic: migrations and models must agree on every backend."""

from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select, text
from sqlalchemy.orm import Session

from tests.conftest import BACKENDS
from workflows import migrate
from workflows.db import Base, make_engine
from workflows.models import Application

CREATED = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.mark.parametrize("backend", BACKENDS)
def test_upgrade_to_head_matches_the_models_and_downgrade_to_base_removes_everything(backend, fresh_database):
    engine = make_engine(fresh_database(backend))
    try:
        migrate.upgrade(engine)
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, Base.metadata)
        assert differences == []
        tables = set(inspect(engine).get_table_names())
        assert set(Base.metadata.tables) <= tables

        migrate.downgrade(engine, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}

        migrate.upgrade(engine)  # and the way back up works on a downgraded database
        assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
def test_0004_gives_applications_made_before_it_an_empty_form(backend, fresh_database):
    engine = make_engine(fresh_database(backend))
    try:
        migrate.upgrade(engine, "0003")
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO users (email, password_hash, name, role, created_at) "
                    "VALUES ('a@example.ca', 'x', 'A', 'applicant', :at)"
                ),
                {"at": CREATED},
            )
            connection.execute(
                text(
                    "INSERT INTO applications "
                    "(owner_id, jurisdiction_code, answers, pack_versions, created_at) "
                    "VALUES ((SELECT id FROM users), '3520005', '{}', '{}', :at)"
                ),
                {"at": CREATED},
            )
        migrate.upgrade(engine)
        with Session(engine) as session:
            application = session.scalars(select(Application)).one()
            assert (application.form_values, application.program_accounts) == ({}, [])
            assert application.updated_at == application.created_at == CREATED
            assert application.submitted_at is None
    finally:
        engine.dispose()
