"""An application's state, derived from its permits' states: never stored, so never out of step."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from workflows.permit_workflow.machines import template_for
from workflows.workflow_templates import (
    APPROVED,
    DRAFT,
    FINAL_STATES,
    INFO_REQUESTED_SUFFIX,
    REJECTED,
    SUBMITTED,
    WITHDRAWN,
)

ApplicationState = Literal["draft", "submitted", "paid", "in_progress", "licensed", "refused", "withdrawn"]


class CaseLike(Protocol):
    permit_code: str
    workflow: str
    prerequisites: Sequence[str]

    @property
    def state(self) -> str: ...


@dataclass(frozen=True, slots=True)
class ApplicationStatus:
    """What the dashboard shows: one state, and which permits stand where (permit codes)."""

    state: ApplicationState
    approved: tuple[str, ...] = ()
    refused: tuple[str, ...] = ()
    withdrawn: tuple[str, ...] = ()
    pending: tuple[str, ...] = ()  # neither approved, refused nor withdrawn
    waiting_for_applicant: tuple[str, ...] = ()  # a clerk asked for more information
    blocked: tuple[str, ...] = ()  # pending, but a prerequisite was refused or withdrawn: cannot start


def application_status(cases: Iterable[CaseLike]) -> ApplicationStatus:
    """draft -> submitted -> paid -> in_progress -> licensed, or refused, or withdrawn.

    Withdrawn permits do not count, unless every permit was withdrawn. Any refused permit
    makes the application refused (the others may still be granted: see `approved` and
    `pending`). `paid` lasts until a clerk acts: every permit is paid and waiting, or at
    its first step, or is a registration already granted by itself.
    """
    cases = list(cases)
    by_state: dict[str, list[str]] = {}
    for case in cases:
        by_state.setdefault(case.state, []).append(case.permit_code)
    active = [case for case in cases if case.state != WITHDRAWN]
    pending = [case for case in active if case.state not in FINAL_STATES]
    dead = {case.permit_code for case in cases if case.state in (REJECTED, WITHDRAWN)}
    blocked: set[str] = set()
    while True:  # a refused or withdrawn prerequisite blocks a permit, and whatever waits on it
        unusable = dead | blocked
        more = {case.permit_code for case in pending if unusable.intersection(case.prerequisites)}
        if more <= blocked:
            break
        blocked |= more
    details = dict(
        approved=tuple(by_state.get(APPROVED, ())),
        refused=tuple(by_state.get(REJECTED, ())),
        withdrawn=tuple(by_state.get(WITHDRAWN, ())),
        pending=tuple(case.permit_code for case in pending),
        waiting_for_applicant=tuple(
            c.permit_code for c in pending if c.state.endswith(INFO_REQUESTED_SUFFIX)
        ),
        blocked=tuple(case.permit_code for case in pending if case.permit_code in blocked),
    )
    return ApplicationStatus(_state(cases, active), **details)


def _state(cases: list[CaseLike], active: list[CaseLike]) -> ApplicationState:
    states = {case.state for case in active}
    if not cases:
        return "draft"
    if not active:
        return "withdrawn"
    if REJECTED in states:
        return "refused"
    if DRAFT in states:
        return "draft"
    if SUBMITTED in states:
        return "submitted"
    if states == {APPROVED}:
        return "licensed"
    if all(_untouched(case) for case in active):
        return "paid"
    return "in_progress"


def _untouched(case: CaseLike) -> bool:
    """No one at an agency has acted on it yet (a registration granted by itself counts as untouched)."""
    template = template_for(case.workflow)
    return case.state in template.queued_states or (case.state == APPROVED and not template.clerk_steps)
