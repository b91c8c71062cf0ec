"""Who may read the service-quality figures: supervisors of an agency and administrators.

Anyone else signed in is refused with 403 and a page saying why; the scope itself (which
agency, which jurisdiction) is the engine's to work out (`workflows.quality.scope_of`).
"""

from __future__ import annotations

from flask import abort, render_template
from flask_login import current_user
from werkzeug.exceptions import Forbidden

from accounts.models import User
from app.quality import quality
from workflows.quality import Scope, scope_of


def may_see_quality(user: User) -> bool:
    return (user.role == "supervisor" and bool(user.agency_code)) or user.role == "admin"


def quality_reader() -> tuple[User, Scope]:
    """The signed-in supervisor or administrator and their scope (call after `login_required`)."""
    user = current_user.user
    scope = scope_of(user) if may_see_quality(user) else None
    if scope is None:
        abort(403)
    return user, scope


@quality.errorhandler(Forbidden)
def forbidden(_error: Forbidden):
    return render_template("quality/forbidden.html"), 403
