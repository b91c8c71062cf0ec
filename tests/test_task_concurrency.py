"""Clerks claiming and deciding one task at the same moment: exactly one wins, on both databases.

Each thread has its own connection and commits, as separate requests would, so this module
uses its own migrated database (`committing_database`), not the rolled-back `db_session`.
"""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from accounts.models import User
from tests.answer_sets import TORONTO_FULL_NO_SIGN as NO_SIGN
from tests.factories import paid_application, user
from tests.test_permit_concurrency import THREADS, _all_at_once
from workflows.audit.models import AuditEntry
from workflows.db import utcnow
from workflows.models import PermitCase, PermitEvent
from workflows.tasks import TaskConflict, approve, claim


@pytest.fixture
def engine(committing_database: Engine) -> Engine:
    return committing_database


def _zoning_task(engine: Engine) -> tuple[int, list[User]]:
    """A paid application's zoning task, and THREADS clerks of its agency (committed; loaded before
    the threads start, as a request's user is, so each thread's first statement takes the lock)."""
    with Session(engine, expire_on_commit=False) as session, session.begin():
        application, _ = paid_application(session, user(session), NO_SIGN)
        clerks = [user(session, "clerk", "TO-TB") for _ in range(THREADS)]
        task = session.scalar(
            select(PermitCase.id).where(
                PermitCase.application_id == application.id, PermitCase.permit_code == "TO-ZONING"
            )
        )
    return task, clerks


def _claim_as(task_id: int, clerk: User):
    def job(session: Session):
        return claim(session, task_id, clerk, now=utcnow()).claimed_by_id

    return job


def test_one_of_many_clerks_claiming_at_once_wins(engine):
    task, clerks = _zoning_task(engine)
    results = _all_at_once(engine, [_claim_as(task, clerk) for clerk in clerks])
    winners = [result for result in results if isinstance(result, int)]
    losers = [result for result in results if isinstance(result, Exception)]
    assert len(winners) == 1 and len(losers) == THREADS - 1, results
    assert all(isinstance(error, TaskConflict) for error in losers), losers
    with Session(engine) as session:
        assert session.get(PermitCase, task).claimed_by_id == winners[0]
        claims = session.scalars(
            select(AuditEntry.actor_id).where(
                AuditEntry.action == "task.claim", AuditEntry.subject == f"permit_case:{task}"
            )
        ).all()
    assert claims == winners


def test_simultaneous_approvals_of_one_step_approve_it_once(engine):
    task, clerks = _zoning_task(engine)
    with Session(engine) as session, session.begin():
        claim(session, task, clerks[0], now=utcnow())

    def approving(session: Session):
        return approve(session, task, clerks[0], None, now=utcnow()).state

    results = _all_at_once(engine, [approving] * THREADS)
    assert results.count("approved") == 1, results
    assert all(isinstance(r, TaskConflict) for r in results if r != "approved"), results
    with Session(engine) as session:
        events = Counter(session.scalars(select(PermitEvent.event).where(PermitEvent.permit_case_id == task)))
    assert events["approve"] == 1
