"""Client threads that go through whole journeys over real HTTP, from sign-up to licence, and
send a request again when its answer is lost, as a real client would (tests/test_crash_safety.py).

A payment is sent again with the same Idempotency-Key; a sign-up, a submission or an approval
that turns out to have been done before its answer was lost is taken as done. Any 5xx, or any
other answer than the one expected, fails the journey.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from accounts.service import issue_token
from tests.answer_sets import TORONTO, TORONTO_FULL
from tests.factories import complete_form, draft_application, user
from tests.live_server import UNREACHABLE, JsonClient
from workflows.applications import consent_requests, fields_of

RETRY_SECONDS = 20  # how long a client keeps trying one request before it gives up
MAX_ROUNDS = 12  # of the clerks' work on one application: more means a permit is stuck
PASSWORD = "correct horse battery"


@dataclass(frozen=True)
class Plan:
    """What the clients send: the restaurant's form and consents, and each client's clerks (one
    per agency; staff accounts are made by `flask users create`, not signed up)."""

    form: dict[str, Any]
    consenting: list[str]
    clerks: list[dict[str, str]]  # per client: agency code -> bearer token


def make_plan(database: Engine, clients: int) -> Plan:
    with Session(database) as session:
        template, result = draft_application(session, user(session), TORONTO_FULL)
        form = complete_form(fields_of(session, template))
        consenting = [request.agency_code for request in consent_requests(session, template)]
        agencies = sorted({outcome.permit.agency.code for outcome in result.permits})
        session.rollback()  # the template was only needed for its form
        clerks = [
            {agency: issue_token(session, user(session, "clerk", agency)) for agency in agencies}
            for _ in range(clients)
        ]
        session.commit()
    return Plan(form, consenting, clerks)


@dataclass
class Tally:
    """What the clients did and saw, shared by their threads."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    counts: Counter = field(default_factory=Counter)
    #: payment id -> application id, for every payment a client was told succeeded (201).
    payments_seen: dict[int, int] = field(default_factory=dict)
    licensed: set[int] = field(default_factory=set)  # applications a client saw licensed
    failures: list[str] = field(default_factory=list)

    def add(self, name: str, amount: int = 1) -> None:
        with self.lock:
            self.counts[name] += amount


class JourneyFailed(Exception):
    pass


class Entrepreneur:
    """One client thread: journey after journey until told to stop, each from sign-up to licence,
    with its own clerks approving its own application's tasks (so clients never race)."""

    def __init__(self, port: int, plan: Plan, clerks: dict[str, str], stop: threading.Event, tally: Tally):
        self.client, self.plan, self.clerks = JsonClient(port), plan, clerks
        self.stop, self.tally = stop, tally

    def run(self) -> None:
        while not self.stop.is_set():
            self.tally.add("journeys started")
            try:
                self.journey()
            except JourneyFailed as failed:
                self.tally.failures.append(str(failed))
                return
            except Exception as error:  # a bug in the test itself: say so rather than hang
                self.tally.failures.append(f"{type(error).__name__}: {error}")
                return
            self.tally.add("journeys completed")

    def call(self, name, method, path, *, token=None, body=None, headers=None, ok=(200,), after_retry=()):
        """Send until an answer comes; the answer must be `ok`, or `after_retry` if the request had to
        be sent again (the first may have been done before its answer was lost). Never a 5xx."""
        retried = False
        deadline = time.monotonic() + RETRY_SECONDS
        while True:
            self.tally.add("requests sent")
            try:
                answer = self.client.request(method, path, body, token, headers)
            except UNREACHABLE as error:
                self.tally.add("refused" if isinstance(error, ConnectionRefusedError) else "answers lost")
                if time.monotonic() > deadline:
                    raise JourneyFailed(f"{name}: no answer for {RETRY_SECONDS} s ({error!r})") from None
                retried = True
                time.sleep(0.05)
                continue
            if retried:
                self.tally.add("requests retried")
            if answer.status in ok or (retried and answer.status in after_retry):
                return answer, retried
            again = " after a retry" if retried else ""
            raise JourneyFailed(
                f"{name}: {method} {path} answered {answer.status}{again}: {answer.body!r:.400}"
            )

    def journey(self) -> None:
        email = f"crash-{uuid.uuid4().hex}@example.ca"
        account = {"email": email, "password": PASSWORD, "name": "Crash Test"}
        # A sign-up done before its answer was lost is refused the second time: the address is taken.
        self.call("sign up", "POST", "/api/v1/accounts", body=account, ok=(201,), after_retry=(422,))
        credentials = {"email": email, "password": PASSWORD}
        signed_in, _ = self.call("token", "POST", "/api/v1/tokens", body=credentials, ok=(201,))
        token = signed_in.body["token"]
        triage = {"jurisdiction": TORONTO, "answers": TORONTO_FULL}
        self.call("triage", "POST", "/api/v1/triage", body=triage)
        created, retried = self.call(
            "apply", "POST", "/api/v1/applications", token=token, body=triage, ok=(201,)
        )
        if retried:  # the first may have been made too: a draft left behind, as a real client would
            self.tally.add("applications maybe left in draft")
        application_id = created.body["id"]
        base = f"/api/v1/applications/{application_id}"
        self.call("form", "PUT", f"{base}/form", token=token, body={"fields": self.plan.form})
        self.call("consent", "POST", f"{base}/consents", token=token, body={"agencies": self.plan.consenting})
        self.call("submit", "POST", f"{base}/submit", token=token, after_retry=(409,))
        paid, _ = self.call(
            "pay",
            "POST",
            f"{base}/payments",
            token=token,
            body={"card_token": "tok_approved"},
            headers={"Idempotency-Key": uuid.uuid4().hex},  # one key for this payment, every retry
            ok=(201,),
        )
        if paid.headers.get("Idempotent-Replayed") == "true":
            self.tally.add("payments replayed")
        with self.tally.lock:
            self.tally.payments_seen[paid.body["payment_id"]] = application_id
        document = self.decide_everything(base, token, application_id)
        if document["licence"] is None:
            raise JourneyFailed(f"application {application_id}: no licence once every task was decided")
        pdf, _ = self.call("licence", "GET", f"{base}/licence.pdf", token=token)
        if not pdf.body.startswith(b"%PDF"):
            raise JourneyFailed(f"application {application_id}: the licence is not a PDF")
        with self.tally.lock:
            self.tally.licensed.add(application_id)

    def decide_everything(self, base: str, token: str, application_id: int) -> dict:
        """The agencies' clerks claim and approve the application's tasks until none waits."""
        for _round in range(MAX_ROUNDS):
            document = self.call("application", "GET", base, token=token)[0].body
            waiting = sorted({p["agency"] for p in document["permits"] if p["waiting_on"] == "agency"})
            if not waiting:
                return document
            for agency in waiting:
                clerk = self.clerks[agency]
                queue = self.call(
                    "queue", "GET", f"/api/v1/queue?municipality={TORONTO}&page_size=100", token=clerk
                )[0].body
                for task in queue["tasks"]:
                    if task["application_id"] == application_id:
                        path = f"/api/v1/tasks/{task['id']}"
                        self.call("claim", "POST", f"{path}/claim", token=clerk, body={})
                        self.call(
                            "approve", "POST", f"{path}/approve", token=clerk, body={}, after_retry=(409,)
                        )
        raise JourneyFailed(f"application {application_id}: tasks still waiting after {MAX_ROUNDS} rounds")
