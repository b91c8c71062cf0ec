"""Triage pages. Follow-up questions appear after "Continue", so no JavaScript is needed."""

from __future__ import annotations

from flask import abort, g, redirect, render_template, request, url_for

from app.apply.handover import FOR_NEW_APPLICATION, answers_from_token, sign_answers
from app.i18n import current_language
from app.packs import triage_engine
from app.triage import triage
from app.triage.forms import MunicipalityForm, questions_form, read_answers, visible_answers
from workflows.packs.model import LEVELS, Chain
from workflows.triage import TriageError, TriageResult, evaluate, format_cents


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
    if request.method != "POST":
        kept = answers_from_token(request.args.get("answers"), FOR_NEW_APPLICATION)
        if kept is not None and kept.jurisdiction == code:
            try:  # checked again: the packs may have changed since the answers were signed
                return _results(chain, engine.triage(code, kept.answers), language, request.args["answers"])
            except TriageError:
                pass  # the questions again, as for a stale page
        form = questions_form(list(chain.questions), language, None)
        visible = visible_answers(chain, form, submitted=False)[1]
        return render_template("triage/questions.html", form=form, chain=chain, questions=visible)

    form = questions_form(list(chain.questions), language, request.form)
    reading = read_answers(engine, chain, form, request.form.get("shown", ""), language)
    if reading.complete:
        return _results(chain, evaluate(chain, reading.answers), language)
    return render_template(
        "triage/questions.html",
        form=form,
        chain=chain,
        questions=reading.visible,
        with_errors=reading.with_errors,
        new_questions=reading.new_questions,
    )


def _results(chain: Chain, result: TriageResult, language: str, token: str | None = None):
    """The results page. Its answers also travel signed in its address (`?answers=`), so the
    language toggle shows these results in the other language instead of empty questions."""
    token = token or sign_answers(chain.municipality.code, result.answers, FOR_NEW_APPLICATION)
    g.language_switch_args = {"answers": token}
    return render_template(
        "triage/results.html",
        result=result,
        chain=chain,
        levels=LEVELS,
        language=language,
        format_cents=format_cents,
        apply_token=token,
    )
