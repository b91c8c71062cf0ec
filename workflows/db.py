"""Database plumbing shared by the engine and the web layer: the declarative base,
a UTC timestamp type, and engine creation from a DATABASE_URL.

Kept free of Flask so command-line tools, benchmarks and tests use the same code.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime, Engine, MetaData, create_engine, event, text
from sqlalchemy.orm import DeclarativeBase, Session, SessionTransaction
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


#: The largest value of the schema's Integer columns (PostgreSQL's integer, 32 bits): an id past
#: it names no row, and sending it to the database fails (SQLite: OverflowError; PostgreSQL:
#: integer out of range) instead of finding nothing.
MAX_ROW_ID = 2**31 - 1


def is_row_id(value: object) -> bool:
    """Whether `value` can be an id of a row: an int (not a bool) the Integer columns can hold."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ROW_ID


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC and always read back timezone-aware.

    SQLite keeps no time zone, so values are normalised to UTC on the way in and
    marked UTC on the way out; naive datetimes are refused rather than guessed at.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: store timezone-aware UTC times")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def normalize_database_url(url: str) -> str:
    """Let people write postgresql://... and still get the psycopg 3 driver we ship."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str, **options) -> Engine:
    # A database error's message would otherwise carry the statement's parameters, which can be an
    # applicant's data, into the logs.
    options.setdefault("hide_parameters", True)
    engine = create_engine(normalize_database_url(url), **options)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_connect(dbapi_connection, _record) -> None:
    # Let SQLAlchemy, not the sqlite3 module, issue BEGIN: otherwise SAVEPOINTs and
    # transactional DDL misbehave (SQLAlchemy's documented pysqlite recipe).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


def _sqlite_begin(connection) -> None:
    connection.exec_driver_sql("BEGIN")


# An UPDATE that matches no row: it changes nothing but takes SQLite's one write lock. Every
# database made by the migrations has Alembic's version table.
_SQLITE_TAKE_WRITE_LOCK = text("UPDATE alembic_version SET version_num = version_num WHERE 0")


_SQLITE_WRITE_LOCK_TAKEN_IN = "guichet.sqlite_write_lock"  # session.info key: the transaction that took it


def take_sqlite_write_lock(session: Session) -> None:
    """On SQLite, take the database's write lock now, before reading what the transaction changes.

    SQLite has no row locks (no FOR UPDATE) and one writer at a time. A transaction that waits
    for the write lock before reading takes its turn; one that read first fails at once with
    "database is locked" when it tries to write, since waiting could deadlock. Other databases
    lock rows or advisory keys instead, so this does nothing there.

    The lock lasts until the transaction ends, so a transaction (or a savepoint inside it) that
    took it already does not send the statement again: a clerk's decision locks the application,
    its permits and the audit log, each of which asks for it.
    """
    if session.get_bind().dialect.name != "sqlite":
        return
    taken_in = session.info.get(_SQLITE_WRITE_LOCK_TAKEN_IN)
    if taken_in is not None and _within(_innermost_transaction(session), taken_in):
        return
    session.execute(_SQLITE_TAKE_WRITE_LOCK)
    session.info[_SQLITE_WRITE_LOCK_TAKEN_IN] = _innermost_transaction(session)


def _innermost_transaction(session: Session) -> SessionTransaction | None:
    return session.get_nested_transaction() or session.get_transaction()


def _within(transaction: SessionTransaction | None, ancestor: SessionTransaction) -> bool:
    """Whether `transaction` is `ancestor` or runs inside it (a savepoint of it): a transaction
    that has ended is no one's ancestor, as a new one is a new object."""
    while transaction is not None:
        if transaction is ancestor:
            return True
        transaction = transaction.parent
    return False
