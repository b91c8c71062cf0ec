"""Races between OS processes, as between gunicorn workers or hosts: one effect each, never two.

The thread races (tests/test_*_concurrency.py) share one engine and one Python process. Here each
contender is a spawned process with its own interpreter, engine and connection pool, on
PostgreSQL and on a SQLite file, so nothing in Python (a lock, a cache, the GIL) can be what
keeps them apart: only the database's locks. After each race the rows that would show a double
effect are counted (transitions, audit entries, outbox messages, payments, ledger
transactions, renewals, licences) and the ledger and the audit chain are verified (here, not by
the `money` marker's check, which runs on the shared test database, not this module's).

The processes are spawned once for the module (spawning costs about a second each) and reused:
every race sends exactly PROCESSES jobs, each waits at a barrier for the others, so each runs in
a different process and all start together.
"""

from __future__ import annotations

import multiprocessing
import os
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from accounts.models import User
from licences import signing
from licences.models import Licence
from tests.answer_sets import TORONTO_FULL
from tests.answer_sets import TORONTO_FULL_NO_SIGN as NO_SIGN
from tests.conftest import SIGNING_KEY
from tests.factories import draft_application, licensed_application, paid_application, user
from workflows.applications import consent_requests, give_consent, lock_application, submit
from workflows.applications.store import cases_of
from workflows.audit import AuditEntry
from workflows.audit import verify as verify_audit
from workflows.db import make_engine, utcnow
from workflows.models import Consent, PermitCase, PermitEvent
from workflows.notifications.models import OutboxMessage
from workflows.payments import SimulatedGateway, pay
from workflows.payments import verify as verify_ledger
from workflows.payments.models import LedgerTransaction, Payment
from workflows.renewals.models import Renewal
from workflows.renewals.start import renewal_invoice, start_renewal
from workflows.tasks import approve, claim, reject, request_info

PROCESSES = 4
BARRIER_SECONDS = 60  # a contender that never comes fails the race instead of hanging the suite
EXPIRY = datetime.fromisoformat("2027-11-26T15:00:00+00:00")  # the licence's 12-month permits lapse
RENEWING_AT = EXPIRY - timedelta(days=10)

# --- in each spawned process --------------------------------------------------------------------

_barrier: Any = None
_engines: dict[str, Engine] = {}
_gateway = SimulatedGateway()  # each process's own processor: its charges are what it charged


def _start_process(barrier: Any, signing_key: str) -> None:
    global _barrier
    _barrier = barrier
    signing.configure(signing.KeyRing.from_settings(signing_key))


def _engine(url: str) -> Engine:
    if url not in _engines:
        _engines[url] = make_engine(url)
    return _engines[url]


def _staff(engine: Engine, user_id: int) -> User:
    """The person acting, loaded before the race as a request's user is, in a transaction of its own."""
    with Session(engine, expire_on_commit=False) as session:
        return session.get(User, user_id)


def _claiming(engine: Engine, task_id: int, clerk_id: int) -> Callable[[Session], object]:
    clerk = _staff(engine, clerk_id)
    return lambda session: claim(session, task_id, clerk, now=utcnow()).claimed_by_id


def _deciding(engine: Engine, task_id: int, clerk_id: int, decision: str) -> Callable[[Session], object]:
    clerk = _staff(engine, clerk_id)

    def decide(session: Session) -> str:
        match decision:
            case "approve":
                case = approve(session, task_id, clerk, ["Open before 11 pm."], now=utcnow())
            case "reject":
                case = reject(session, task_id, clerk, "Not zoned for it.", gateway=_gateway, now=utcnow())
            case "request_info":
                case = request_info(session, task_id, clerk, "Send the floor plan.", now=utcnow())
        return case.state

    return decide


def _paying(
    _engine: Engine, application_id: int, key: str, now: datetime | None = None
) -> Callable[[Session], object]:
    def charge(session: Session) -> int:
        application = lock_application(session, application_id)
        outcome = pay(
            session,
            application,
            idempotency_key=key,
            card_token="tok_approved",
            gateway=_gateway,
            now=now or utcnow(),
        )
        return outcome.payment.id

    return charge


def _consenting(
    _engine: Engine, application_id: int, owner_id: int, agencies: list[str]
) -> Callable[[Session], object]:
    def consent(session: Session) -> int:
        application = lock_application(session, application_id)
        return len(give_consent(session, application, agencies, user_id=owner_id, now=utcnow()))

    return consent


def _renewing(_engine: Engine, application_id: int, now: datetime) -> Callable[[Session], object]:
    def renew(session: Session) -> int:
        application = lock_application(session, application_id)
        return start_renewal(session, application, changes={}, user_id=application.owner_id, now=now).id

    return renew


JOBS: dict[str, Callable[..., Callable[[Session], object]]] = {
    "claim": _claiming,
    "decide": _deciding,
    "pay": _paying,
    "consent": _consenting,
    "renew": _renewing,
}


def _contend(url: str, job: str, args: tuple) -> dict:
    """Run one job in this process, in its own transaction, once every contender is ready.

    Returns what happened as plain data (exceptions do not all cross processes): the result or
    the error's class and HTTP status, this process's id and how many charges it made.
    """
    engine = _engine(url)
    act = JOBS[job](engine, *args)
    charges = len(_gateway.charges)
    _barrier.wait(BARRIER_SECONDS)
    outcome: dict = {"pid": os.getpid()}
    try:
        with Session(engine) as session, session.begin():
            outcome["result"] = act(session)
    except Exception as error:  # reported for the assertions
        outcome["error"] = type(error).__name__
        outcome["status"] = getattr(error, "status", None)
    outcome["charged"] = len(_gateway.charges) - charges
    return outcome


def _ready() -> int:
    _barrier.wait(BARRIER_SECONDS)
    return os.getpid()


# --- in the test process --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def processes() -> Iterator[ProcessPoolExecutor]:
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(PROCESSES)
    pool = ProcessPoolExecutor(
        max_workers=PROCESSES, mp_context=context, initializer=_start_process, initargs=(barrier, SIGNING_KEY)
    )
    with pool:
        started = [pool.submit(_ready) for _ in range(PROCESSES)]
        assert len({future.result(timeout=BARRIER_SECONDS) for future in started}) == PROCESSES
        yield pool


@pytest.fixture
def engine(committing_database: Engine) -> Engine:
    return committing_database


@pytest.fixture
def race(processes: ProcessPoolExecutor, engine: Engine) -> Callable[..., list[dict]]:
    """Send PROCESSES jobs (name and arguments) to the processes at once; their outcomes, in order."""
    url = engine.url.render_as_string(hide_password=False)

    def run(jobs: list[tuple[str, tuple]]) -> list[dict]:
        assert len(jobs) == PROCESSES
        futures = [processes.submit(_contend, url, job, args) for job, args in jobs]
        outcomes = [future.result(timeout=BARRIER_SECONDS * 2) for future in futures]
        assert len({outcome["pid"] for outcome in outcomes}) == PROCESSES  # each in its own process
        return outcomes

    return run


def _won(outcomes: list[dict]) -> list[object]:
    return [outcome["result"] for outcome in outcomes if "error" not in outcome]


def _lost(outcomes: list[dict]) -> list[tuple[str, int | None]]:
    return [(outcome["error"], outcome["status"]) for outcome in outcomes if "error" in outcome]


def _count(engine: Engine, statement) -> int:
    with Session(engine) as session:
        return session.scalar(statement)


def _books_and_log_hold(engine: Engine) -> None:
    with Session(engine) as session:
        assert verify_ledger(session) == []
        assert verify_audit(session).ok


def _audited(engine: Engine, subject: str, action: str | None = None) -> Counter:
    with Session(engine) as session:
        statement = select(AuditEntry.action).where(AuditEntry.subject == subject)
        if action is not None:
            statement = statement.where(AuditEntry.action == action)
        return Counter(session.scalars(statement))


def _zoning_task(engine: Engine, clerks: int) -> tuple[int, int, list[int]]:
    """A paid application's zoning task: (task id, application id, ids of `clerks` clerks of its agency)."""
    with Session(engine) as session, session.begin():
        application, _ = paid_application(session, user(session), NO_SIGN)
        staff = [user(session, "clerk", "TO-TB").id for _ in range(clerks)]
        task = session.scalar(
            select(PermitCase.id).where(
                PermitCase.application_id == application.id, PermitCase.permit_code == "TO-ZONING"
            )
        )
        return task, application.id, staff


# --- claim and decide -----------------------------------------------------------------------------


def test_clerks_of_four_processes_claiming_one_task_one_wins(engine, race):
    task, _application, clerks = _zoning_task(engine, PROCESSES)
    outcomes = race([("claim", (task, clerk)) for clerk in clerks])
    [winner] = _won(outcomes)
    assert _lost(outcomes) == [("TaskConflict", None)] * (PROCESSES - 1)
    with Session(engine) as session:
        case = session.get(PermitCase, task)
        assert (case.claimed_by_id, case.state) == (winner, "review")
    assert _audited(engine, f"permit_case:{task}", "task.claim") == Counter({"task.claim": 1})
    _books_and_log_hold(engine)


DECISION_MAIL = {"approve": "permit_approved", "reject": "permit_rejected", "request_info": "info_requested"}
#: What decisions racing on one step may leave: one of them, or a request for information and then a
#: refusal (the one decision the workflow still allows a clerk while the applicant is asked).
DECISIONS_THAT_MAY_STAND = [
    Counter({"approve": 1}),
    Counter({"reject": 1}),
    Counter({"request_info": 1}),
    Counter({"request_info": 1, "reject": 1}),
]


def decisions_hold(engine: Engine, task: int, application_id: int, succeeded: int, mail_before: int) -> str:
    """Each decision that succeeded left one transition, one audit entry and one email, and the
    transitions are ones the workflow allows in that order; returns the permit's state."""
    with Session(engine) as session:
        case = session.get(PermitCase, task)
        events = session.execute(
            select(PermitEvent.event).where(PermitEvent.permit_case_id == task).order_by(PermitEvent.id)
        ).scalars()
        decided = [event for event in events if event in DECISION_MAIL]
        mail = Counter(
            session.scalars(select(OutboxMessage.kind).where(OutboxMessage.application_id == application_id))
        )
    assert len(decided) == succeeded and Counter(decided) in DECISIONS_THAT_MAY_STAND, decided
    assert decided[0] == "request_info" or len(decided) == 1  # nothing after approving or refusing
    final = {"approve": "approved", "reject": "rejected", "request_info": "info_requested"}[decided[-1]]
    assert case.state == final
    assert case.conditions == (["Open before 11 pm."] if decided == ["approve"] else [])
    logged = _audited(engine, f"permit_case:{task}")
    assert {event: logged[f"permit.{event}"] for event in DECISION_MAIL} == {
        event: decided.count(event) for event in DECISION_MAIL
    }
    assert sum(mail.values()) == mail_before + succeeded
    assert {kind: mail[kind] for kind in DECISION_MAIL.values()} == {
        DECISION_MAIL[event]: decided.count(event) for event in DECISION_MAIL
    }
    return final


def _mail_count(engine: Engine, application_id: int) -> int:
    return _count(
        engine,
        select(func.count()).select_from(OutboxMessage).where(OutboxMessage.application_id == application_id),
    )


def test_approve_reject_and_request_info_racing_on_one_step_one_decision_stands(engine, race):
    task, application_id, [clerk] = _zoning_task(engine, 1)
    with Session(engine) as session, session.begin():
        claim(session, task, session.get(User, clerk), now=utcnow())
    before = _mail_count(engine, application_id)
    decisions = ["approve", "reject", "request_info", "approve"]
    outcomes = race([("decide", (task, clerk, decision)) for decision in decisions])

    states = _won(outcomes)
    assert _lost(outcomes) == [("TaskConflict", None)] * (PROCESSES - len(states))
    assert decisions_hold(engine, task, application_id, len(states), before) in states
    _books_and_log_hold(engine)


# --- pay and consent ------------------------------------------------------------------------------


def _keys(same: bool) -> list[str]:
    """PROCESSES Idempotency-Keys, one repeated or all different, never used before: the processes'
    simulated processors outlive a test and application ids repeat between the two databases, so a
    key used again would be answered from a processor's memory, charging nothing."""
    fresh = uuid.uuid4().hex
    return [fresh if same else f"{fresh}-{number}" for number in range(PROCESSES)]


def _submitted(engine: Engine) -> int:
    with Session(engine) as session, session.begin():
        owner = user(session)
        application, _ = draft_application(session, owner, consented=True)
        submit(session, application, user_id=owner.id, now=utcnow())
        return application.id


def _money_rows(engine: Engine, application_id: int) -> tuple[int, int]:
    payments = _count(
        engine, select(func.count()).select_from(Payment).where(Payment.application_id == application_id)
    )
    books = _count(
        engine,
        select(func.count())
        .select_from(LedgerTransaction)
        .where(LedgerTransaction.application_id == application_id),
    )
    return payments, books


def _paid_events(engine: Engine, application_id: int) -> Counter:
    with Session(engine) as session:
        cases = [case.id for case in cases_of(session, application_id)]
        return Counter(
            session.scalars(
                select(PermitEvent.permit_case_id).where(
                    PermitEvent.permit_case_id.in_(cases), PermitEvent.event == "pay"
                )
            )
        )


def test_four_processes_paying_with_the_same_key_charge_once(engine, race):
    application_id = _submitted(engine)
    outcomes = race([("pay", (application_id, key)) for key in _keys(same=True)])
    assert not _lost(outcomes), outcomes
    assert len(set(_won(outcomes))) == 1  # each answered with the one payment
    assert sum(outcome["charged"] for outcome in outcomes) == 1
    assert _money_rows(engine, application_id) == (1, 1)
    assert set(_paid_events(engine, application_id).values()) == {1}  # each permit set moving once
    _books_and_log_hold(engine)


def test_four_processes_paying_with_different_keys_pay_the_invoice_once(engine, race):
    application_id = _submitted(engine)
    outcomes = race([("pay", (application_id, key)) for key in _keys(same=False)])
    assert len(_won(outcomes)) == 1
    assert _lost(outcomes) == [("PaymentRefused", 409)] * (PROCESSES - 1)
    assert sum(outcome["charged"] for outcome in outcomes) == 1
    assert _money_rows(engine, application_id) == (1, 1)
    assert set(_paid_events(engine, application_id).values()) == {1}
    _books_and_log_hold(engine)


def test_four_processes_consenting_at_once_record_each_agency_once(engine, race):
    with Session(engine) as session, session.begin():
        owner = user(session)
        application, _ = draft_application(session, owner, consented=False)
        agencies = [request.agency_code for request in consent_requests(session, application)]
        application_id, owner_id = application.id, owner.id
    outcomes = race([("consent", (application_id, owner_id, agencies))] * PROCESSES)
    assert sorted(_won(outcomes)) == [0] * (PROCESSES - 1) + [len(agencies)]
    rows = _count(
        engine, select(func.count()).select_from(Consent).where(Consent.application_id == application_id)
    )
    assert rows == len(agencies)
    assert _audited(engine, f"application:{application_id}", "consent.given")["consent.given"] == len(
        agencies
    )
    _books_and_log_hold(engine)


# --- renew ----------------------------------------------------------------------------------------


def _licensed(engine: Engine) -> int:
    signing.configure(signing.KeyRing.from_settings(SIGNING_KEY))  # no app here to configure it
    with Session(engine) as session, session.begin():
        application, _ = licensed_application(session, user(session), TORONTO_FULL)
        return application.id


def _renewal_rows(engine: Engine, application_id: int) -> dict[str, object]:
    """What a renewal leaves behind: renewals, their audit entries, licences, the eating permit's expiry."""
    with Session(engine) as session:
        renewals = session.scalars(select(Renewal).where(Renewal.application_id == application_id)).all()
        logged = Counter()
        for renewal in renewals:
            logged.update(_audited(engine, f"renewal:{renewal.id}"))
        licences = session.scalar(
            select(func.count()).select_from(Licence).where(Licence.application_id == application_id)
        )
        eating = next(c for c in cases_of(session, application_id) if c.permit_code == "TO-EATING")
        return {
            "renewals": len(renewals),
            "completed": sum(renewal.completed_at is not None for renewal in renewals),
            "logged": logged,
            "licences": licences,
            "expires_at": eating.expires_at,
        }


def test_four_processes_starting_a_renewal_at_once_make_one_bill(engine, race):
    application_id = _licensed(engine)
    outcomes = race([("renew", (application_id, RENEWING_AT))] * PROCESSES)
    [renewal_id] = _won(outcomes)
    assert _lost(outcomes) == [("RenewalInProgress", None)] * (PROCESSES - 1)
    rows = _renewal_rows(engine, application_id)
    assert (rows["renewals"], rows["completed"], rows["licences"]) == (1, 0, 1)
    assert rows["logged"] == Counter({"renewal.requested": 1})
    with Session(engine) as session:
        assert renewal_invoice(session, renewal_id).total_cents > 0
    _books_and_log_hold(engine)


@pytest.mark.parametrize("keys", ["same", "different"])
def test_four_processes_paying_one_renewal_renew_the_licence_once(engine, race, keys):
    application_id = _licensed(engine)
    with Session(engine) as session, session.begin():
        application = lock_application(session, application_id)
        renewal = start_renewal(
            session, application, changes={}, user_id=application.owner_id, now=RENEWING_AT
        )
        invoice_id = renewal_invoice(session, renewal.id).id
    payments_before, books_before = _money_rows(engine, application_id)
    outcomes = race([("pay", (application_id, key, RENEWING_AT)) for key in _keys(same=keys == "same")])

    if keys == "same":
        assert not _lost(outcomes) and len(set(_won(outcomes))) == 1, outcomes
    else:
        assert len(_won(outcomes)) == 1
        assert _lost(outcomes) == [("PaymentRefused", 409)] * (PROCESSES - 1)
    assert sum(outcome["charged"] for outcome in outcomes) == 1
    assert _money_rows(engine, application_id) == (payments_before + 1, books_before + 1)
    assert (
        _count(engine, select(func.count()).select_from(Payment).where(Payment.invoice_id == invoice_id)) == 1
    )
    rows = _renewal_rows(engine, application_id)
    assert (rows["renewals"], rows["completed"], rows["licences"]) == (1, 1, 2)  # one new licence version
    assert rows["logged"] == Counter({"renewal.requested": 1, "renewal.completed": 1})
    assert rows["expires_at"] == EXPIRY.replace(year=EXPIRY.year + 1)  # moved on once, not twice
    _books_and_log_hold(engine)
