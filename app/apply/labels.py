"""Plain-language names for the engine's states, steps, events and actors, in the visitor's language.

The engine names things for machines (`final_approval_info_requested`); these are what a
person reads. A name a pack introduces (its own workflow's step) and that has no label here
is shown readably ("Site visit" for `site_visit`) rather than hidden.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from workflows.workflow_templates import APPROVED, INFO_REQUESTED_SUFFIX

LEVELS = {"federal": _l("Federal"), "provincial": _l("Provincial"), "municipal": _l("Municipal")}

APPLICATION_STATES = {
    "draft": _l("Draft: not submitted yet"),
    "submitted": _l("Submitted: waiting for payment"),
    "paid": _l("Paid: waiting for the agencies"),
    "in_progress": _l("In progress at the agencies"),
    "licensed": _l("Licensed: every permit is approved"),
    "refused": _l("Refused: a permit was refused"),
    "withdrawn": _l("Withdrawn: every permit was withdrawn"),
}

STATES = {
    "draft": _l("Draft"),
    "submitted": _l("Submitted"),
    "paid": _l("Paid"),
    "approved": _l("Approved"),
    "rejected": _l("Refused"),
    "withdrawn": _l("Withdrawn"),
}

STEPS = {
    "review": _l("Review"),
    "inspection": _l("Inspection"),
    "final_approval": _l("Final approval"),
    "plan_review": _l("Plan review"),
    "proof_check": _l("Proof check"),
}

EVENTS = {
    "submit": _l("Submission"),
    "withdraw": _l("Withdrawal"),
    "pay": _l("Payment"),
    "start": _l("Processing starts"),
    "complete": _l("Registration"),
    "approve": _l("Approval"),
    "request_info": _l("Request for information"),
    "provide_info": _l("Information provided"),
    "reject": _l("Refusal"),
}

ACTORS = {
    "applicant": _l("The applicant"),
    "clerk": _l("A clerk of the agency"),
    "system": _l("Guichet, automatically"),
}


def _readable(name: str) -> str:
    return name.replace("_", " ").capitalize()


def step_label(step: str) -> str:
    return str(STEPS[step]) if step in STEPS else _readable(step)


def state_label(state: str) -> str:
    """A permit's state: a frame state, a clerk step, or a step waiting for the applicant's answer."""
    if state in STATES:
        return str(STATES[state])
    if state.endswith(INFO_REQUESTED_SUFFIX):
        step = step_label(state.removesuffix(INFO_REQUESTED_SUFFIX))
        return _("%(step)s: waiting for more information from the applicant", step=step)
    return step_label(state)


def next_step_label(step: str) -> str:
    return str(EVENTS["approve"]) if step == APPROVED else step_label(step)


def event_label(event: str) -> str:
    return str(EVENTS[event]) if event in EVENTS else _readable(event)


def actor_label(actor: str) -> str:
    return str(ACTORS[actor]) if actor in ACTORS else _readable(actor)


def application_state_label(state: str) -> str:
    return str(APPLICATION_STATES[state]) if state in APPLICATION_STATES else _readable(state)


def level_label(level: str) -> str:
    return str(LEVELS[level]) if level in LEVELS else _readable(level)


LICENCE_STATUSES = {
    "valid": _l("Valid"),
    "superseded": _l("Superseded"),
    "expired": _l("Expired"),
    "revoked": _l("Revoked"),
}


def licence_status_label(status: str) -> str:
    return str(LICENCE_STATUSES[status]) if status in LICENCE_STATUSES else _readable(status)
