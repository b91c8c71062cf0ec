"""SQL statements on the hot paths, against a budget: a new N+1 query fails the build.

Each path is measured twice, over a little data and over more of it (more applications in the
queue, more permits on the dashboard); the count must not grow with the data and must stay
within the path's budget. The budgets are today's counts: lower one when a path gets cheaper,
and raise one only with a reason in the commit.
"""

from __future__ import annotations

from sqlalchemy import select

from accounts.service import create_account, issue_token
from app.db import db_session as app_session
from tests.answer_sets import TORONTO, TORONTO_FULL, TORONTO_FULL_NO_SIGN
from tests.factories import paid_application
from tests.web.conftest import PASSWORD, counted, sign_in
from workflows.applications.store import cases_of
from workflows.models import PermitCase

# Statements per request, by database: SQLite's write lock is a statement of its own, and on SQLite
# a request that writes first ends the read transaction that loaded the signed-in user (two more:
# its end and the next one's start; see app/db.py), or a racing request would get a 500.
BUDGETS = {
    "sqlite": {
        "triage": 3,
        "queue page": 6,
        "task page": 15,
        "dashboard page": 11,
        "application document": 8,
        "claim": 10,
        "approve": 15,
    },
    "postgresql": {
        "triage": 3,
        "queue page": 6,
        "task page": 13,
        "dashboard page": 11,
        "application document": 8,
        "claim": 9,
        "approve": 13,
    },
}


def _setup(app, tag: str, applications: int, answers: dict):
    with app.app_context():
        session = app_session()
        owner = create_account(session, email=f"owner-{tag}@example.ca", password=PASSWORD, name="Owner")
        clerk = create_account(
            session,
            email=f"clerk-{tag}@example.ca",
            password=PASSWORD,
            name="Clerk",
            role="clerk",
            agency_code="TO-TB",
        )
        ids = [paid_application(session, owner, answers)[0].id for _ in range(applications)]
        task = next(c.id for c in cases_of(session, ids[0]) if c.permit_code == "TO-ZONING")
        tokens = {"owner": issue_token(session, owner), "clerk": issue_token(session, clerk)}
        session.commit()
    return ids, task, tokens


def measure(app, tag: str, applications: int, answers: dict) -> dict[str, int]:
    """Statements per hot-path request, after `applications` more paid applications with `answers`."""
    ids, task, tokens = _setup(app, tag, applications, answers)
    owner, clerk = app.test_client(), app.test_client()
    owner.environ_base["REMOTE_ADDR"], clerk.environ_base["REMOTE_ADDR"] = f"10.0.{tag}.1", f"10.0.{tag}.2"
    assert sign_in(owner, f"owner-{tag}@example.ca").status_code == 302
    assert sign_in(clerk, f"clerk-{tag}@example.ca").status_code == 302
    as_owner = {"Authorization": f"Bearer {tokens['owner']}"}
    as_clerk = {"Authorization": f"Bearer {tokens['clerk']}"}
    triage = {"jurisdiction": TORONTO, "answers": TORONTO_FULL}
    requests = {
        "triage": lambda: owner.post("/api/v1/triage", json=triage),
        "queue page": lambda: clerk.get("/staff/queue"),
        "task page": lambda: clerk.get(f"/staff/tasks/{task}"),
        "dashboard page": lambda: owner.get(f"/applications/{ids[0]}"),
        "application document": lambda: owner.get(f"/api/v1/applications/{ids[0]}", headers=as_owner),
        "claim": lambda: clerk.post(f"/api/v1/tasks/{task}/claim", json={}, headers=as_clerk),
        "approve": lambda: clerk.post(f"/api/v1/tasks/{task}/approve", json={}, headers=as_clerk),
    }
    for path in ("triage", "queue page", "dashboard page"):
        requests[path]()  # the packs compiled into this process's cache, as on a warm worker
    counts = {}
    for path, request in requests.items():
        with counted(app) as statements:
            response = request()
        assert response.status_code == 200, (
            path,
            response.status_code,
            response.get_data(as_text=True)[:300],
        )
        counts[path] = len(statements)
    with app.app_context():
        state = app_session().scalar(select(PermitCase.state).where(PermitCase.id == task))
    assert state != "submitted"  # the approval moved the task on
    return counts


def test_the_hot_paths_cost_no_more_statements_with_more_data_and_stay_within_budget(app):
    little = measure(app, "1", 1, TORONTO_FULL_NO_SIGN)
    more = measure(app, "2", 6, TORONTO_FULL)  # 7 applications in the queue, a permit more on each

    assert more == little
    budgets = BUDGETS[app.extensions["guichet.db"].sessions.kw["bind"].dialect.name]
    over = {path: (count, budgets[path]) for path, count in little.items() if count > budgets[path]}
    assert over == {}, f"statements (counted, budget) per request: {over}"
