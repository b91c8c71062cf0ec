"""The signed-in member of an agency's staff, and nobody else.

Anyone else signed in is refused with 403: they have no queue. Which tasks a staff member
may see is the engine's to say (`workflows.tasks`): another agency's task is TaskNotFound,
a 404, exactly like one that does not exist, so ids reveal nothing.
"""

from __future__ import annotations

from flask import abort, render_template
from flask_login import current_user
from werkzeug.exceptions import Forbidden

from accounts.models import User
from app.staff import staff
from workflows.tasks import is_agency_staff


def staff_member() -> User:
    """The signed-in clerk or supervisor (call after `login_required`); 403 for anyone else."""
    user = current_user.user
    if not is_agency_staff(user):
        abort(403)
    return user


@staff.errorhandler(Forbidden)
def forbidden(_error: Forbidden):
    return render_template("staff/forbidden.html"), 403
