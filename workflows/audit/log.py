"""Appending to the audit log: entries wait with their transaction and are chained as it commits.

Appending takes one lock for the whole log, so that two transactions never both read entry
N as the last and fork the chain: `pg_advisory_xact_lock(LOCK_KEY)` on PostgreSQL, the
database write lock on SQLite. Taken in the middle of a transaction, that lock deadlocks:
a payment holds its application, logs its payment (taking the log's lock) and then waits
for the permits' rows to mark them paid, while a withdrawal holds those rows and waits for
the log's lock. So `record` only queues the entry on the session, and the entries are
chained and written in `before_commit`, after everything else the transaction does: the
log's lock is always the last lock a transaction takes, held only while its entries are
inserted and committed. Keep it that way: never take another lock after the audit log's.

Querying AuditEntry (the entity or its columns) in a transaction that has queued entries
writes them first (taking the lock then), as SQLAlchemy flushes before a query: a
transaction sees its own entries. A rolled-back transaction or savepoint drops the entries
it queued.
"""

from __future__ import annotations

import warnings
from datetime import UTC, datetime

from sqlalchemy import BigInteger, bindparam, event, func, select
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

from accounts.models import User
from workflows.audit.chain import entry_hash, plain_details
from workflows.audit.models import GENESIS_HASH, AuditEntry
from workflows.db import take_sqlite_write_lock, utcnow

#: The advisory lock of the log on PostgreSQL ("guichet" in ASCII). Larger than any 32-bit
#: value, so it cannot meet a lock named by hashtext(), like the ledger's disbursement lock.
LOCK_KEY = int.from_bytes(b"guichet", "big")
_POSTGRES_LOCK = select(func.pg_advisory_xact_lock(bindparam("key", LOCK_KEY, type_=BigInteger)))
# SQLite has no FOR UPDATE: an UPDATE that matches no row takes the database write lock.

_PENDING = "guichet.audit.pending"  # session.info key: [(transaction queued in, entry), ...]
MAX_ACTION, MAX_SUBJECT = 64, 128  # the columns' lengths


def record(
    session: Session,
    action: str,
    *,
    actor_id: int | None,
    subject: str | None = None,
    details: dict | None = None,
    at: datetime | None = None,
) -> AuditEntry:
    """Append an entry to the log in the caller's transaction; the caller commits.

    The entry is chained (its id, prev_hash and hash set) and written when the transaction
    commits, after any change made before this call, and is dropped if it rolls back.
    `details` must hold only what JSON can (strings, numbers, booleans, lists, dicts):
    never a password or a token.
    """
    entry = new_entry(action, actor_id=actor_id, subject=subject, details=details, at=at)
    session.flush()  # changes made before this call queue their own entries first
    queue(session, entry)
    return entry


def new_entry(
    action: str, *, actor_id: int | None, subject: str | None, details: dict | None, at: datetime | None
) -> AuditEntry:
    """An entry not chained yet, checked now so that a bad one fails where it is made, not at commit."""
    if not action or len(action) > MAX_ACTION:
        raise ValueError(f"an audit action is 1 to {MAX_ACTION} characters: {action!r}")
    if subject is not None and len(subject) > MAX_SUBJECT:
        raise ValueError(f"an audit subject is at most {MAX_SUBJECT} characters: {subject!r}")
    at = at or utcnow()
    if at.tzinfo is None:
        raise ValueError("naive datetime refused: audit entries are dated in UTC")
    return AuditEntry(
        at=at.astimezone(UTC),
        actor_id=actor_id,
        action=action,
        subject=subject,
        details=plain_details(details),
    )


def queue(session: Session, entry: AuditEntry) -> None:
    """Put an unchained entry in the session's queue, with the transaction or savepoint it belongs to."""
    transaction = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(_PENDING, []).append((transaction, entry))


def write_pending(session: Session) -> list[AuditEntry]:
    """Chain and insert the session's queued entries now, under the log's lock; the caller commits.

    Runs by itself as the transaction commits. Call it only to write entries earlier, and
    then take no other lock in this transaction afterwards.
    """
    session.flush()  # changes not flushed yet queue their entries now
    pending = session.info.pop(_PENDING, [])
    if not pending:
        return []
    _take_lock(session, {entry.actor_id for _transaction, entry in pending} - {None})
    # A statement of its own, after the lock's: a statement reads what was committed when it
    # began, so one that also waited for the lock would miss the entry of the transaction it
    # waited for, and fork the chain.
    last = session.execute(
        select(AuditEntry.id, AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)
    ).first()
    next_id, prev_hash = (last.id + 1, last.hash) if last else (1, GENESIS_HASH)
    entries = []
    for _transaction, entry in pending:
        entry.id, entry.prev_hash = next_id, prev_hash
        entry.hash = entry_hash(
            id=entry.id,
            at=entry.at,
            actor_id=entry.actor_id,
            action=entry.action,
            subject=entry.subject,
            details=entry.details,
            prev_hash=entry.prev_hash,
        )
        entries.append(entry)
        next_id, prev_hash = next_id + 1, entry.hash
    session.add_all(entries)
    session.flush()
    return entries


def _take_lock(session: Session, actor_ids: set[int]) -> None:
    """Take the log's lock, after the rows of the entries' actors on PostgreSQL.

    Inserting an entry locks its actor's row there (FOR KEY SHARE, the foreign key's check).
    Those rows are locked first, so that the log's lock stays the last: otherwise a transaction
    changing that user's email, then logging, would wait for us while we wait for it. One
    statement takes both, in that order: the count reads, and so locks, every actor's row
    before the lock function is called on its one row.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        statement = _POSTGRES_LOCK
        if actor_ids:
            actors = select(User.id).where(User.id.in_(sorted(actor_ids))).order_by(User.id)
            shared = actors.with_for_update(read=True, key_share=True).subquery()
            statement = statement.select_from(select(func.count()).select_from(shared).subquery())
        session.execute(statement)
    elif dialect == "sqlite":
        take_sqlite_write_lock(session)
    else:
        raise NotImplementedError(f"no audit log lock for {dialect}")


# -- the session's life ------------------------------------------------------------------------


@event.listens_for(Session, "before_commit")
def _write_at_commit(session: Session) -> None:
    # Also fired when a savepoint is released: entries wait for the outermost commit.
    if session.get_nested_transaction() is None:
        write_pending(session)


@event.listens_for(Session, "after_commit")
def _nothing_left_behind(session: Session) -> None:
    if session.get_nested_transaction() is None and session.info.get(_PENDING):
        # Only a savepoint left open (begin_nested() outside a `with`) when the transaction
        # committed gets here: SQLAlchemy commits it after before_commit has run.
        warnings.warn(
            f"{len(session.info[_PENDING])} audit entries were not written: "
            "close every begin_nested() before committing",
            RuntimeWarning,
            stacklevel=2,
        )


@event.listens_for(Session, "after_soft_rollback")
def _drop_rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    pending = session.info.get(_PENDING)
    if not pending:
        return
    # What was undone: the savepoint or the whole transaction around the one rolled back (a
    # failed flush rolls back its own subtransaction, which undoes its savepoint or all).
    undone = previous_transaction
    while not undone.nested and undone.parent is not None:
        undone = undone.parent
    if undone.parent is None:
        session.info.pop(_PENDING)
        return
    session.info[_PENDING] = [
        (transaction, entry) for transaction, entry in pending if not _within(transaction, undone)
    ]


@event.listens_for(Session, "after_transaction_end")
def _forget_at_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # closed without commit or rollback: nothing is written
        session.info.pop(_PENDING, None)


@event.listens_for(Session, "do_orm_execute")
def _write_before_reading_the_log(state: ORMExecuteState) -> None:
    # Only queries whose rows are AuditEntry or its columns: looking for audit_log in every
    # query's FROM clauses costs about a millisecond a query, for every query of a transaction.
    if (
        state.is_select
        and state.session.info.get(_PENDING)
        and any(mapper.class_ is AuditEntry for mapper in state.all_mappers)
    ):
        write_pending(state.session)


def _within(transaction: SessionTransaction | None, ancestor: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is ancestor:
            return True
        transaction = transaction.parent
    return False
