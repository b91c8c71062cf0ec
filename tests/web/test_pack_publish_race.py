"""Administrators publishing packs at the same instant: one publication wins, every other one is told
its preview is stale (409 on the page), never a 500 and never two versions at once.

Each publication runs in its own thread, connection and transaction, as requests to separate
workers would, so this module uses its own migrated database (`committing_database`).
"""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from html import unescape

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from accounts.models import User
from accounts.service import create_account
from tests.factories import user
from tests.test_permit_concurrency import THREADS, _all_at_once
from tests.web.conftest import PASSWORD, csrf_token
from tests.web.test_admin_packs import TORONTO_TEXT, upload
from tests.web.test_scale_out import _worker
from workflows.audit import AuditEntry, verify
from workflows.models import PackVersion
from workflows.pack_admin import StalePreview, publish, restore
from workflows.pack_store import packs_revision
from workflows.packs.loader import PackSource

TORONTO = "3520005"
FILENAME = "toronto-3520005.yaml"
EATING_FEE = "fee: {kind: flat, amount_cents: 51600}"


def _edit(number: int) -> str:
    """Toronto's pack with the eating licence's fee changed: a different text for each number."""
    text = TORONTO_TEXT.replace(EATING_FEE, f"fee: {{kind: flat, amount_cents: {52_000 + number}}}", 1)
    assert text != TORONTO_TEXT
    return text


def _counts(engine: Engine) -> tuple[int, int]:
    """Toronto's versions and the pack audit entries, as they stand."""
    with Session(engine) as session:
        versions = session.scalar(
            select(func.count()).select_from(PackVersion).where(PackVersion.jurisdiction_code == TORONTO)
        )
        audited = session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action.like("pack.%"))
        )
    return versions, audited


def _in_force(engine: Engine) -> PackVersion:
    with Session(engine) as session:
        return session.scalars(
            select(PackVersion).where(PackVersion.jurisdiction_code == TORONTO, PackVersion.active)
        ).one()


def _admins(engine: Engine, count: int) -> list[User]:
    with Session(engine, expire_on_commit=False) as session, session.begin():
        return [user(session, "admin") for _ in range(count)]


def _audit_holds(engine: Engine) -> None:
    with Session(engine) as session:
        assert verify(session).ok


def test_admins_publishing_one_jurisdiction_at_once_one_wins_the_rest_are_stale(committing_database):
    engine = committing_database
    admins = _admins(engine, THREADS)
    with Session(engine) as session:
        revision = packs_revision(session)
    versions, audited = _counts(engine)

    def publishing(number: int):
        def job(session: Session):
            [result] = publish(
                session,
                [PackSource(FILENAME, _edit(number))],
                actor=admins[number],
                expected_revision=revision,
            )
            return number, result.version

        return job

    results = _all_at_once(engine, [publishing(number) for number in range(THREADS)])
    won = [result for result in results if isinstance(result, tuple)]
    lost = [result for result in results if isinstance(result, Exception)]
    assert len(won) == 1 and len(lost) == THREADS - 1, results
    assert all(isinstance(error, StalePreview) for error in lost), lost
    [(winner, version)] = won
    assert _counts(engine) == (versions + 1, audited + 1)
    in_force = _in_force(engine)
    assert (in_force.version, in_force.source) == (version, _edit(winner))
    _audit_holds(engine)


def test_restores_of_one_jurisdiction_at_once_restore_it_once(committing_database):
    engine = committing_database
    admins = _admins(engine, THREADS)
    with Session(engine) as session, session.begin():
        [first] = publish(session, [PackSource(FILENAME, _edit(100))], actor=None)
        publish(session, [PackSource(FILENAME, _edit(101))], actor=None)
    with Session(engine) as session:
        revision = packs_revision(session)
    versions, audited = _counts(engine)

    def restoring(number: int):
        def job(session: Session):
            return restore(session, TORONTO, first.version, actor=admins[number], expected_revision=revision)

        return job

    results = _all_at_once(engine, [restoring(number) for number in range(THREADS)])
    won = [result for result in results if not isinstance(result, Exception)]
    assert len(won) == 1, results
    assert all(isinstance(result, StalePreview) for result in results if result not in won), results
    assert _counts(engine) == (versions + 1, audited + 1)
    assert _in_force(engine).source == _edit(100)
    _audit_holds(engine)


def test_the_command_line_loading_packs_from_several_workers_at_once_stores_one_version(committing_database):
    """`flask packs load` on every worker at start-up: no revision to check, but still one version."""
    engine = committing_database
    versions, _audited = _counts(engine)
    text = _edit(200)

    def loading(session: Session):
        [result] = publish(session, [PackSource(FILENAME, text)], actor=None)
        return result.changed

    results = _all_at_once(engine, [loading] * THREADS)
    assert sorted(results) == [False] * (THREADS - 1) + [True], results
    assert _counts(engine)[0] == versions + 1
    assert _in_force(engine).source == text


# --- through the pages, on two app workers ---------------------------------------------------------


@pytest.fixture
def workers(committing_database: Engine):
    first, second = _worker(committing_database), _worker(committing_database)
    yield first, second
    for worker in (first, second):
        worker.extensions["guichet.db"].engine.dispose()


def _signed_in_admin(worker, email: str):
    with worker.app_context():
        from app.db import transaction

        with transaction() as session:
            create_account(
                session, email=email, password=PASSWORD, name=email, role="admin", jurisdiction_code="CA-ON"
            )
    client = worker.test_client()
    page = client.get("/account/signin").get_data(as_text=True)
    signed_in = client.post(
        "/account/signin", data={"email": email, "password": PASSWORD, "csrf_token": csrf_token(page)}
    )
    assert signed_in.status_code == 302
    return client


def _previewed(client, text: str) -> dict[str, str]:
    """Upload a file and return the preview's Publish form, as the browser would post it."""
    token = csrf_token(client.get("/admin/packs/upload").get_data(as_text=True))
    html = unescape(upload(client, (FILENAME, text), data={"csrf_token": token}).get_data(as_text=True))
    carried = re.search(r'name="upload"[^>]*?value="([^"]*)"', html).group(1)
    return {"upload": carried, "csrf_token": csrf_token(html)}


def test_two_admins_pressing_publish_at_the_same_instant_get_published_and_stale(
    workers, committing_database
):
    """Each on their own worker: one is published (302), the other sees the preview again (409)."""
    clients = [_signed_in_admin(worker, f"race-{n}@example.ca") for n, worker in enumerate(workers)]
    forms = [_previewed(client, _edit(300 + n)) for n, client in enumerate(clients)]
    versions, audited = _counts(committing_database)
    barrier = threading.Barrier(len(clients))

    def press(number: int):
        barrier.wait()
        return clients[number].post("/admin/packs/publish", data=forms[number])

    with ThreadPoolExecutor(max_workers=len(clients)) as pool:
        responses = list(pool.map(press, range(len(clients))))
    assert sorted(response.status_code for response in responses) == [302, 409]
    [stale] = [response for response in responses if response.status_code == 409]
    assert 'id="stale"' in stale.get_data(as_text=True)
    assert _counts(committing_database) == (versions + 1, audited + 1)
    _audit_holds(committing_database)
