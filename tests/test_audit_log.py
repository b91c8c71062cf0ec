"""The audit log: what is recorded by itself, the hash chain, `flask audit verify` and tampering.

Tampering tests first drop (SQLite) or disable (PostgreSQL) the triggers that refuse
UPDATE and DELETE on audit_log, as someone with rights over the schema could; the test's
rolled-back transaction puts them back.
"""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from itertools import groupby

import pytest
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from accounts.models import User
from tests.factories import NOW, draft_application, paid_application, submitted_application, user
from tests.test_payment_concurrency import _pay, _submitted
from tests.test_permit_concurrency import _all_at_once
from workflows.applications import submit
from workflows.applications.store import cases_of
from workflows.audit import GENESIS_HASH, AuditEntry, record, verify
from workflows.audit.chain import entry_hash
from workflows.models import Application, Consent, PermitEvent
from workflows.payments import PaymentRefused, SimulatedGateway, disburse, pay, settle_ended_permits
from workflows.payments import verify as verify_ledger
from workflows.payments.models import Payment
from workflows.payments.service import charge_key
from workflows.payments.webhooks import ProcessorEvent, apply_event
from workflows.permit_workflow import TransitionNotAllowed, allowed_events, fire, with_row_lock


def entries(db_session, **where) -> list[AuditEntry]:
    statement = select(AuditEntry).filter_by(**where).order_by(AuditEntry.id)
    return list(db_session.scalars(statement))


def actions(db_session) -> list[str]:
    return [entry.action for entry in entries(db_session)]


def disable_guards(db_session) -> None:
    """What an attacker with DDL rights does first: drop (SQLite) or disable the append-only triggers."""
    if db_session.get_bind().dialect.name == "postgresql":
        db_session.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
    else:
        db_session.execute(text("DROP TRIGGER audit_log_no_update"))
        db_session.execute(text("DROP TRIGGER audit_log_no_delete"))


def some_entries(db_session, count: int) -> list[AuditEntry]:
    """The whole log, committed: a clerk's account made, then `count` views of theirs."""
    clerk = user(db_session, "clerk", "TO-MLS")
    db_session.commit()
    for n in range(count):
        record(db_session, "staff.view", actor_id=clerk.id, subject=f"permit_case:{n}", details={"n": n})
    db_session.commit()
    return entries(db_session)


# -- what is recorded by itself ----------------------------------------------------------------


def test_consents_and_a_submission_are_logged_with_who_and_what(db_session):
    owner = user(db_session)
    application, _ = draft_application(db_session, owner, consented=True)
    submit(db_session, application, user_id=owner.id, now=NOW)
    db_session.commit()

    consents = list(db_session.scalars(select(Consent).where(Consent.application_id == application.id)))
    given = entries(db_session, action="consent.given")
    assert len(given) == len(consents) > 1
    assert {(e.actor_id, e.subject) for e in given} == {(owner.id, f"application:{application.id}")}
    assert sorted((e.details["agency"], e.details["fields"]) for e in given) == sorted(
        (c.agency_code, c.fields) for c in consents
    )
    assert {e.at for e in given} == {NOW}

    cases = cases_of(db_session, application.id)
    submitted = entries(db_session, action="permit.submit")
    assert sorted(e.subject for e in submitted) == sorted(f"permit_case:{c.id}" for c in cases)
    assert {(e.actor_id, e.details["from"], e.details["to"]) for e in submitted} == {
        (owner.id, "draft", "submitted")
    }
    history = {event.id for event in db_session.scalars(select(PermitEvent))}
    assert {e.details["permit_event_id"] for e in submitted} <= history
    [submission] = entries(db_session, action="application.submitted")
    assert submission.details["business_number"] == application.business_number
    assert "invoice.created" in actions(db_session)
    assert verify(db_session).ok


def test_every_permit_transition_is_logged_once(db_session):
    paid_application(db_session, user(db_session))
    db_session.commit()
    transitions = db_session.scalars(select(PermitEvent).order_by(PermitEvent.id)).all()
    logged = [e for e in entries(db_session) if e.action.startswith("permit.")]
    assert [(e.action, e.details["permit_event_id"]) for e in logged] == [
        (f"permit.{t.event}", t.id) for t in transitions
    ]
    assert {e.details["event"] for e in logged} >= {"submit", "pay", "start"}


def test_a_clerks_decision_is_logged_with_the_clerk_and_the_reason(db_session):
    application, _ = paid_application(db_session, user(db_session))
    cases = cases_of(db_session, application.id)
    case = next(c for c in cases if "reject" in allowed_events(c, cases, by="clerk"))
    clerk = user(db_session, "clerk", case.agency_code)
    fire(db_session, case, "reject", actor_id=clerk.id, reason="the premises are not zoned for it")
    db_session.commit()
    [decision] = entries(db_session, action="permit.reject")
    assert (decision.actor_id, decision.subject) == (clerk.id, f"permit_case:{case.id}")
    assert decision.details["reason"] == "the premises are not zoned for it"
    assert decision.details["to"] == "rejected"


@pytest.mark.money
def test_payments_refunds_and_disbursements_are_logged(db_session):
    gateway = SimulatedGateway()
    application, _ = submitted_application(db_session, user(db_session))
    declined = pay(
        db_session, application, idempotency_key="a", card_token="tok_declined", gateway=gateway, now=NOW
    ).payment
    paid = pay(
        db_session, application, idempotency_key="b", card_token="tok_approved", gateway=gateway, now=NOW
    ).payment
    case = next(c for c in cases_of(db_session, application.id) if c.permit_code == "TO-EATING")
    fire(db_session, case, "withdraw", actor_id=application.owner_id)
    [refund] = settle_ended_permits(db_session, application, gateway=gateway, now=NOW)
    disbursements = disburse(
        db_session, "simulated", until=NOW + timedelta(days=1), now=NOW + timedelta(days=1)
    )
    db_session.commit()

    assert [
        (e.subject, e.details["previous_status"]) for e in entries(db_session, action="payment.declined")
    ] == [(f"payment:{declined.id}", None)]
    [succeeded] = entries(db_session, action="payment.succeeded")
    assert succeeded.subject == f"payment:{paid.id}"
    assert (succeeded.details["amount_cents"], succeeded.details["application_id"]) == (
        paid.amount_cents,
        application.id,
    )
    [refunded] = entries(db_session, action="refund.made")
    assert refunded.subject == f"refund:{refund.id}"
    assert (refunded.details["amount_cents"], refunded.details["reason"]) == (
        refund.amount_cents,
        "withdrawn",
    )
    made = entries(db_session, action="disbursement.made")
    assert sorted(e.details["agency"] for e in made) == sorted(d.agency_code for d in disbursements)
    assert "invoice.paid" in actions(db_session)
    assert verify(db_session).ok


@pytest.mark.money
def test_a_payment_confirmed_late_by_the_processor_logs_its_change_and_the_event(db_session):
    gateway = SimulatedGateway()
    application, _ = submitted_application(db_session, user(db_session))
    pay(
        db_session,
        application,
        idempotency_key="slow",
        card_token="tok_processor_error",
        gateway=gateway,
        now=NOW,
    )
    event = ProcessorEvent(
        "evt_1", "payment.succeeded", NOW, "ch_late", charge_key=charge_key(application.id, "slow")
    )
    assert apply_event(db_session, event, NOW) == "applied"
    db_session.commit()
    payment = db_session.scalars(select(Payment)).one()
    failed, succeeded = entries(db_session, subject=f"payment:{payment.id}")[:2]
    assert (failed.action, succeeded.action) == ("payment.failed", "payment.succeeded")
    assert succeeded.details["previous_status"] == "failed"
    assert succeeded.details["processor_reference"] == "ch_late"
    [processed] = entries(db_session, action="webhook.processed")
    assert processed.details == {"event_id": "evt_1", "type": "payment.succeeded", "outcome": "applied"}


# -- the chain ---------------------------------------------------------------------------------


def test_entries_link_in_order_from_the_genesis_hash(db_session):
    logged = some_entries(db_session, 4)
    assert [e.id for e in logged] == list(range(1, len(logged) + 1))
    assert logged[0].prev_hash == GENESIS_HASH
    assert [e.prev_hash for e in logged[1:]] == [e.hash for e in logged[:-1]]
    result = verify(db_session)
    assert (result.ok, result.entries, result.last_id, result.last_hash) == (
        True,
        len(logged),
        logged[-1].id,
        logged[-1].hash,
    )


def test_details_read_back_from_the_database_hash_the_same(db_session):
    """Tuples, integer keys, accents, floats, big numbers and nesting come back as JSON gives them."""
    details = {
        "tuple": (1, 2),
        7: "integer key",
        "accents": "Café Ça Va — Montréal",
        "float": 0.1,
        "big": 2**62,
        "nested": {"b": [None, True, {"z": 1, "a": 2}]},
    }
    at = datetime(2026, 11, 26, 10, 30, 15, 123456, tzinfo=UTC)
    entry = record(db_session, "test.details", actor_id=None, subject="x", details=details, at=at)
    db_session.commit()
    db_session.expire_all()
    stored = db_session.get(AuditEntry, entry.id)
    assert stored.details == json.loads(json.dumps(details))
    assert stored.at == at
    assert verify(db_session).ok


def test_a_rolled_back_savepoint_drops_only_its_own_entries(db_session):
    owner = user(db_session)
    record(db_session, "test.before", actor_id=None)
    savepoint = db_session.begin_nested()
    record(db_session, "test.undone", actor_id=None)
    savepoint.rollback()
    with pytest.raises(IntegrityError), db_session.begin_nested():  # a flush failing in a savepoint
        record(db_session, "test.failed", actor_id=None)
        db_session.add(User(email=owner.email, name="twin", password_hash="x"))
        db_session.flush()
    record(db_session, "test.after", actor_id=None)
    db_session.commit()
    assert actions(db_session) == ["account.created", "test.before", "test.after"]
    assert verify(db_session).ok


def test_a_rolled_back_transaction_writes_nothing_and_uses_no_id(db_session):
    some_entries(db_session, 1)
    record(db_session, "test.undone", actor_id=None)
    db_session.rollback()
    record(db_session, "test.kept", actor_id=None)
    db_session.commit()
    assert [(e.id, e.action) for e in entries(db_session)][-2:] == [(2, "staff.view"), (3, "test.kept")]


def test_an_entry_is_checked_when_it_is_made(db_session):
    with pytest.raises(ValueError, match="naive"):
        record(db_session, "test.naive", actor_id=None, at=datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="1 to 64"):
        record(db_session, "x" * 65, actor_id=None)
    with pytest.raises(TypeError):
        record(db_session, "test.time", actor_id=None, details={"when": NOW})  # pass NOW.isoformat()


# -- nobody rewrites it ------------------------------------------------------------------------


def test_the_orm_refuses_to_change_or_delete_an_entry_or_add_one_around_record(db_session):
    [entry] = some_entries(db_session, 1)[-1:]
    entry.action = "staff.nothing"
    with pytest.raises(ValueError, match="cannot be changed or deleted"):
        db_session.flush()
    db_session.rollback()
    db_session.delete(db_session.get(AuditEntry, entry.id))
    with pytest.raises(ValueError, match="cannot be changed or deleted"):
        db_session.flush()
    db_session.rollback()
    db_session.add(
        AuditEntry(id=99, at=NOW, action="forged", details={}, prev_hash=GENESIS_HASH, hash="0" * 64)
    )
    with pytest.raises(ValueError, match=r"workflows\.audit\.record"):
        db_session.flush()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_log SET details = '{}'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
    ],
)
def test_the_database_refuses_to_change_or_delete_entries(db_session, statement):
    some_entries(db_session, 2)
    if statement.startswith("TRUNCATE") and db_session.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite has no TRUNCATE")
    with pytest.raises(DBAPIError, match="append-only"), db_session.begin_nested():
        db_session.execute(text(statement))
    assert len(entries(db_session)) == 3


# -- flask audit verify ------------------------------------------------------------------------


def test_verify_says_ok_with_the_count_and_the_newest_hash(db_session, runner):
    logged = some_entries(db_session, 3)
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert f"Audit log OK: {len(logged)} entries" in result.output
    assert f"{logged[-1].id}:{logged[-1].hash}" in result.output


def test_an_entry_edited_in_place_is_named(db_session, runner):
    logged = some_entries(db_session, 5)
    disable_guards(db_session)
    db_session.execute(
        update(AuditEntry.__table__).where(AuditEntry.id == logged[3].id).values(details={"n": 99})
    )
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"entry {logged[3].id}: content changed" in result.output
    assert f"{logged[3].id - 1} entries before it verified" in result.output


def test_a_deleted_middle_entry_is_named(db_session, runner):
    logged = some_entries(db_session, 5)
    disable_guards(db_session)
    db_session.execute(delete(AuditEntry.__table__).where(AuditEntry.id == logged[2].id))
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"entry {logged[2].id}: missing, deleted (entry {logged[3].id} follows entry {logged[1].id})" in (
        result.output
    )


def test_a_deleted_first_entry_is_named(db_session, runner):
    logged = some_entries(db_session, 3)
    disable_guards(db_session)
    db_session.execute(delete(AuditEntry.__table__).where(AuditEntry.id == 1))
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"entry 1: missing, deleted (the log starts at entry {logged[1].id})" in result.output


def test_an_entry_rewritten_with_a_fresh_hash_breaks_the_next_link(db_session, runner):
    """Whoever recomputes the edited entry's own hash still cannot fix the link the next entry keeps."""
    logged = some_entries(db_session, 4)
    target = logged[1]
    forged = entry_hash(
        id=target.id,
        at=target.at,
        actor_id=target.actor_id,
        action="staff.nothing",
        subject=target.subject,
        details=target.details,
        prev_hash=target.prev_hash,
    )
    disable_guards(db_session)
    db_session.execute(
        update(AuditEntry.__table__)
        .where(AuditEntry.id == target.id)
        .values(action="staff.nothing", hash=forged)
    )
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"entry {logged[2].id}: previous entry missing or changed" in result.output


def test_the_newest_entries_cut_off_are_caught_only_against_a_hash_kept_elsewhere(db_session, runner):
    logged = some_entries(db_session, 4)
    kept = f"{logged[-1].id}:{logged[-1].hash}"
    disable_guards(db_session)
    db_session.execute(delete(AuditEntry.__table__).where(AuditEntry.id == logged[-1].id))
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0  # the rest of the chain is intact
    result = runner.invoke(args=["audit", "verify", "--expect", kept])
    assert result.exit_code == 1
    assert f"entry {logged[-1].id}: missing" in result.output
    assert runner.invoke(args=["audit", "verify", "--expect", "nonsense"]).exit_code == 2


def test_an_empty_log_verifies(db_session, runner):
    assert verify(db_session).entries == 0
    result = runner.invoke(args=["audit", "verify"])
    assert (result.exit_code, result.output.strip()) == (0, "Audit log OK: 0 entries")


def test_verify_counts_what_the_table_holds(db_session):
    paid_application(db_session, user(db_session))
    db_session.commit()
    assert verify(db_session).entries == db_session.scalar(select(func.count()).select_from(AuditEntry)) > 10


# -- many writers at once ----------------------------------------------------------------------

APPENDERS, TRANSACTIONS, PER_TRANSACTION = 8, 5, 3


def test_simultaneous_appends_make_one_chain_that_never_forks(committing_database):
    """Each thread commits its own transactions, as separate requests would, all starting together."""
    engine = committing_database
    with Session(engine) as session:
        before = verify(session)
    barrier = threading.Barrier(APPENDERS)

    def append(thread: int) -> None:
        barrier.wait()
        for transaction in range(TRANSACTIONS):
            with Session(engine) as session, session.begin():
                for n in range(PER_TRANSACTION):
                    details = {"transaction": transaction, "n": n}
                    record(
                        session, "test.concurrent", actor_id=None, subject=f"thread:{thread}", details=details
                    )

    with ThreadPoolExecutor(max_workers=APPENDERS) as pool:
        list(pool.map(append, range(APPENDERS)))

    with Session(engine) as session:
        after = verify(session)
        rows = session.execute(
            select(AuditEntry.subject, AuditEntry.details, AuditEntry.prev_hash)
            .where(AuditEntry.id > (before.last_id or 0))
            .order_by(AuditEntry.id)
        ).all()
    assert after.ok, after.problem
    assert after.entries == before.entries + APPENDERS * TRANSACTIONS * PER_TRANSACTION
    assert len({row.prev_hash for row in rows}) == len(rows)  # no two entries follow the same one
    # each transaction's entries are written together, in the order they were recorded
    runs = [[row.details["n"] for row in group] for _key, group in groupby(rows, key=_transaction_of)]
    assert runs == [list(range(PER_TRANSACTION))] * (APPENDERS * TRANSACTIONS)


def _transaction_of(row) -> tuple[str, int]:
    return row.subject, row.details["transaction"]


def test_paying_while_permits_are_withdrawn_never_deadlocks_on_the_log(committing_database):
    """A payment holds its application, logs, then locks the permits; a withdrawal holds the permits
    and logs. Were the log's lock taken when the first entry is made, they would deadlock."""
    engine = committing_database
    application_id = _submitted(engine)
    with Session(engine) as session:
        cases = cases_of(session, application_id)
        owner_id = session.get(Application, application_id).owner_id
    assert len(cases) > 4
    gateway = SimulatedGateway()
    payers = [_pay(application_id, f"key-{n}", gateway) for n in range(4)]
    withdrawals = [_withdraw(case.id, owner_id) for case in cases[:4]]
    results = _all_at_once(engine, [job for pair in zip(payers, withdrawals, strict=True) for job in pair])
    # Only the domain's answers: a permit withdrawn or not withdrawable once paid, one payment made
    # and the others refused. A deadlock would be a database error here.
    expected = (str, int, TransitionNotAllowed, PaymentRefused)
    assert all(isinstance(result, expected) for result in results), results
    assert len([result for result in results if isinstance(result, int)]) == 1, results
    with Session(engine) as session:
        assert verify(session).ok
        assert verify_ledger(session) == []


def _withdraw(case_id: int, owner_id: int):
    def job(session: Session) -> str:
        case = with_row_lock(session, case_id)
        return fire(session, case, "withdraw", actor_id=owner_id)[0].to_state

    return job


def test_logging_by_a_user_whose_email_is_being_changed_waits_instead_of_deadlocking(committing_database):
    """Inserting an entry locks its actor's row (the foreign key's check): that lock is taken before
    the log's, so a transaction that changed the actor's email, and then logs, can still commit."""
    engine = committing_database
    with Session(engine) as session, session.begin():
        actor_id = user(session).id
    changed, logging = threading.Event(), threading.Event()

    def change_email() -> None:
        with Session(engine) as session, session.begin():
            session.get(User, actor_id).email = f"renamed-{actor_id}@example.ca"
            session.flush()  # the user's row is now locked FOR UPDATE (its unique email changed)
            record(session, "account.email_changed", actor_id=actor_id)
            changed.set()
            logging.wait(timeout=10)
            time.sleep(0.3)  # let the other transaction reach its locks first

    def log_as_the_user() -> None:
        changed.wait(timeout=10)
        with Session(engine) as session, session.begin():
            record(session, "staff.view", actor_id=actor_id)
            logging.set()

    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(change_email), pool.submit(log_as_the_user)]
        for future in futures:
            future.result()  # a deadlock would raise here
    with Session(engine) as session:
        assert verify(session).ok
        logged = session.scalars(select(AuditEntry.action).where(AuditEntry.actor_id == actor_id)).all()
    assert sorted(logged) == ["account.email_changed", "staff.view"]


def test_a_transaction_reading_the_log_sees_the_entries_it_made(db_session):
    record(db_session, "test.first", actor_id=None)
    assert db_session.scalar(select(func.count(AuditEntry.id))) == 1
    record(db_session, "test.second", actor_id=None)
    assert db_session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all() == [
        "test.first",
        "test.second",
    ]
