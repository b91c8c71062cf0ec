"""Seeded data for the service-quality tests: licensed, refused and asked-about applications whose
clocks are set by hand, so every median, percentile and share can be worked out on paper."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from accounts.models import User
from licences.models import Licence
from tests.answer_sets import TORONTO_FULL_NO_SIGN, VANCOUVER, VANCOUVER_FULL
from tests.factories import NOW, approve_every_step, licensed_application, paid_application, user
from workflows.applications.replies import answer_information_request
from workflows.applications.store import cases_of
from workflows.models import Application, PermitCase, PermitEvent
from workflows.payments import SimulatedGateway
from workflows.quality import Period
from workflows.tasks import approve, claim, reject, request_info
from workflows.workflow_templates import APPROVED, REJECTED

SUBMITTED = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
PERIOD = Period(SUBMITTED.date(), datetime(2026, 10, 31, tzinfo=UTC).date())
DUE_DAYS = 10
#: Days from submission to decision of the five licensed Toronto applications, then the refusal.
LICENSED_DAYS = (2, 4, 7, 11, 20)
REFUSED_DAYS = 30
ZONING = "TO-ZONING"  # decided by Toronto Buildings (TO-TB)


def set_clock(
    session: Session, application: Application, *, submitted: datetime, decided_after: timedelta
) -> None:
    """Move the application's history: created and submitted at `submitted`, every permit due
    DUE_DAYS later, every decision and the licence `decided_after` submission, every other event at submission
    except requests for information (a day after). Core updates: the ORM refuses to rewrite
    history, which is right everywhere but in a test's time machine."""
    session.flush()
    session.execute(
        update(Application)
        .where(Application.id == application.id)
        .values(created_at=submitted, submitted_at=submitted)
    )
    case_ids = [case.id for case in cases_of(session, application.id)]
    session.execute(
        update(PermitCase)
        .where(PermitCase.id.in_(case_ids), PermitCase.decision_due_at.is_not(None))
        .values(decision_due_at=submitted + timedelta(days=DUE_DAYS))
    )
    events = update(PermitEvent).where(PermitEvent.permit_case_id.in_(case_ids))
    session.execute(events.values(at=submitted))
    session.execute(
        events.where(PermitEvent.event == "request_info").values(at=submitted + timedelta(days=1))
    )
    session.execute(
        events.where(
            PermitEvent.event.in_(("approve", "reject")), PermitEvent.to_state.in_((APPROVED, REJECTED))
        ).values(at=submitted + decided_after)
    )
    session.execute(
        update(Licence)
        .where(Licence.application_id == application.id)
        .values(issued_at=submitted + decided_after)
    )
    session.expire_all()


def zoning_case(session: Session, application: Application) -> PermitCase:
    return next(case for case in cases_of(session, application.id) if case.permit_code == ZONING)


@dataclass
class QualityWorld:
    licensed: list[Application] = field(default_factory=list)
    refused: Application | None = None
    vancouver: Application | None = None
    owners: list[User] = field(default_factory=list)


def seed(
    session: Session, *, licensed_days: tuple[int, ...] = LICENSED_DAYS, vancouver: bool = True
) -> QualityWorld:
    """Five licensed Toronto applications (the third asked twice for information on zoning), one
    whose zoning permit was refused, and a licensed Vancouver one."""
    world = QualityWorld()
    clerk = user(session, "clerk", "TO-TB")
    for index, days in enumerate(licensed_days):
        owner = user(session)
        application, _ = paid_application(session, owner, TORONTO_FULL_NO_SIGN)
        if index == 2:
            case = zoning_case(session, application)
            for question in ("Which lot?", "Which floor?"):
                claim(session, case.id, clerk, now=NOW)
                request_info(session, case.id, clerk, question, now=NOW)
                answer_information_request(session, application, ZONING, "Lot 12", user_id=owner.id)
            approve(session, case.id, clerk, None, now=NOW)  # back with the clerk who asked
        approve_every_step(session, application)
        set_clock(session, application, submitted=SUBMITTED, decided_after=timedelta(days=days))
        world.licensed.append(application)
        world.owners.append(owner)
    owner = user(session)
    application, _ = paid_application(session, owner, TORONTO_FULL_NO_SIGN)
    case = zoning_case(session, application)
    claim(session, case.id, clerk, now=NOW)
    reject(session, case.id, clerk, "Not zoned for a restaurant.", gateway=SimulatedGateway(), now=NOW)
    set_clock(session, application, submitted=SUBMITTED, decided_after=timedelta(days=REFUSED_DAYS))
    world.refused = application
    world.owners.append(owner)
    if vancouver:
        owner = user(session)
        world.vancouver = vancouver_licensed(session, owner)
        set_clock(session, world.vancouver, submitted=SUBMITTED, decided_after=timedelta(days=3))
        world.owners.append(owner)
    return world


def vancouver_licensed(session: Session, owner: User) -> Application:
    """A Vancouver restaurant taken all the way to its licence."""
    application, _ = licensed_application(session, owner, VANCOUVER_FULL, jurisdiction=VANCOUVER)
    return application
