"""The clerks' work queue and decisions over the API.

Only an agency's clerks and supervisors have a queue; anyone else is refused with 403.
A task of another agency answers 404, exactly like one that does not exist. An action
the task's state does not allow answers 409 with the actions allowed now (`allowed`).
"""

from __future__ import annotations

from datetime import datetime

from flask import abort, g, jsonify, request
from flask_babel import gettext as _

from app.api import api
from app.api.errors import field_errors, json_object_body
from app.auth import api_user_required
from app.db import db_session, transaction
from app.i18n import current_language
from app.payments import payment_gateway
from workflows.db import utcnow
from workflows.models import PermitCase
from workflows.permit_workflow import ConcurrentChange
from workflows.tasks import (
    QueueFilter,
    QueueFilterError,
    TaskConflict,
    TaskInputError,
    TaskNotFound,
    is_agency_staff,
    is_overdue,
    perform,
    queue_page,
    task_actions,
    view_task,
)
from workflows.tasks.view import TaskView


def api_action(action: str) -> str:
    """Actions as the API's paths name them: request_info is `request-info`."""
    return action.replace("_", "-")


def _staff():
    if not is_agency_staff(g.api_user):
        abort(403, description=_("Only an agency's clerks and supervisors have a work queue."))
    return g.api_user


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _task_json(case: PermitCase, now: datetime) -> dict:
    return {
        "id": case.id,
        "application_id": case.application_id,
        "permit_code": case.permit_code,
        "state": case.state,
        "due_at": _iso(case.decision_due_at),
        "overdue": is_overdue(case, now),
        "claimed_by": case.claimed_by_id,
        "waiting_on": case.waiting_on,
    }


@api.get("/v1/queue")
@api_user_required
def get_queue():
    staff = _staff()
    try:
        filters = QueueFilter.parse(request.args)
    except QueueFilterError as error:
        language = current_language()
        return field_errors(422, [(e.field, e.message.in_(language)) for e in error.errors])
    now = utcnow()
    page = queue_page(db_session(), staff, filters, now)
    return jsonify(
        tasks=[
            {
                "id": task.id,
                "application_id": task.application_id,
                "permit_code": task.permit_code,
                "state": task.state,
                "due_at": _iso(task.due_at),
                "overdue": task.overdue,
                "claimed_by": task.claimed_by,
                "waiting_on": task.waiting_on,
                "municipality": task.municipality,
            }
            for task in page.tasks
        ],
        page=page.page,
        page_size=page.page_size,
        total=page.total,
        more=page.more,
    )


@api.get("/v1/tasks/<int:task_id>")
@api_user_required
def get_task(task_id: int):
    """The task with the application's data shared with this agency; the view is logged."""
    staff = _staff()
    try:
        with transaction() as session:  # the view is written to the audit log
            view = view_task(session, task_id, staff, now=utcnow())
            document = _task_document(view)
    except TaskNotFound:
        abort(404, description=_("No such task."))
    return jsonify(document)


def _task_document(view: TaskView) -> dict:
    language = current_language()
    case = view.case
    return {
        **_task_json(case, utcnow()),
        "permit_name": view.permit.name.in_(language),
        "municipality": view.municipality.code,
        "business_number": view.business_number,
        "business_name": view.business_name,
        "conditions": list(case.conditions),
        "shared_fields": [
            {"id": f.definition.id, "label": f.definition.label.in_(language), "value": f.value}
            for f in view.shared
        ],
        "prerequisites": [{"permit_code": p.permit.code, "state": p.state} for p in view.prerequisites],
        "history": [
            {
                "event": e.event,
                "from_state": e.from_state,
                "to_state": e.to_state,
                "by": e.actor_id,
                "reason": e.reason,
                "at": e.at.isoformat(),
            }
            for e in view.history
        ],
        "allowed": [api_action(a) for a in view.actions],
    }


def _acting(task_id: int, action: str, takes: str | None = None, **options):
    """Do one action in one transaction; refusals become 404, 409 (with `allowed`) or 422.

    `takes` names the one property the body may carry, the action's argument.
    """
    staff = _staff()
    body = json_object_body() if request.get_data() else {}
    unknown = sorted(set(body) - {takes})
    if unknown:
        return field_errors(422, [(key, _("Unknown property.")) for key in unknown])
    language = current_language()
    try:
        with transaction() as session:
            task = perform(session, action, task_id, staff, body.get(takes), now=utcnow(), **options)
            allowed = task_actions(task.case, task.cases, staff)
            document = {**_task_json(task.case, utcnow()), "allowed": [api_action(a) for a in allowed]}
    except TaskNotFound:
        abort(404, description=_("No such task."))
    except TaskConflict as error:
        errors = [{"field": None, "message": error.message.in_(language)}]
        return jsonify(errors=errors, allowed=[api_action(a) for a in error.allowed]), 409
    except TaskInputError as error:
        return field_errors(422, [(e.field, e.message.in_(language)) for e in error.errors])
    except ConcurrentChange:
        return field_errors(409, [(None, _("The task changed at the same moment. Reload it and try again."))])
    return jsonify(document)


@api.post("/v1/tasks/<int:task_id>/claim")
@api_user_required
def claim_task(task_id: int):
    return _acting(task_id, "claim")


@api.post("/v1/tasks/<int:task_id>/release")
@api_user_required
def release_task(task_id: int):
    return _acting(task_id, "release")


@api.post("/v1/tasks/<int:task_id>/reassign")
@api_user_required
def reassign_task(task_id: int):
    return _acting(task_id, "reassign", "clerk_id")


@api.post("/v1/tasks/<int:task_id>/approve")
@api_user_required
def approve_task(task_id: int):
    return _acting(task_id, "approve", "conditions")


@api.post("/v1/tasks/<int:task_id>/reject")
@api_user_required
def reject_task(task_id: int):
    return _acting(task_id, "reject", "reason", gateway=payment_gateway())


@api.post("/v1/tasks/<int:task_id>/request-info")
@api_user_required
def request_info_task(task_id: int):
    return _acting(task_id, "request_info", "message")
