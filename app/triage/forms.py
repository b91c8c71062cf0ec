"""WTForms built from the pack's questions, so a new question needs no code.

The form only parses what was typed (a number, a yes/no, an amount in dollars); the
rules (bounds, which questions apply) stay in the engine, in one place.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DecimalField, HiddenField, IntegerField, RadioField, SelectChoice, SelectField
from wtforms.validators import InputRequired, Optional

from workflows.packs.model import Chain, Jurisdiction, Question
from workflows.triage import TriageEngine


class MunicipalityForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form that changes nothing

    jurisdiction = SelectField(_l("Where will your business operate?"), validators=[InputRequired()])

    def __init__(self, municipalities: list[Jurisdiction], language: str, **kwargs):
        super().__init__(**kwargs)
        self.jurisdiction.choices = [SelectChoice(j.code, j.name.in_(language)) for j in municipalities]


#: Digits before the point beyond which an amount is refused as unreadable: far above any bound
#: the engine sets, so an amount that is merely too large still gets the engine's "or less".
MONEY_DIGITS = 100


class MoneyField(DecimalField):
    """An amount in dollars. "NaN", "Infinity" and amounts too long to hold as cents are refused
    here, as a field error, instead of failing when turned into cents; bounds stay the engine's."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None and (not self.data.is_finite() or self.data.adjusted() > MONEY_DIGITS):
            self.data = None
            raise ValueError(_("Enter an amount in dollars, such as 1250.00."))


class QuestionsForm(FlaskForm):
    shown = HiddenField()  # the questions on the page just submitted: new follow-ups get no error


def questions_form(
    questions: list[Question], language: str, formdata, answers: Mapping[str, object] | None = None
) -> QuestionsForm:
    """A form with one field per question, named after the question id.

    Without formdata, `answers` (the engine's values, as an application holds them) fill it in.
    """

    class Form(QuestionsForm):
        pass

    for question in questions:
        setattr(Form, question.id, _field(question, language))
    data = None
    if answers is not None:
        data = {q.id: field_from_answer(q, answers[q.id]) for q in questions if answers.get(q.id) is not None}
    return Form(formdata=formdata, data=data)


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
        return MoneyField(
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


def field_from_answer(question: Question, answer: object) -> object:
    """The field's form of an engine answer: the inverse of `answer_from_field`."""
    if question.type == "yes_no":
        return "yes" if answer else "no"
    if question.type == "money" and isinstance(answer, int):
        return Decimal(answer) / 100
    return answer


@dataclass(frozen=True, slots=True)
class Reading:
    """What a posted questions page says: the answers read, the questions on the page, the problems."""

    answers: dict[str, object]
    visible: list[Question]
    with_errors: list[Question]
    new_questions: list[Question]  # revealed by this post's answers: they get no "answer this" error

    @property
    def complete(self) -> bool:
        return not self.with_errors and all(q.id in self.answers for q in self.visible)


def visible_answers(
    chain: Chain, form: QuestionsForm, submitted: bool
) -> tuple[dict[str, object], list[Question]]:
    """Walk the questions in order: each appears when its show_if holds on the answers above it."""
    answers: dict[str, object] = {}
    visible = []
    for question in chain.questions:
        if question.show_if is not None and not question.show_if.evaluate(answers, frozenset())[0]:
            continue
        visible.append(question)
        field = form[question.id]
        if submitted and field.raw_data and field.raw_data[0].strip() and field.validate(form):
            answers[question.id] = answer_from_field(question, field.data)
    form.shown.data = " ".join(q.id for q in visible)
    return answers, visible


def read_answers(
    engine: TriageEngine, chain: Chain, form: QuestionsForm, shown_before: str, language: str
) -> Reading:
    """Read a posted questions page; the engine's refusals and unanswered questions become field errors."""
    answers, visible = visible_answers(chain, form, submitted=True)
    shown = set(shown_before.split())
    for problem in engine.validate_answers(chain, answers, require_all=False)[1]:
        add_error(form[problem.field.removeprefix("answers.")], problem.message.in_(language))
    for question in visible:
        field = form[question.id]
        if question.id not in answers and question.id in shown and not field.errors:
            add_error(field, _("Answer this question."))
    with_errors = [q for q in visible if form[q.id].errors]
    return Reading(answers, visible, with_errors, [q for q in visible if q.id not in shown])


def add_error(field, message: str) -> None:
    field.errors = [*field.errors, message]  # a field never validated holds an empty tuple
