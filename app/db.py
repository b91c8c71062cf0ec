"""One SQLAlchemy session per request (or CLI command), closed when it ends."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, current_app, g
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from workflows.db import make_engine


class Database:
    def __init__(self, app: Flask):
        self.engine: Engine = make_engine(app.config["DATABASE_URL"], pool_pre_ping=True)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        app.extensions["guichet.db"] = self
        app.teardown_appcontext(_close_session)

    def bind_to(self, connection: Connection) -> None:
        """Tests: run every session inside one outer transaction that the test rolls back."""
        self.sessions = sessionmaker(
            bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )


def database() -> Database:
    return current_app.extensions["guichet.db"]


def db_session() -> Session:
    if "db_session" not in g:
        g.db_session = database().sessions()
    return g.db_session


def _close_session(_exception: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


@contextmanager
def transaction() -> Iterator[Session]:
    """One state change, one transaction: commit what the block did, or roll all of it back."""
    session = db_session()
    _end_reading_on_sqlite(session)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise


def _end_reading_on_sqlite(session: Session) -> None:
    """On SQLite, end the read-only transaction the request opened before the block (loading the
    signed-in user), so that the block's first statement can wait for the write lock.

    SQLite cannot turn a read transaction into a write one while another connection writes: it
    answers "database is locked" at once instead of waiting (waiting could deadlock). So payment
    requests for one invoice sent at once got 500s instead of a replay or a 409, and so did two
    administrators publishing at once (tests/web/test_http_races.py, test_pack_publish_race.py).
    It ends reads only (every write goes through this block), and the session keeps what it loaded.
    """
    if (
        session.in_transaction()
        and not (session.new or session.dirty or session.deleted)
        and session.get_bind().dialect.name == "sqlite"
    ):
        session.commit()
