"""The signed-in applicant's own applications, and nobody else's.

Someone else's application and an id that does not exist answer the same 404, so ids
reveal nothing (no IDOR).
"""

from __future__ import annotations

from flask import abort
from flask_login import current_user
from sqlalchemy.orm import Session

from app.db import db_session
from workflows.applications import lock_application
from workflows.models import Application


def _owned(application: Application | None) -> Application:
    if application is None or application.owner_id != current_user.user.id:
        abort(404)
    return application


def read_application(application_id: int) -> Application:
    """The application to show, or 404."""
    return _owned(db_session().get(Application, application_id))


def locked_application(session: Session, application_id: int) -> Application:
    """The application to change, locked until the transaction ends, or 404 (which rolls it back)."""
    return _owned(lock_application(session, application_id))
