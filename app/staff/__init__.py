"""The agencies' clerks and supervisors: their work queue, each task's page and its decisions.

Views are thin, as in `app.apply`: each calls one function of `workflows.tasks` with the
signed-in staff member, in one transaction, and renders. The engine checks the person's
agency and claim itself, so a task of another agency answers 404 here as in the API.
"""

from flask import Blueprint
from flask_login import current_user

from app.apply.display import template_helpers
from workflows.tasks import is_agency_staff

staff = Blueprint("staff", __name__, url_prefix="/staff")
staff.context_processor(template_helpers)


@staff.app_context_processor
def _navigation() -> dict:
    """Lets base.html offer the work queue to the agencies' staff only (asked only where shown)."""

    def has_work_queue() -> bool:
        return current_user.is_authenticated and is_agency_staff(current_user.user)

    return {"has_work_queue": has_work_queue}


from app.staff import queue_views, task_views  # noqa: E402, F401  (routes register on import)
