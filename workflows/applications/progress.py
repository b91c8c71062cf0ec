"""Where each permit of an application stands, in the terms the dashboard shows: whose turn it is,
what it waits on, the next step. Derived from the cases; nothing here is stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy.orm import Session

from workflows.applications.store import cases_of, chain_of, events_of, permits_of
from workflows.models import Application, PermitCase, PermitEvent
from workflows.packs.model import Chain, Permit
from workflows.permit_workflow import (
    ApplicationStatus,
    allowed_events,
    application_status,
    restore_workflows,
    template_for,
)
from workflows.workflow_templates import (
    APPROVED,
    DRAFT,
    FINAL_STATES,
    INFO_REQUESTED_SUFFIX,
    PAID,
    SUBMITTED,
)

Waiting = Literal["submission", "payment", "prerequisites", "agency", "applicant", "nothing"]


@dataclass(frozen=True, slots=True)
class PermitProgress:
    case: PermitCase
    permit: Permit
    history: tuple[PermitEvent, ...]
    waiting_on: Waiting
    waiting_for: tuple[str, ...]  # with "prerequisites": the permit codes not yet approved
    step: str | None  # the clerk step it is at (or waits to come back to), if any
    next_step: str | None  # the step after it, or "approved" after the last; None when finished
    due_at: datetime | None
    applicant_actions: tuple[str, ...]  # what the applicant may do now: withdraw, provide_info


@dataclass(frozen=True, slots=True)
class ApplicationView:
    """Everything the dashboard and the API show of one application, read in a few queries."""

    application: Application
    chain: Chain
    status: ApplicationStatus
    permits: tuple[PermitProgress, ...]

    @property
    def total_fee_cents(self) -> int:
        return sum(p.case.fee_cents for p in self.permits)


def view_application(session: Session, application: Application) -> ApplicationView:
    chain = chain_of(session, application)
    cases = cases_of(session, application.id)
    restore_workflows(
        session, {case.workflow for case in cases}
    )  # pack workflows this process never compiled
    events = events_of(session, cases)
    rank = chain.permit_rank
    rows = sorted(zip(cases, permits_of(chain, cases), strict=True), key=lambda row: rank[row[0].permit_code])
    return ApplicationView(
        application,
        chain,
        application_status(cases),
        tuple(permit_progress(case, permit, cases, events[case.id]) for case, permit in rows),
    )


def permit_progress(
    case: PermitCase, permit: Permit, cases: Sequence[PermitCase], history: Sequence[PermitEvent]
) -> PermitProgress:
    template = template_for(case.workflow)
    state = case.state
    step = state.removesuffix(INFO_REQUESTED_SUFFIX) if state.endswith(INFO_REQUESTED_SUFFIX) else state
    step = step if step in template.clerk_steps else None
    waiting_for: tuple[str, ...] = ()
    if state == DRAFT:
        waiting_on: Waiting = "submission"
    elif state == SUBMITTED:
        waiting_on = "payment"
    elif state == PAID:
        states = {c.permit_code: c.state for c in cases}
        waiting_for = tuple(code for code in case.prerequisites if states.get(code, APPROVED) != APPROVED)
        waiting_on = "prerequisites" if waiting_for else "agency"
    elif state in FINAL_STATES:
        waiting_on = "nothing"
    elif state.endswith(INFO_REQUESTED_SUFFIX):
        waiting_on = "applicant"
    else:
        waiting_on = "agency"
    if state in FINAL_STATES:
        next_step = None
    elif step is not None:
        following = template.clerk_steps[template.clerk_steps.index(step) + 1 :]
        next_step = following[0] if following else APPROVED
    else:
        next_step = template.clerk_steps[0] if template.clerk_steps else APPROVED
    return PermitProgress(
        case=case,
        permit=permit,
        history=tuple(history),
        waiting_on=waiting_on,
        waiting_for=waiting_for,
        step=step,
        next_step=next_step,
        due_at=case.due_at,
        applicant_actions=allowed_events(case, cases, by="applicant"),
    )
