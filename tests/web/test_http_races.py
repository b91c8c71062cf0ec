"""Races through HTTP against two real app worker processes on one database: one effect each.

Two spawned processes each serve the app on a loopback port (werkzeug's threaded server; the
same app as under gunicorn, see tests/web/test_scale_out.py for what else two workers share).
Requests for one task or one invoice are sent at the same instant, alternately to each
worker, each on its own connection; only the database's locks keep them apart. The answers
must be one success and clear refusals (409), never a 500, and the rows that would show a double
effect are counted afterwards, with the ledger and the audit chain verified.
"""

from __future__ import annotations

import http.client
import json
import multiprocessing
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from accounts.service import issue_token
from tests.answer_sets import TORONTO_FULL_NO_SIGN as NO_SIGN
from tests.conftest import SIGNING_KEY
from tests.factories import draft_application, paid_application, user
from tests.test_process_races import _books_and_log_hold, _count, _mail_count, decisions_hold
from workflows.applications import submit
from workflows.audit import AuditEntry
from workflows.db import utcnow
from workflows.models import Application, PermitCase
from workflows.payments.models import LedgerTransaction, Payment

REQUESTS = 8  # at once, half to each worker
TIMEOUT = 60


def _serve(url: str, ports: Any) -> None:
    """A worker process: the app on a free loopback port, which it reports, until it is terminated."""
    from werkzeug.serving import make_server

    from app import create_app

    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": url,
            "SECRET_KEY": "one-secret-shared-by-every-worker",
            "PACKS_REFRESH_SECONDS": 0,
            "LICENCE_SIGNING_KEY": SIGNING_KEY,
            "RATELIMIT_ENABLED": False,  # rate limits are tested elsewhere; these races send bursts
        }
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    ports.put(server.server_port)
    server.serve_forever()


@pytest.fixture(scope="module")
def workers(committing_database: Engine) -> Iterator[list[int]]:
    """Two app worker processes on the module's database: their ports."""
    context = multiprocessing.get_context("spawn")
    ports = context.Queue()
    url = committing_database.url.render_as_string(hide_password=False)
    processes = [context.Process(target=_serve, args=(url, ports), daemon=True) for _ in range(2)]
    for process in processes:
        process.start()
    try:
        yield [ports.get(timeout=TIMEOUT) for _ in processes]
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.join(TIMEOUT)


def _post(port: int, path: str, token: str, body: dict | None = None, headers: dict | None = None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    try:
        connection.request(
            "POST",
            path,
            body=json.dumps(body or {}),
            headers={
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/json",
                **(headers or {}),
            },
        )
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), json.loads(response.read() or b"null")
    finally:
        connection.close()


def _all_at_once(workers: list[int], requests: list[tuple]) -> list[tuple[int, dict, Any]]:
    """Send each (path, token, body, headers) at the same instant, alternately to each worker."""
    barrier = threading.Barrier(len(requests))

    def send(numbered):
        number, (path, token, body, headers) = numbered
        barrier.wait(TIMEOUT)
        return _post(workers[number % len(workers)], path, token, body, headers)

    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        return list(pool.map(send, enumerate(requests)))


def _tokens(session: Session, users) -> list[str]:
    return [issue_token(session, person) for person in users]


def _zoning_task(engine: Engine, clerks: int) -> tuple[int, int, list[int], list[str]]:
    """A paid application's zoning task: its id, the application's, and `clerks` clerks' ids and tokens."""
    with Session(engine) as session, session.begin():
        application, _ = paid_application(session, user(session), NO_SIGN)
        staff = [user(session, "clerk", "TO-TB") for _ in range(clerks)]
        task = session.scalar(
            select(PermitCase.id).where(
                PermitCase.application_id == application.id, PermitCase.permit_code == "TO-ZONING"
            )
        )
        return task, application.id, [person.id for person in staff], _tokens(session, staff)


def _audited(engine: Engine, subject: str) -> Counter:
    with Session(engine) as session:
        return Counter(session.scalars(select(AuditEntry.action).where(AuditEntry.subject == subject)))


def test_clerks_claiming_one_task_on_both_workers_at_once_one_wins(workers, committing_database):
    engine = committing_database
    task, _application, clerks, tokens = _zoning_task(engine, REQUESTS)
    answers = _all_at_once(workers, [(f"/api/v1/tasks/{task}/claim", token, None, None) for token in tokens])
    statuses = Counter(status for status, _headers, _body in answers)
    assert statuses == Counter({200: 1, 409: REQUESTS - 1}), answers
    [winner] = [clerks[n] for n, (status, _h, _b) in enumerate(answers) if status == 200]
    with Session(engine) as session:
        assert session.get(PermitCase, task).claimed_by_id == winner
    assert _audited(engine, f"permit_case:{task}")["task.claim"] == 1
    _books_and_log_hold(engine)


def test_approve_reject_and_request_info_on_both_workers_at_once_one_decision_stands(
    workers, committing_database
):
    engine = committing_database
    task, application_id, _clerks, [token] = _zoning_task(engine, 1)
    assert _post(workers[0], f"/api/v1/tasks/{task}/claim", token)[0] == 200
    decisions = [
        ("approve", {"conditions": ["Open before 11 pm."]}),
        ("reject", {"reason": "Not zoned for it."}),
        ("request-info", {"message": "Send the floor plan."}),
    ]
    requests = [(f"/api/v1/tasks/{task}/{action}", token, body, None) for action, body in decisions] * 3
    before = _mail_count(engine, application_id)
    answers = _all_at_once(workers, requests[:REQUESTS])
    statuses = Counter(status for status, _headers, _body in answers)
    assert set(statuses) == {200, 409} and statuses[200] <= 2, answers
    final = decisions_hold(engine, task, application_id, statuses[200], before)
    assert final in [body["state"] for status, _headers, body in answers if status == 200]
    _books_and_log_hold(engine)


def _submitted(engine: Engine) -> tuple[int, str]:
    with Session(engine) as session, session.begin():
        owner = user(session)
        application, _ = draft_application(session, owner, consented=True)
        submit(session, application, user_id=owner.id, now=utcnow())
        return application.id, issue_token(session, owner)


def _money_rows(engine: Engine, application_id: int) -> tuple[int, int]:
    return (
        _count(
            engine, select(func.count()).select_from(Payment).where(Payment.application_id == application_id)
        ),
        _count(
            engine,
            select(func.count())
            .select_from(LedgerTransaction)
            .where(LedgerTransaction.application_id == application_id),
        ),
    )


@pytest.mark.parametrize("keys", ["same", "different"])
def test_paying_one_invoice_on_both_workers_at_once_charges_once(workers, committing_database, keys):
    engine = committing_database
    application_id, token = _submitted(engine)
    fresh = uuid.uuid4().hex  # never sent to these workers' simulated processors before
    requests = [
        (
            f"/api/v1/applications/{application_id}/payments",
            token,
            {"card_token": "tok_approved"},
            {"Idempotency-Key": fresh if keys == "same" else f"{fresh}-{number}"},
        )
        for number in range(REQUESTS)
    ]
    answers = _all_at_once(workers, requests)
    statuses = Counter(status for status, _headers, _body in answers)
    if keys == "same":
        assert statuses == Counter({201: REQUESTS}), answers
        assert len({body["payment_id"] for _status, _headers, body in answers}) == 1
        replayed = [headers.get("Idempotent-Replayed") for _status, headers, _body in answers]
        assert replayed.count("true") == REQUESTS - 1  # charged by one request, answered to all
    else:
        assert statuses == Counter({201: 1, 409: REQUESTS - 1}), answers
    assert _money_rows(engine, application_id) == (1, 1)
    _books_and_log_hold(engine)


def test_applying_with_one_key_on_both_workers_at_once_makes_one_application(workers, committing_database):
    """A client that resends its application because no answer came (while the first is still
    being made) must find one draft, not two."""
    engine = committing_database
    with Session(engine) as session, session.begin():
        owner = user(session)
        (token,) = _tokens(session, [owner])
        owner_id = owner.id
    key = uuid.uuid4().hex
    body = {"jurisdiction": "3520005", "answers": NO_SIGN}
    answers = _all_at_once(
        workers, [("/api/v1/applications", token, body, {"Idempotency-Key": key})] * REQUESTS
    )
    assert Counter(status for status, _headers, _body in answers) == Counter({201: REQUESTS}), answers
    assert len({body["id"] for _status, _headers, body in answers}) == 1
    replayed = [headers.get("Idempotent-Replayed") for _status, headers, _body in answers]
    assert replayed.count("true") == REQUESTS - 1
    assert (
        _count(engine, select(func.count()).select_from(Application).where(Application.owner_id == owner_id))
        == 1
    )
