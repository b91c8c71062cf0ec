"""Consent to share, agency by agency, then submission: one transaction records both.

Consents ticked are recorded even when the application cannot be submitted yet (a field
is missing, another agency is not ticked): the applicant need not tick them again, and
the page lists everything still missing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.apply import apply
from app.apply.access import locked_application, read_application
from app.db import db_session, transaction
from app.i18n import current_language
from workflows.application_form import FormField
from workflows.applications import (
    ApplicationError,
    NotADraft,
    consent_requests,
    fields_of,
    give_consent,
    submit,
)
from workflows.db import utcnow
from workflows.models import Application
from workflows.permit_workflow import ConcurrentChange
from workflows.text import FieldError


@dataclass(frozen=True, slots=True)
class Missing:
    """One thing standing in the way of submission, with where to fix it."""

    subject: str | None  # the field's label; None when the message names what it is about
    message: str
    href: str | None


@apply.route("/applications/<int:application_id>/consent", methods=["GET", "POST"])
@login_required
def consent(application_id: int):
    application = read_application(application_id)
    if request.method != "POST":
        return _page(application, [])
    if application.submitted_at is not None:
        flash(NotADraft.message.in_(current_language()))
        return redirect(url_for("apply.dashboard", application_id=application_id))
    problems: list[FieldError] = []
    try:
        with transaction() as session:
            locked = locked_application(session, application_id)
            now = utcnow()
            give_consent(
                session, locked, request.form.getlist("agencies"), user_id=current_user.user.id, now=now
            )
            try:
                with session.begin_nested():  # a refused submission keeps the consents just given
                    submit(session, locked, user_id=current_user.user.id, now=now)
            except ApplicationError as error:
                problems = error.errors
    except ApplicationError as error:  # an agency that is not the application's: nothing recorded
        problems = error.errors
    except NotADraft:
        flash(NotADraft.message.in_(current_language()))
        return redirect(url_for("apply.dashboard", application_id=application_id))
    except ConcurrentChange:  # a permit changed under the submission: nothing was recorded
        flash(_("The application changed at the same moment. Try again."))
        return redirect(url_for("apply.consent", application_id=application_id))
    if problems:
        return _page(application, problems)
    flash(
        _(
            "Your application is submitted. Your Business Number is %(number)s.",
            number=application.business_number,
        )
    )
    return redirect(url_for("apply.dashboard", application_id=application_id))


def _page(application: Application, problems: list[FieldError]):
    session = db_session()
    requests = consent_requests(session, application)
    missing = _missing(application, problems, fields_of(session, application))
    return render_template(
        "apply/consent.html",
        application=application,
        requests=requests,
        missing=missing,
        language=current_language(),
    )


def _missing(
    application: Application, problems: Sequence[FieldError], fields: Sequence[FormField]
) -> list[Missing]:
    """Each problem with the field or agency it concerns, linked to where it is fixed."""
    language = current_language()
    labels = {f.definition.id: f.definition.label.in_(language) for f in fields}
    missing = []
    for problem in problems:
        kind, _dot, key = problem.field.partition(".")
        message = problem.message.in_(language)
        if kind == "fields":
            href = url_for("apply.form", application_id=application.id, _anchor=key)
            missing.append(Missing(labels.get(key, key), message, href))
        elif kind == "consents":
            missing.append(Missing(None, message, f"#agency-{key}"))  # the message names the agency
        else:  # nothing left to submit, or an agency that is not the application's
            missing.append(Missing(None, message, None))
    return missing
