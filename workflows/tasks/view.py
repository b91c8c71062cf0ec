"""What a clerk sees of a task: the permit, the application's data shared with their agency, the
history, the prerequisites. Reading it is logged.

Data minimisation: the agency receives the fields its own permits in this application
declare, and only those the applicant consented to share with it, plus the Business
Number and the business's name, which identify whom the decision is about. Every such
view is written to the audit log (who, which task, which fields, when) in the caller's
transaction, so the view and its record are kept together.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.models import User
from workflows.application_form import BUSINESS_NUMBER_FIELD
from workflows.applications.store import cases_of, chain_of, events_of, permits_of
from workflows.audit import record
from workflows.models import Application, Consent, PermitCase, PermitEvent
from workflows.packs.model import Chain, FieldDefinition, Jurisdiction, Permit
from workflows.permit_workflow import restore_workflows
from workflows.tasks.access import can_see, is_overdue
from workflows.tasks.actions import staff_of_agency, task_actions
from workflows.tasks.errors import TaskNotFound

#: Shown to every agency of the application: they name whom a decision is about.
IDENTIFYING_FIELDS = ("legal_name", "operating_name")
ALWAYS_SHOWN = frozenset({*IDENTIFYING_FIELDS, BUSINESS_NUMBER_FIELD})  # shown apart, not as shared fields


@dataclass(frozen=True, slots=True)
class SharedField:
    definition: FieldDefinition
    value: Any  # None when the applicant left it empty


@dataclass(frozen=True, slots=True)
class Prerequisite:
    permit: Permit
    state: str


@dataclass(frozen=True, slots=True)
class TaskView:
    case: PermitCase
    application: Application
    permit: Permit
    municipality: Jurisdiction
    business_number: str | None
    business_name: str | None
    shared: tuple[SharedField, ...]  # this agency's fields the applicant consented to share
    history: tuple[PermitEvent, ...]
    actors: dict[int, str]  # user id -> name, for the history and the claim
    prerequisites: tuple[Prerequisite, ...]
    actions: tuple[str, ...]  # what the viewer may do now
    colleagues: tuple[User, ...]  # whom a supervisor can reassign to (empty for a clerk)
    overdue: bool


def view_task(session: Session, task_id: int, staff: User, *, now: datetime) -> TaskView:
    """The task as `staff` may see it, logged as a staff view; TaskNotFound if not theirs to see."""
    case = session.get(PermitCase, task_id)
    if not can_see(staff, case):
        raise TaskNotFound(task_id)
    application = session.get(Application, case.application_id)
    chain = chain_of(session, application)
    cases = cases_of(session, application.id)
    restore_workflows(session, {c.workflow for c in cases})
    (permit,) = permits_of(chain, [case])
    shared = shared_fields(session, chain, application, cases, staff.agency_code)
    history = tuple(events_of(session, [case])[case.id])
    states = {c.permit_code: c.state for c in cases}
    by_code = {p.code: p for p in chain.permits}
    people = {e.actor_id for e in history if e.actor_id} | ({case.claimed_by_id} - {None})
    actors = dict(session.execute(select(User.id, User.name).where(User.id.in_(people))).all())
    record(
        session,
        "staff.view",
        actor_id=staff.id,
        subject=f"permit_case:{case.id}",
        details={"application_id": application.id, "fields": [f.definition.id for f in shared]},
        at=now,
    )
    actions = task_actions(case, cases, staff)
    return TaskView(
        case=case,
        application=application,
        permit=permit,
        municipality=chain.municipality,
        business_number=application.business_number,
        business_name=_business_name(application),
        shared=shared,
        history=history,
        actors=actors,
        prerequisites=tuple(
            Prerequisite(by_code[code], states[code]) for code in case.prerequisites if code in states
        ),
        actions=actions,
        colleagues=tuple(staff_of_agency(session, staff.agency_code)) if "reassign" in actions else (),
        overdue=is_overdue(case, now),
    )


def shared_fields(
    session: Session, chain: Chain, application: Application, cases: list[PermitCase], agency_code: str
) -> tuple[SharedField, ...]:
    """The fields this agency's permits in the application declare that a consent to it covers."""
    own = [p for p in permits_of(chain, cases) if p.agency.code == agency_code]
    declared = {field_id for permit in own for field_id in permit.fields}
    consented: set[str] = set()
    for fields in session.scalars(
        select(Consent.fields).where(
            Consent.application_id == application.id, Consent.agency_code == agency_code
        )
    ):
        consented.update(fields)
    values = application.form_values
    return tuple(
        SharedField(definition, values.get(field_id))
        for field_id, definition in chain.fields.items()
        if field_id in declared and field_id in consented and field_id not in ALWAYS_SHOWN
    )


def _business_name(application: Application) -> str | None:
    values = application.form_values
    legal, operating = (values.get(field) for field in IDENTIFYING_FIELDS)
    if legal and operating and operating != legal:
        return f"{operating} ({legal})"
    return operating or legal
