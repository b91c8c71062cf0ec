"""One task's page and its actions: claim, release, approve, ask for information, refuse, reassign.

Every showing of the page goes through `view_task`, which writes the view to the audit
log in the same transaction. Each action is one POST and one transaction. Success
redirects (after a decision to the queue, which the task has left; otherwise back to the
task); a refusal shows the task page again: 409 with what can be done now when the
task's state does not allow the action, 422 with the errors next to their fields when
what was typed is refused.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy.orm import Session

from accounts.models import User
from app.apply.labels import state_label
from app.db import transaction
from app.i18n import current_language
from app.packs import triage_engine
from app.payments import payment_gateway
from app.staff import staff
from app.staff.access import staff_member
from app.staff.forms import ActionForm, action_form, action_forms
from app.staff.labels import PackNames, action_label, path_action
from workflows.db import utcnow
from workflows.models import PermitCase
from workflows.permit_workflow import ConcurrentChange
from workflows.tasks import (
    ACTIONS,
    TaskConflict,
    TaskInputError,
    TaskNotFound,
    approve,
    claim,
    reassign,
    reject,
    release,
    request_info,
    view_task,
)
from workflows.tasks.actions import DECISIONS
from workflows.workflow_templates import APPROVED


@staff.get("/tasks/<int:task_id>")
@login_required
def task(task_id: int):
    return _task_page(task_id)


@staff.post("/tasks/<int:task_id>/<action>")
@login_required
def act(task_id: int, action: str):
    member = staff_member()
    name = action.replace("-", "_")
    if name not in ACTIONS or path_action(name) != action:
        abort(404)
    form = action_form(name)
    language = current_language()
    try:
        with transaction() as session:
            case = _run(session, name, task_id, member, form.argument())
            done = _done(session, name, case)
    except TaskNotFound:
        abort(404)
    except TaskConflict as error:
        return _task_page(task_id, problem=error.message.in_(language), allowed=error.allowed, status=409)
    except TaskInputError as error:
        form.place_errors(error.errors, language)
        return _task_page(task_id, failed=form, status=422)
    except ConcurrentChange:
        problem = _("The task changed at the same moment. Look at it again, then try again.")
        return _task_page(task_id, problem=problem, status=409)
    flash(done)
    if name in DECISIONS:
        return redirect(url_for("staff.queue"))
    return redirect(url_for("staff.task", task_id=task_id))


def _run(session: Session, action: str, task_id: int, member: User, argument: object) -> PermitCase:
    now = utcnow()
    match action:
        case "claim":
            return claim(session, task_id, member, now=now)
        case "release":
            return release(session, task_id, member, now=now)
        case "approve":
            return approve(session, task_id, member, argument, now=now)
        case "request_info":
            return request_info(session, task_id, member, argument, now=now)
        case "reject":
            return reject(session, task_id, member, argument, gateway=payment_gateway(), now=now)
        case _:
            return reassign(session, task_id, member, argument, now=now)


def _done(session: Session, action: str, case: PermitCase) -> str:
    """What the flashed message says once the action is done."""
    permit = PackNames(triage_engine().packs, current_language()).permit(case.permit_code)
    number = case.application_id
    match action:
        case "claim":
            return _("You claimed this task: it is yours to decide.")
        case "release":
            return _("You released this task: it is back in the queue.")
        case "approve" if case.state == APPROVED:
            return _(
                "%(permit)s of application %(number)s is granted. The applicant is told by email.",
                permit=permit,
                number=number,
            )
        case "approve":
            return _(
                "The step is approved: %(permit)s of application %(number)s moves on to: %(step)s.",
                permit=permit,
                number=number,
                step=state_label(case.state),
            )
        case "request_info":
            return _("Your request was sent to the applicant. The task comes back to you with their answer.")
        case "reject":
            return _(
                "%(permit)s of application %(number)s is refused. The applicant is told why by email.",
                permit=permit,
                number=number,
            )
        case _:
            return _("The task is now assigned to %(name)s.", name=session.get(User, case.claimed_by_id).name)


def _task_page(
    task_id: int,
    *,
    failed: ActionForm | None = None,
    problem: str | None = None,
    allowed: tuple[str, ...] | None = None,
    status: int = 200,
):
    member = staff_member()
    try:
        with transaction() as session:  # the view is written to the audit log with it
            view = view_task(session, task_id, member, now=utcnow())
    except TaskNotFound:
        abort(404)
    return render_template(
        "staff/task.html",
        view=view,
        forms=action_forms(view, failed),
        failed=failed,
        problem=problem,
        allowed=view.actions if allowed is None else allowed,
        action_label=action_label,
        path_action=path_action,
        me=member.id,
        language=current_language(),
    ), status
