"""The satisfaction survey on the applicant's dashboard, offered once their licence is issued.

The dashboard template asks `satisfaction_survey(application, licence)` for what to show:
the form, the answer already given, or nothing. A refused answer is shown again on the
dashboard with each problem beside its field; the answer is recorded in one transaction
with the application locked, as every change of an application.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import flash, g, redirect, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, TextAreaField

from app.apply import apply
from app.apply.access import locked_application, read_application
from app.apply.views import dashboard_page
from app.db import db_session, transaction
from app.i18n import current_language
from licences.models import Licence
from workflows.db import utcnow
from workflows.models import Application
from workflows.quality import (
    AlreadyAnswered,
    SurveyInputError,
    SurveyNotOffered,
    SurveyState,
    survey_state,
)
from workflows.quality import answer_survey as record_answer
from workflows.quality.models import MAX_COMMENT_LENGTH, SatisfactionResponse

SCORES = (
    SelectChoice("1", _l("1: very dissatisfied")),
    SelectChoice("2", _l("2: dissatisfied")),
    SelectChoice("3", _l("3: neither satisfied nor dissatisfied")),
    SelectChoice("4", _l("4: satisfied")),
    SelectChoice("5", _l("5: very satisfied")),
)


class SurveyForm(FlaskForm):
    """What was chosen and typed; whether it is acceptable is the engine's to say."""

    score = RadioField(
        _l("How satisfied are you with getting your permits through Guichet?"), choices=list(SCORES)
    )
    comment = TextAreaField(
        _l("What should we improve? (optional)"),
        description=_l(
            "Please do not include personal information. At most %(max)s characters.", max=MAX_COMMENT_LENGTH
        ),
        render_kw={"rows": 4, "maxlength": MAX_COMMENT_LENGTH},
    )


def survey_form(**kwargs) -> SurveyForm:
    return SurveyForm(prefix="survey", **kwargs)


@dataclass(frozen=True, slots=True)
class SurveyBox:
    state: SurveyState
    form: SurveyForm

    @property
    def answer(self) -> SatisfactionResponse | None:
        return self.state.answer

    @property
    def failed(self) -> bool:
        return any(field.errors for field in self.form if field.name != "csrf_token")


@apply.context_processor
def _survey_helper() -> dict:
    def satisfaction_survey(application: Application, licence: Licence | None) -> SurveyBox:
        """What the dashboard shows of the survey (computed once per request)."""
        if "survey_box" not in g:
            state = survey_state(db_session(), application, licensed=licence is not None)
            form = g.get("survey_refused") or survey_form(formdata=None)
            g.survey_box = SurveyBox(state, form)
        return g.survey_box

    return {"satisfaction_survey": satisfaction_survey}


@apply.post("/applications/<int:application_id>/survey")
@login_required
def answer_survey(application_id: int):
    application = read_application(application_id)
    form = survey_form()
    try:
        with transaction() as session:
            record_answer(
                session,
                locked_application(session, application_id),
                score=form.score.data,
                comment=form.comment.data,
                language=current_language(),
                now=utcnow(),
            )
    except SurveyInputError as error:
        language = current_language()
        for problem in error.errors:
            field = form[problem.field]
            field.errors = [*field.errors, problem.message.in_(language)]
        g.survey_refused = form
        return dashboard_page(application, status=422)
    except SurveyNotOffered:
        problem = _("The survey opens once your licence is issued.")
        return dashboard_page(application, problem=problem, status=409)
    except AlreadyAnswered:
        problem = _(
            "You have already answered the survey for this application. Only your first answer is kept."
        )
        return dashboard_page(application, problem=problem, status=409)
    flash(_("Thank you for your answer. It helps the agencies improve their service."))
    return redirect(url_for("apply.dashboard", application_id=application_id, _anchor="survey"))
