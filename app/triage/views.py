"""Triage pages. Follow-up questions appear after "Continue", so no JavaScript is needed."""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.i18n import current_language
from app.packs import triage_engine
from app.triage import triage
from app.triage.forms import MunicipalityForm, answer_from_field, questions_form
from workflows.packs.model import LEVELS
from workflows.triage import evaluate, format_cents


@triage.get("/")
def choose_municipality():
    engine = triage_engine()
    form = MunicipalityForm(engine.packs.municipalities(), current_language(), formdata=request.args or None)
    if request.args and form.validate():
        return redirect(url_for("triage.questions", code=form.jurisdiction.data))
    return render_template("triage/choose.html", form=form)


@triage.route("/<code>", methods=["GET", "POST"])
def questions(code: str):
    engine = triage_engine()
    chain = engine.packs.chains.get(code)
    if chain is None:
        abort(404)
    language = current_language()
    submitted = request.method == "POST"
    form = questions_form(list(chain.questions), language, request.form if submitted else None)

    # Walk the questions in order: each appears when its show_if holds on the answers above it.
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
    if not submitted:
        return render_template("triage/questions.html", form=form, chain=chain, questions=visible)

    shown_before = set(request.form.get("shown", "").split())
    problems = engine.validate_answers(chain, answers, require_all=False)[1]
    for problem in problems:
        _add_error(form[problem.field.removeprefix("answers.")], problem.message.in_(language))
    for question in visible:
        field = form[question.id]
        if question.id not in answers and question.id in shown_before and not field.errors:
            _add_error(field, _("Answer this question."))
    with_errors = [q for q in visible if form[q.id].errors]
    if not with_errors and all(q.id in answers for q in visible):
        result = evaluate(chain, answers)
        return render_template(
            "triage/results.html",
            result=result,
            chain=chain,
            levels=LEVELS,
            language=language,
            format_cents=format_cents,
        )
    new_questions = [q for q in visible if q.id not in shown_before]
    return render_template(
        "triage/questions.html",
        form=form,
        chain=chain,
        questions=visible,
        with_errors=with_errors,
        new_questions=new_questions,
    )


def _add_error(field, message: str) -> None:
    field.errors = [*field.errors, message]  # a field never validated holds an empty tuple
