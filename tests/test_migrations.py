"""The schema comes only from Alembic: migrations and models must agree on every backend."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from tests.conftest import BACKENDS
from workflows import migrate
from workflows.db import Base, make_engine


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
