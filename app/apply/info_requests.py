"""A clerk's open question on the dashboard, and the form that answers it.

A permit waits for the applicant when its clerk asked for more information; the
question is the clerk's message on the permit's last request for information.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField

from workflows.applications import ApplicationView
from workflows.applications.replies import MAX_ANSWER_LENGTH


class AnswerForm(FlaskForm):
    """The answer only: that it is not empty nor too long is the service's to say."""

    code = ""  # the permit's, set by `answer_form`
    message = TextAreaField(
        _l("Your answer"),
        description=_l("The clerk who asked reads it with your permit's file."),
        render_kw={"rows": 5, "maxlength": MAX_ANSWER_LENGTH},
    )


def answer_form(permit_code: str, **kwargs) -> AnswerForm:
    """The answer form of one permit (its own prefix, as a dashboard may show several); filled from
    the request when posted, unless given formdata=None."""
    form = AnswerForm(prefix=f"answer-{permit_code}", **kwargs)
    form.code = permit_code
    return form


@dataclass(frozen=True, slots=True)
class OpenQuestion:
    message: str | None
    asked_at: datetime | None
    form: AnswerForm


def open_questions(view: ApplicationView, answering: AnswerForm | None = None) -> dict[str, OpenQuestion]:
    """The question waiting for an answer on each permit that has one, by permit code; `answering`
    is a refused answer's form, shown again with what was typed and why it was refused."""
    questions = {}
    for progress in view.permits:
        if progress.waiting_on != "applicant":
            continue
        asked = next((e for e in reversed(progress.history) if e.event == "request_info"), None)
        code = progress.permit.code
        form = answering if answering is not None and answering.code == code else None
        questions[code] = OpenQuestion(
            message=asked.reason if asked else None,
            asked_at=asked.at if asked else None,
            form=form or answer_form(code, formdata=None),
        )
    return questions
