"""WTForms built from the pack's questions, so a new question needs no code.

The form only parses what was typed (a number, a yes/no, an amount in dollars); the
rules (bounds, which questions apply) stay in the engine, in one place.
"""

from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DecimalField, HiddenField, IntegerField, RadioField, SelectChoice, SelectField
from wtforms.validators import InputRequired, Optional

from workflows.packs.model import Jurisdiction, Question


class MunicipalityForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form that changes nothing

    jurisdiction = SelectField(_l("Where will your business operate?"), validators=[InputRequired()])

    def __init__(self, municipalities: list[Jurisdiction], language: str, **kwargs):
        super().__init__(**kwargs)
        self.jurisdiction.choices = [SelectChoice(j.code, j.name.in_(language)) for j in municipalities]


class QuestionsForm(FlaskForm):
    shown = HiddenField()  # the questions on the page just submitted: new follow-ups get no error


def questions_form(questions: list[Question], language: str, formdata) -> QuestionsForm:
    """A form with one field per question, named after the question id."""

    class Form(QuestionsForm):
        pass

    for question in questions:
        setattr(Form, question.id, _field(question, language))
    return Form(formdata=formdata)


def _field(question: Question, language: str):
    label = question.text.in_(language)
    description = question.help.in_(language) if question.help else ""
    validators = [Optional()]
    if question.type == "yes_no":
        return RadioField(
            label,
            choices=[SelectChoice("yes", _l("Yes")), SelectChoice("no", _l("No"))],
            description=description,
            validators=validators,
        )
    if question.type == "choice":
        return RadioField(
            label,
            choices=[SelectChoice(c.value, c.label.in_(language)) for c in question.choices],
            description=description,
            validators=validators,
        )
    if question.type == "money":
        return DecimalField(
            label,
            places=2,
            description=description,
            validators=validators,
            render_kw={"inputmode": "decimal", "autocomplete": "off"},
        )
    unit = f" ({question.unit.in_(language)})" if question.unit else ""
    return IntegerField(
        label + unit,
        description=description,
        validators=validators,
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )


def answer_from_field(question: Question, data) -> object:
    """The engine's form of a parsed field value: booleans, integers, cents, choice values."""
    if data is None or data == "":
        return None
    if question.type == "yes_no":
        return data == "yes"
    if question.type == "money":
        return int((Decimal(data) * 100).to_integral_value())
    return data
