"""Simultaneous submissions and consents on one application: one effect each, never two.

Each thread has its own connection and commits, so this module uses its own migrated
database with the bundled packs, not the rolled-back `db_session`.
"""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from tests.factories import draft_application, user
from tests.test_permit_concurrency import THREADS, _all_at_once
from workflows.applications import (
    NotADraft,
    consent_requests,
    give_consent,
    lock_application,
    submit,
)
from workflows.db import utcnow
from workflows.models import AssignedBusinessNumber, Consent, PermitCase, PermitEvent


@pytest.fixture
def engine(committing_database: Engine) -> Engine:
    return committing_database


def _draft(engine: Engine, *, consented: bool) -> tuple[int, int, list[str]]:
    """A complete draft, committed: (application id, owner id, its agencies)."""
    with Session(engine) as session, session.begin():
        owner = user(session)
        application, _ = draft_application(session, owner, consented=consented)
        agencies = [request.agency_code for request in consent_requests(session, application)]
        return application.id, owner.id, agencies


def _count(engine: Engine, statement) -> int:
    with Session(engine) as session:
        return session.scalar(statement)


def test_only_one_of_many_simultaneous_submissions_goes_through(engine):
    application_id, owner_id, _agencies = _draft(engine, consented=True)

    def send(session: Session):
        return submit(session, lock_application(session, application_id), user_id=owner_id, now=utcnow())

    results = _all_at_once(engine, [send] * THREADS)
    losers = [result for result in results if isinstance(result, Exception)]
    assert len(losers) == THREADS - 1
    assert all(isinstance(error, NotADraft) for error in losers), losers
    assert _count(engine, select(func.count()).select_from(AssignedBusinessNumber)) == 1
    with Session(engine) as session:
        cases = session.scalars(
            select(PermitCase.id).where(PermitCase.application_id == application_id)
        ).all()
        submits = Counter(
            session.scalars(
                select(PermitEvent.permit_case_id).where(
                    PermitEvent.permit_case_id.in_(cases), PermitEvent.event == "submit"
                )
            )
        )
    assert set(submits.values()) == {1} and len(submits) == len(cases)


def test_simultaneous_consents_record_each_agency_once(engine):
    application_id, owner_id, agencies = _draft(engine, consented=False)

    def consent(session: Session):
        application = lock_application(session, application_id)
        return len(give_consent(session, application, agencies, user_id=owner_id, now=utcnow()))

    results = _all_at_once(engine, [consent] * THREADS)
    assert sorted(results) == [0] * (THREADS - 1) + [len(agencies)]
    rows = _count(
        engine, select(func.count()).select_from(Consent).where(Consent.application_id == application_id)
    )
    assert rows == len(agencies)
