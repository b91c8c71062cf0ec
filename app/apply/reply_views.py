"""The applicant's answer to a clerk's request for more information, from the dashboard.

The answer goes into the permit's history and the task back to the clerk who asked, in
one transaction with the application locked, as every change of an application.
"""

from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.apply import apply
from app.apply.access import locked_application, read_application
from app.apply.info_requests import answer_form
from app.apply.views import dashboard_page
from app.db import transaction
from app.i18n import current_language
from workflows.applications import ApplicationError
from workflows.applications.replies import NoSuchPermit, answer_information_request
from workflows.permit_workflow import ConcurrentChange, TransitionNotAllowed


@apply.post("/applications/<int:application_id>/permits/<code>/provide-info")
@login_required
def provide_info(application_id: int, code: str):
    application = read_application(application_id)
    form = answer_form(code)
    try:
        with transaction() as session:
            answer_information_request(
                session,
                locked_application(session, application_id),
                code,
                form.message.data,
                user_id=current_user.user.id,
            )
    except NoSuchPermit:
        abort(404)
    except ApplicationError as error:  # empty, or too long
        language = current_language()
        form.message.errors = [*form.message.errors, *(e.message.in_(language) for e in error.errors)]
        return dashboard_page(application, answering=form, status=422)
    except TransitionNotAllowed:
        problem = _("Nothing is asked of you for this permit now: it was answered already, or never asked.")
        return dashboard_page(application, problem=problem, status=409)
    except ConcurrentChange:
        flash(_("The application changed at the same moment. Try again."))
        return redirect(url_for("apply.dashboard", application_id=application_id))
    flash(_("Your answer is sent. The clerk who asked goes on with your permit."))
    return redirect(url_for("apply.dashboard", application_id=application_id, _anchor=f"permit-{code}"))
