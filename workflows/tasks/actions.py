"""What a clerk does with a task: claim it, release it, decide it; what a supervisor adds: reassign.

Each function runs inside the caller's transaction and never commits. It locks the
task's application first, then its permit cases (the order every change of an
application takes, so none deadlocks), then checks the person may act: a task of another
agency is TaskNotFound, an action its state does not allow is TaskConflict with what is
allowed. Two clerks claiming one task at once take turns on the lock: the first wins, the
second finds it claimed.

Deciding is firing the step's event on the permit's workflow: `approve` moves the permit
to its next step (back to the queue, unclaimed, if a clerk decides that one too) or
grants it; `reject` ends it and gives its fee back if the pack says refundable;
`request_info` waits for the applicant, and their answer brings the task back to the
clerk who asked. The applicant is told by email (through the outbox, in the same
transaction) when a permit is approved, refused or needs information. Approving the last
pending permit issues the consolidated licence in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.models import User
from licences.issuance import issue_licence_if_due
from workflows.applications.store import chain_of, permits_of
from workflows.audit import record
from workflows.db import is_row_id
from workflows.models import Application, PermitCase
from workflows.notifications import notify
from workflows.packs.model import Chain
from workflows.payments import settle_ended_permits
from workflows.payments.gateway import PaymentGateway
from workflows.permit_workflow import allowed_events, fire, lock_application_of_case
from workflows.tasks.access import can_see, is_supervisor
from workflows.tasks.errors import TaskConflict, TaskInputError, TaskNotFound
from workflows.text import FieldError, Text
from workflows.workflow_templates import APPROVED

#: Everything a person can do with a task, in the order pages show them.
ACTIONS = ("claim", "release", "approve", "request_info", "reject", "reassign")
DECISIONS = ("approve", "request_info", "reject")
MAX_CONDITIONS = 20
MAX_CONDITION_LENGTH = 500
MAX_MESSAGE_LENGTH = 2000


@dataclass(frozen=True, slots=True)
class LockedTask:
    """A task loaded to act on: its case, the application's cases (its own among them), the
    application and its owner."""

    case: PermitCase
    cases: list[PermitCase]
    application: Application
    owner: User


def lock_task(session: Session, task_id: int, staff: User) -> LockedTask:
    """The task, locked until the transaction ends, if `staff` may see it; TaskNotFound otherwise.

    Its application and every case of it are locked and read together, and the owner with
    them, so that what an action does next (fire the event, write the applicant's email, issue
    the licence) reads none of them again: the email finds the owner in the session.
    """
    locked = lock_application_of_case(session, task_id)
    case = locked.case(task_id) if locked is not None else None
    if not can_see(staff, case):
        raise TaskNotFound(task_id)
    return LockedTask(case, locked.cases, locked.application, locked.owner)


def task_actions(case: PermitCase, cases: Sequence[PermitCase], staff: User) -> tuple[str, ...]:
    """What `staff` may do with the task now, in ACTIONS order."""
    actions = []
    if case.waiting_on == "clerk" and case.claimed_by_id is None:
        actions.append("claim")
    if case.claimed_by_id is not None and (case.claimed_by_id == staff.id or is_supervisor(staff)):
        actions.append("release")
    if case.claimed_by_id == staff.id:
        actions += [event for event in allowed_events(case, cases, by="clerk") if event in DECISIONS]
    if is_supervisor(staff) and case.waiting_on in ("clerk", "applicant"):
        actions.append("reassign")
    return tuple(action for action in ACTIONS if action in actions)


def _conflict(task: LockedTask, staff: User, en: str, fr: str) -> TaskConflict:
    return TaskConflict(Text(en, fr), task_actions(task.case, task.cases, staff))


def perform(
    session: Session,
    action: str,
    task_id: int,
    staff: User,
    argument: object = None,
    *,
    now: datetime,
    gateway: PaymentGateway | None = None,
) -> LockedTask:
    """Do one of ACTIONS to the task, as the function of that name does; `argument` is what it
    takes (approve: the conditions, request_info: the message, reject: the reason, with the
    `gateway` that refunds the fee; reassign: the clerk's id).

    Returns the task as it stands afterwards, the application's cases included, so that a
    caller can tell what is allowed now (`task_actions`) without reading them again.
    """
    if action not in ACTIONS:
        raise ValueError(f"no such action: {action!r}")
    if action == "reject" and gateway is None:
        raise ValueError("refusing a permit needs the payment gateway, to give its fee back")
    task = lock_task(session, task_id, staff)
    match action:
        case "claim":
            _claim(session, task, staff, now)
        case "release":
            _release(session, task, staff, now)
        case "reassign":
            _reassign(session, task, staff, argument, now)
        case "approve":
            _approve(session, task, staff, argument, now)
        case "request_info":
            _request_info(session, task, staff, argument, now)
        case "reject":
            _reject(session, task, staff, argument, gateway, now)
    return task


def claim(session: Session, task_id: int, staff: User, *, now: datetime) -> PermitCase:
    """Take the task: it is then the person's alone until released or decided. Claiming one's own
    task again changes nothing."""
    return perform(session, "claim", task_id, staff, now=now).case


def _claim(session: Session, task: LockedTask, staff: User, now: datetime) -> None:
    case = task.case
    if case.claimed_by_id == staff.id:
        return
    if case.claimed_by_id is not None:
        holder = session.get(User, case.claimed_by_id)
        raise _conflict(
            task,
            staff,
            f"{holder.name} has already claimed this task.",
            f"{holder.name} a déjà pris cette tâche.",
        )
    if case.waiting_on != "clerk":
        raise _conflict(
            task, staff, "This permit is not waiting for a clerk.", "Ce permis n'attend pas d'agent."
        )
    case.claimed_by_id = staff.id
    case.claimed_at = now
    record(session, "task.claim", actor_id=staff.id, subject=f"permit_case:{case.id}", at=now)
    session.flush()


def release(session: Session, task_id: int, staff: User, *, now: datetime) -> PermitCase:
    """Give the task back to the queue (its claimer, or a supervisor of the agency)."""
    return perform(session, "release", task_id, staff, now=now).case


def _release(session: Session, task: LockedTask, staff: User, now: datetime) -> None:
    case = task.case
    if "release" not in task_actions(case, task.cases, staff):
        raise _conflict(task, staff, "You have not claimed this task.", "Vous n'avez pas pris cette tâche.")
    details = {"was_claimed_by": case.claimed_by_id}
    case.claimed_by_id = None
    case.claimed_at = None
    record(
        session, "task.release", actor_id=staff.id, subject=f"permit_case:{case.id}", details=details, at=now
    )
    session.flush()


def reassign(session: Session, task_id: int, staff: User, to_user_id: object, *, now: datetime) -> PermitCase:
    """A supervisor hands the task to another member of the agency's staff."""
    return perform(session, "reassign", task_id, staff, to_user_id, now=now).case


def _reassign(session: Session, task: LockedTask, staff: User, to_user_id: object, now: datetime) -> None:
    case = task.case
    if "reassign" not in task_actions(case, task.cases, staff):
        raise _conflict(
            task,
            staff,
            "Only a supervisor can reassign a task that is under way.",
            "Seul un superviseur peut réassigner une tâche en cours.",
        )
    target = session.get(User, to_user_id) if is_row_id(to_user_id) else None
    if (
        target is None
        or target.agency_code != staff.agency_code
        or target.role not in ("clerk", "supervisor")
    ):
        raise TaskInputError(
            [
                FieldError(
                    "clerk_id",
                    Text(
                        "Choose a clerk of your agency.",
                        "Choisissez un agent de votre organisme.",
                    ),
                )
            ]
        )
    details = {"from": case.claimed_by_id, "to": target.id}
    case.claimed_by_id = target.id
    case.claimed_at = now
    record(
        session, "task.reassign", actor_id=staff.id, subject=f"permit_case:{case.id}", details=details, at=now
    )
    session.flush()


def staff_of_agency(session: Session, agency_code: str) -> list[User]:
    """Who a supervisor can hand a task to."""
    return list(
        session.scalars(
            select(User)
            .where(User.agency_code == agency_code, User.role.in_(("clerk", "supervisor")))
            .order_by(User.name, User.id)
        )
    )


def _deciding(task: LockedTask, staff: User, event: str) -> None:
    """Refuse unless `staff` claimed the task and its step allows `event` now."""
    if task.case.claimed_by_id != staff.id:
        raise _conflict(
            task,
            staff,
            "Claim this task before deciding it.",
            "Prenez cette tâche avant de la trancher.",
        )
    if event not in task_actions(task.case, task.cases, staff):
        raise _conflict(
            task,
            staff,
            f"This permit's current step ({task.case.state}) does not allow that.",
            f"L'étape actuelle de ce permis ({task.case.state}) ne le permet pas.",
        )


def _permit_name(chain: Chain, case: PermitCase) -> Text:
    (permit,) = permits_of(chain, [case])
    return permit.name


def approve(session: Session, task_id: int, staff: User, conditions: object, *, now: datetime) -> PermitCase:
    """Approve the current step, with conditions to print on the licence (none is fine)."""
    return perform(session, "approve", task_id, staff, conditions, now=now).case


def _approve(session: Session, task: LockedTask, staff: User, conditions: object, now: datetime) -> None:
    _deciding(task, staff, "approve")
    cleaned = _conditions(conditions)
    case = task.case
    fire(session, case, "approve", actor_id=staff.id, reason="\n".join(cleaned) or None, locked=task.cases)
    if cleaned:
        case.conditions = [*case.conditions, *cleaned]
    if case.state == APPROVED:
        chain = chain_of(session, task.application)
        notify(
            session,
            "permit_approved",
            task.application,
            permit_name=_permit_name(chain, case),
            conditions=case.conditions,
            now=now,
        )
        issue_licence_if_due(session, task.application, now=now, cases=task.cases, chain=chain)
    session.flush()


def reject(
    session: Session, task_id: int, staff: User, reason: object, *, gateway: PaymentGateway, now: datetime
) -> PermitCase:
    """Refuse the permit, saying why; its fee is given back if its pack says refundable."""
    return perform(session, "reject", task_id, staff, reason, now=now, gateway=gateway).case


def _reject(
    session: Session, task: LockedTask, staff: User, reason: object, gateway: PaymentGateway, now: datetime
) -> None:
    _deciding(task, staff, "reject")
    text = _required_text(
        "reason", reason, "Say why the permit is refused.", "Dites pourquoi le permis est refusé."
    )
    fire(session, task.case, "reject", actor_id=staff.id, reason=text, locked=task.cases)
    settle_ended_permits(session, task.application, gateway=gateway, now=now)
    notify(
        session,
        "permit_rejected",
        task.application,
        permit_name=_permit_name(chain_of(session, task.application), task.case),
        message=text,
        now=now,
    )
    session.flush()


def request_info(
    session: Session, task_id: int, staff: User, message: object, *, now: datetime
) -> PermitCase:
    """Ask the applicant for more; the task leaves the queue and comes back to this clerk with the
    answer."""
    return perform(session, "request_info", task_id, staff, message, now=now).case


def _request_info(session: Session, task: LockedTask, staff: User, message: object, now: datetime) -> None:
    _deciding(task, staff, "request_info")
    text = _required_text(
        "message",
        message,
        "Write what the applicant should send.",
        "Écrivez ce que le demandeur doit envoyer.",
    )
    fire(session, task.case, "request_info", actor_id=staff.id, reason=text, locked=task.cases)
    notify(
        session,
        "info_requested",
        task.application,
        permit_name=_permit_name(chain_of(session, task.application), task.case),
        message=text,
        now=now,
    )
    session.flush()


def _required_text(field: str, value: object, en: str, fr: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise TaskInputError([FieldError(field, Text(en, fr))])
    if len(value) > MAX_MESSAGE_LENGTH:
        raise TaskInputError(
            [
                FieldError(
                    field,
                    Text(
                        f"Use at most {MAX_MESSAGE_LENGTH} characters.",
                        f"Utilisez au plus {MAX_MESSAGE_LENGTH} caractères.",
                    ),
                )
            ]
        )
    return value.strip()


def _conditions(value: object) -> list[str]:
    """A list of short texts; blank ones are dropped, so an empty form line is no condition."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise TaskInputError(
            [
                FieldError(
                    "conditions",
                    Text(
                        "Give the conditions as a list of texts.",
                        "Donnez les conditions sous forme de liste de textes.",
                    ),
                )
            ]
        )
    cleaned = [item.strip() for item in value if item.strip()]
    errors = [
        FieldError(
            f"conditions.{index}",
            Text(
                f"Use at most {MAX_CONDITION_LENGTH} characters.",
                f"Utilisez au plus {MAX_CONDITION_LENGTH} caractères.",
            ),
        )
        for index, item in enumerate(value)
        if len(item.strip()) > MAX_CONDITION_LENGTH
    ]
    if len(cleaned) > MAX_CONDITIONS:
        errors.append(
            FieldError(
                "conditions",
                Text(
                    f"Give at most {MAX_CONDITIONS} conditions.",
                    f"Donnez au plus {MAX_CONDITIONS} conditions.",
                ),
            )
        )
    if errors:
        raise TaskInputError(errors)
    return cleaned
