"""The API caller's own applications: another account's, or an id that does not exist, is the same
404, so ids reveal nothing (no IDOR)."""

from __future__ import annotations

from flask import abort, g
from flask_babel import gettext as _

from app.db import db_session
from workflows.models import Application


def own_application(application: Application | None) -> Application:
    """`application` if it belongs to the bearer of the token; 404 otherwise."""
    if application is None or application.owner_id != g.api_user.id:
        abort(404, description=_("No such application."))
    return application


def read_own_application(application_id: int) -> Application:
    """The caller's application to read (not locked), or 404."""
    return own_application(db_session().get(Application, application_id))
