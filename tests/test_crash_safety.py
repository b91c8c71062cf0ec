"""Crash safety: the server is killed (SIGKILL) again and again while whole journeys run against
PostgreSQL, and so is the outbox sender; afterwards nothing is lost, doubled or half-recorded.

The app runs as a real OS process (`flask run`) on a fixed port and is started again there after
each kill, as a supervisor restarts a crashed worker. Client threads go from sign-up to licence
over HTTP; when a connection is refused or an answer is lost they send the same request again,
as a real client would: a payment with the same Idempotency-Key, a submission or an approval
that turns out to have been done already is accepted as done. Then, in the database:

- every permit case is in a state of its workflow, and its history is a chain of that
  workflow's transitions ending in that state, with the columns that follow the state (whose
  turn it is, when it was paid) in step: no transition is half-recorded;
- every application's state, derived from its permits, agrees with what it has (Business
  Number, invoice, payment, licence), and every decision has its email waiting;
- every invoice is paid at most once, and every payment a client was told succeeded is there;
- `flask ledger verify` and `flask audit verify` pass, run as commands;
- the outbox: every email is sent once or still pending. Email cannot be sent exactly once:
  a sender killed after the SMTP server took an email and before it recorded so leaves it
  claimed, and it is sent again once the claim lapses (`SENDING_LEASE`), with the same
  Message-ID (workflows/notifications/sender.py). The test makes that happen on purpose and
  checks the copy is the only one and carries the same Message-ID.
"""

from __future__ import annotations

import os
import random
import re
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import get_args

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from app import create_app
from licences.models import Licence
from tests.conftest import SIGNING_KEY
from tests.crash_journeys import Entrepreneur, Tally, make_plan
from tests.live_server import AppServer, Process, flask_command
from tests.smtp_sink import Received, SmtpSink
from workflows import migrate
from workflows.db import make_engine, utcnow
from workflows.models import Application, PermitCase, PermitEvent
from workflows.notifications import SmtpMailer
from workflows.notifications.models import OutboxMessage
from workflows.notifications.sender import SENDING_LEASE, send_due
from workflows.pack_store import publish_packs
from workflows.packs.loader import bundled_pack_directory, read_pack_directory
from workflows.payments.models import Invoice, Payment
from workflows.permit_workflow import restore_workflows
from workflows.permit_workflow.machines import template_for
from workflows.permit_workflow.service import whose_turn
from workflows.permit_workflow.status import ApplicationState, application_status

pytestmark = [pytest.mark.postgres, pytest.mark.money]

CLIENTS = 4
SERVER_KILLS = 5
MAIL_FROM = "Guichet <guichet@crash.example.ca>"
#: The events the journeys cause: nobody withdraws, refuses or asks for information.
JOURNEY_EVENTS = frozenset({"submit", "pay", "start", "complete", "approve"})
MESSAGE_ID = re.compile(r"<outbox-(\d+)-\d+@")


@pytest.fixture(scope="module")
def crash_database(fresh_database) -> Iterator[Engine]:
    """A fresh migrated PostgreSQL database with the bundled packs, for this module alone."""
    engine = make_engine(fresh_database("postgresql"), poolclass=NullPool)
    migrate.upgrade(engine)
    with Session(engine) as session, session.begin():
        publish_packs(session, read_pack_directory(bundled_pack_directory()))
    yield engine
    engine.dispose()


@pytest.fixture
def runner(crash_database: Engine):
    """The `money` marker's `flask ledger verify` after the test, on this test's database."""
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": crash_database.url.render_as_string(hide_password=False),
            "SECRET_KEY": "crash-safety-runner",
            "LICENCE_SIGNING_KEY": SIGNING_KEY,
        }
    )
    yield app.test_cli_runner()
    app.extensions["guichet.db"].engine.dispose()


def _environment(database: Engine, smtp_port: int) -> dict[str, str]:
    """The settings of the server, the sender and the commands, through the environment only."""
    return {
        "DATABASE_URL": database.url.render_as_string(hide_password=False),
        "SECRET_KEY": "crash-safety-secret-key-shared-by-every-process",
        "GUICHET_WEBHOOK_SECRET": "crash-safety-webhook-secret",
        "GUICHET_LICENCE_SIGNING_KEY": SIGNING_KEY,
        "GUICHET_OUTBOX_BACKGROUND": "false",  # the sender is a process of its own, killed too
        "GUICHET_OUTBOX_INTERVAL_SECONDS": "0.2",
        "GUICHET_SMTP_HOST": "127.0.0.1",
        "GUICHET_SMTP_PORT": str(smtp_port),
        "GUICHET_MAIL_FROM": MAIL_FROM,
        # Every client comes from 127.0.0.1: the per-address limits would refuse the journeys.
        "GUICHET_SIGNIN_RATE_LIMIT": "100000 per minute",
        "GUICHET_PAYMENT_RATE_LIMIT": "100000 per minute",
    }


class SenderKiller:
    """Kills the outbox sender the moment the SMTP server has kept an email, before the sender is
    told it was accepted: the one window in which an email cannot be recorded as sent."""

    def __init__(self, sender: Process):
        self.sender, self.armed, self.fired = sender, threading.Event(), threading.Event()
        self.message_id: str | None = None

    def __call__(self, received: Received) -> None:
        if self.armed.is_set() and not self.fired.is_set():
            os.kill(self.sender.process.pid, signal.SIGKILL)
            self.message_id = received.message["Message-ID"]
            self.fired.set()


def test_killed_again_and_again_mid_journey_nothing_is_lost_doubled_or_half_recorded(
    crash_database, smtp, tmp_path
):
    began = time.monotonic()
    seed = random.randrange(2**32)
    moments = random.Random(seed)
    sink = smtp
    environment = _environment(crash_database, sink.port)
    plan = make_plan(crash_database, CLIENTS)
    server = AppServer(environment, tmp_path / "server.log")
    sender = Process(
        [sys.executable, "-m", "flask", "--app", "wsgi", "outbox", "send", "--loop"],
        environment,
        tmp_path / "sender.log",
    )
    killer = SenderKiller(sender)
    sink.on_message = killer
    tally, stop = Tally(), threading.Event()
    clients = [
        threading.Thread(target=Entrepreneur(server.port, plan, clerks, stop, tally).run, daemon=True)
        for clerks in plan.clerks
    ]
    sender_kills = 0
    try:
        server.start()
        sender.start()
        for client in clients:
            client.start()
        for kill in range(SERVER_KILLS):
            time.sleep(moments.uniform(0.5, 2.0))
            server.kill()
            if kill == 1:  # the sender too, at a moment of no choosing
                sender.kill()
                sender_kills += 1
                sender.start()
            if kill == 2:
                killer.armed.set()
            time.sleep(moments.uniform(0.0, 0.5))  # the clients find nobody answering
            server.start()
        assert killer.fired.wait(20), "no email reached the SMTP server after the sender was armed"
        sender_kills += 1
        sender.kill()  # reap it
        sender.start()
        stop.set()  # no new journey starts; those under way finish
        for client in clients:
            client.join(timeout=60)
        assert not any(client.is_alive() for client in clients), "a client is stuck"
        _wait_for_due_emails_to_go(crash_database, timeout=20)
        sender.kill()  # the sender is killed a last time, whatever it is doing
        sender_kills += 1
    finally:
        stop.set()
        sender.kill()
        server.stop()
    figures = (
        f"seed {seed}; {CLIENTS} clients; {SERVER_KILLS} server kills, {sender_kills} sender kills; "
        + ", ".join(f"{name} {count}" for name, count in sorted(tally.counts.items()))
    )
    assert tally.failures == [], f"{figures}\n" + "\n".join(tally.failures) + "\n" + server.output()[-5000:]
    assert "Traceback" not in server.output(), server.output()[-5000:]
    assert tally.counts["journeys completed"] >= CLIENTS, figures

    with Session(crash_database) as session:
        assert _workflow_problems(session) == [], figures
        assert _application_problems(session) == [], figures
        assert _payment_problems(session, tally) == [], figures
    # The books and the audit log verify, and a last pass of the sender sends whatever is due.
    commands = [("ledger", "verify"), ("audit", "verify"), ("outbox", "send", "--batch-size", "10000")]
    with ThreadPoolExecutor(len(commands)) as pool:
        results = list(pool.map(lambda command: flask_command(environment, *command), commands))
    for command, result in zip(commands, results, strict=True):
        assert result.returncode == 0, f"flask {' '.join(command)}:\n{result.stdout}{result.stderr}"
    # Each email is sent exactly once or still pending.
    pending, in_doubt = _outbox_sent_once_or_pending(crash_database, sink)
    assert killer.message_id is not None
    assert int(MESSAGE_ID.match(killer.message_id).group(1)) in in_doubt
    assert 1 <= len(in_doubt) <= sender_kills, figures
    # Once their claim lapses, the pending emails are sent: those in doubt again, with the same
    # Message-ID, and those a killed sender claimed but never sent for the first time.
    mailer = SmtpMailer(host="127.0.0.1", port=sink.port, mail_from=MAIL_FROM, timeout=5)
    again = send_due(crash_database, mailer, now=utcnow() + SENDING_LEASE + timedelta(seconds=1))
    assert again.sent == len(pending) and again.handled == len(pending)
    received = Counter(_outbox_id(r) for r in sink.received)
    with Session(crash_database) as session:
        rows = session.scalars(select(OutboxMessage)).all()
    assert all(row.sent_at is not None for row in rows)
    assert received == Counter({row.id: 2 if row.id in in_doubt else 1 for row in rows})
    print(
        f"\ncrash safety: {figures}; emails {len(rows)}, sent twice after a sender died {len(in_doubt)};"
        f" {time.monotonic() - began:.1f} s"
    )


def _outbox_id(received: Received) -> int:
    return int(MESSAGE_ID.match(received.message["Message-ID"]).group(1))


def _wait_for_due_emails_to_go(database: Engine, timeout: float) -> None:
    """Until the restarted sender has sent every email due (those claimed by a killed one wait)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with Session(database) as session:
            due = session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.sent_at.is_(None), OutboxMessage.next_attempt_at <= utcnow())
            )
        if due == 0:
            return
        time.sleep(0.1)


def _outbox_sent_once_or_pending(database: Engine, sink: SmtpSink) -> tuple[set[int], set[int]]:
    """Check each email is sent exactly once or still pending; return those pending, and of them
    those in doubt: received by the SMTP server but not recorded as sent, because their sender
    died in between."""
    received = Counter(_outbox_id(r) for r in sink.received)
    now = utcnow()
    with Session(database) as session:
        rows = {row.id: row for row in session.scalars(select(OutboxMessage))}
    assert rows, "the journeys wrote no email"
    assert set(received) <= set(rows), "an email the outbox does not hold was sent"
    pending, in_doubt = set(), set()
    for row in rows.values():
        assert row.failed_at is None, f"email {row.id} given up on: {row.last_error}"
        if row.sent_at is not None:
            assert received[row.id] == 1, (
                f"email {row.id} recorded as sent, received {received[row.id]} times"
            )
            continue
        # Pending: claimed by a sender that was killed (its claim not yet lapsed), sent at most once.
        assert row.attempts >= 1 and row.next_attempt_at > now, f"email {row.id} is due but was not sent"
        assert received[row.id] <= 1, f"email {row.id} received {received[row.id]} times"
        pending.add(row.id)
        if received[row.id]:
            in_doubt.add(row.id)
    return pending, in_doubt


def _workflow_problems(session: Session) -> list[str]:
    """Each case's state is its workflow's, and its history a chain of that workflow's transitions
    from the initial state to the current one, with what follows the state in step."""
    cases = session.scalars(select(PermitCase).order_by(PermitCase.id)).all()
    restore_workflows(session, {case.workflow for case in cases})
    events: dict[int, list[PermitEvent]] = {}
    for event in session.scalars(select(PermitEvent).order_by(PermitEvent.id)):
        events.setdefault(event.permit_case_id, []).append(event)
    problems = []
    for case in cases:
        template = template_for(case.workflow)
        where = f"case {case.id} ({case.permit_code}, application {case.application_id})"
        if case.state not in template.states:
            problems.append(f"{where}: state {case.state!r} is not one of {case.workflow}'s")
        state = template.initial
        for event in events.get(case.id, []):
            arrow = (event.event, event.from_state, event.to_state)
            if event.from_state != state:
                problems.append(f"{where}: {arrow} does not start from {state!r}")
            if not any(
                t.trigger == event.event and event.from_state in t.sources and t.dest == event.to_state
                for t in template.transitions
            ):
                problems.append(f"{where}: {arrow} is no transition of {case.workflow}")
            if event.event not in JOURNEY_EVENTS:
                problems.append(f"{where}: {event.event} happened, which no client asked for")
            state = event.to_state
        if state != case.state:
            problems.append(f"{where}: history ends in {state!r}, the case is {case.state!r}")
        if case.waiting_on != whose_turn(template, case.state):
            problems.append(f"{where}: waiting on {case.waiting_on!r} in state {case.state!r}")
        paid = any(event.event == "pay" for event in events.get(case.id, []))
        if (case.paid_at is not None) != paid:
            problems.append(f"{where}: paid_at {case.paid_at} but paid in its history: {paid}")
    return problems


def _application_problems(session: Session) -> list[str]:
    """Each application's derived state is one the workflow has, and what it holds agrees: a
    Business Number once submitted, one bill, paid once past submission, a licence once licensed,
    and an email for each approval and each licence."""
    allowed = set(get_args(ApplicationState))
    problems = []
    for application in session.scalars(select(Application).order_by(Application.id)):
        where = f"application {application.id}"
        cases = session.scalars(select(PermitCase).where(PermitCase.application_id == application.id)).all()
        state = application_status(cases).state
        if state not in allowed:
            problems.append(f"{where}: state {state!r}")
        submitted = state != "draft"
        if (application.submitted_at is not None, application.business_number is not None) != (
            submitted,
        ) * 2:
            problems.append(f"{where} is {state} with submitted_at {application.submitted_at}")
        invoices = session.scalars(select(Invoice).where(Invoice.application_id == application.id)).all()
        if len(invoices) != int(submitted):
            problems.append(f"{where} is {state} with {len(invoices)} invoices")
        elif invoices and (invoices[0].paid_at is not None) != (state not in ("draft", "submitted")):
            problems.append(f"{where} is {state} with its invoice paid at {invoices[0].paid_at}")
        licences = session.scalar(
            select(func.count()).select_from(Licence).where(Licence.application_id == application.id)
        )
        if licences != int(state == "licensed"):
            problems.append(f"{where} is {state} with {licences} licences")
        approvals = session.scalar(
            select(func.count())
            .select_from(PermitEvent)
            .join(PermitCase, PermitCase.id == PermitEvent.permit_case_id)
            .where(
                PermitCase.application_id == application.id,
                PermitEvent.event == "approve",
                PermitEvent.to_state == "approved",
            )
        )
        emails = Counter(
            session.scalars(select(OutboxMessage.kind).where(OutboxMessage.application_id == application.id))
        )
        if emails != +Counter({"permit_approved": approvals, "licence_issued": licences}):
            problems.append(f"{where}: {approvals} approvals and {licences} licences, emails {dict(emails)}")
    return problems


def _payment_problems(session: Session, tally: Tally) -> list[str]:
    """One payment per application at most (one key each), every invoice paid at most once and
    paid if and only if its payment succeeded, and every payment a client saw succeed recorded."""
    problems = []
    payments = session.scalars(select(Payment).order_by(Payment.id)).all()
    per_application = Counter(payment.application_id for payment in payments)
    problems += [f"application {a}: {n} payments" for a, n in per_application.items() if n > 1]
    succeeded = Counter(payment.invoice_id for payment in payments if payment.status == "succeeded")
    for invoice in session.scalars(select(Invoice)):
        if succeeded[invoice.id] > 1:
            problems.append(f"invoice {invoice.id} paid {succeeded[invoice.id]} times")
        if (invoice.paid_at is not None) != (succeeded[invoice.id] == 1):
            problems.append(
                f"invoice {invoice.id}: paid_at {invoice.paid_at}, {succeeded[invoice.id]} payments"
            )
    for payment in payments:
        invoice = session.get(Invoice, payment.invoice_id)
        if payment.status != "succeeded" or payment.amount_cents != invoice.total_cents:
            problems.append(f"payment {payment.id}: {payment.status}, {payment.amount_cents} cents")
    for payment_id, application_id in tally.payments_seen.items():
        payment = session.get(Payment, payment_id)
        if payment is None or payment.application_id != application_id or payment.status != "succeeded":
            problems.append(f"payment {payment_id} a client saw succeed for {application_id} is lost")
    for application_id in tally.licensed:
        cases = session.scalars(select(PermitCase).where(PermitCase.application_id == application_id)).all()
        if application_status(cases).state != "licensed":
            problems.append(f"application {application_id}, licensed for its client, is not")
    return problems
