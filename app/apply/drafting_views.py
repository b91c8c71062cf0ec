"""A draft's pages: its one form, and changing the triage answers (previewed before anything changes)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from app.apply import apply
from app.apply.access import locked_application, read_application
from app.apply.forms import ACTION, SHOWN, application_form
from app.apply.handover import answers_from_token, sign_answers
from app.db import db_session, transaction
from app.i18n import current_language
from app.triage.forms import add_error, questions_form, read_answers
from workflows.applications import (
    ApplicationError,
    NotADraft,
    change_answers,
    fields_of,
    preview_answers,
    save_form,
)
from workflows.applications.store import pinned_pack_set
from workflows.models import Application
from workflows.triage import TriageEngine, TriageError


def _submitted(application: Application):
    flash(NotADraft.message.in_(current_language()))
    return redirect(url_for("apply.dashboard", application_id=application.id))


@apply.route("/applications/<int:application_id>/form", methods=["GET", "POST"])
@login_required
def form(application_id: int):
    """The one form: "Save draft" keeps the values, "Save and continue" goes on to consent."""
    application = read_application(application_id)
    language = current_language()
    fields = fields_of(db_session(), application)
    if application.submitted_at is not None:
        if request.method == "POST":
            return _submitted(application)
        return render_template("apply/form_submitted.html", application=application, fields=fields)
    if request.method != "POST":
        the_form = application_form(fields, language, values=application.form_values)
        return render_template("apply/form.html", application=application, form=the_form)

    the_form = application_form(fields, language, formdata=request.form)
    values = the_form.values(request.form.get(SHOWN))
    try:
        with transaction() as session:
            save_form(session, locked_application(session, application_id), values)
    except ApplicationError as error:
        the_form.place_errors(error.errors, language)
        return render_template("apply/form.html", application=application, form=the_form)
    except NotADraft:
        return _submitted(application)
    flash(_("Your draft is saved."))
    if request.form.get(ACTION) == "continue":
        return redirect(url_for("apply.consent", application_id=application_id))
    return redirect(url_for("apply.form", application_id=application_id))


def _purpose(application_id: int) -> str:
    return f"answers.{application_id}"  # a preview's token changes no other application


@apply.route("/applications/<int:application_id>/answers", methods=["GET", "POST"])
@login_required
def answers(application_id: int):
    """Change the triage answers: the questions, then a preview of what would change."""
    session = db_session()
    application = read_application(application_id)
    if application.submitted_at is not None:
        return _submitted(application)
    language = current_language()
    engine = TriageEngine(pinned_pack_set(session, application))  # the rules the application was made under
    chain = engine.chain(application.jurisdiction_code)
    questions = list(chain.questions)

    def page(form, visible, **context):
        form.shown.data = " ".join(q.id for q in visible)
        return render_template(
            "apply/answers.html",
            application=application,
            form=form,
            questions=visible,
            chain=chain,
            **context,
        )

    carried = answers_from_token(request.form.get("token"), _purpose(application_id))
    if request.method != "POST" or request.form.get(ACTION) == "edit":
        given = carried.answers if carried else application.answers  # back from the preview: as typed
        form = questions_form(questions, language, None, answers=given)
        return page(form, engine.questions(application.jurisdiction_code, given))

    form = questions_form(questions, language, request.form)
    reading = read_answers(engine, chain, form, request.form.get("shown", ""), language)
    if not reading.complete:
        return page(
            form, reading.visible, with_errors=reading.with_errors, new_questions=reading.new_questions
        )
    try:
        change = preview_answers(session, application, reading.answers)
    except TriageError as error:
        for problem in error.errors:
            question_id = problem.field.removeprefix("answers.")
            if question_id in chain.questions_by_id:
                add_error(form[question_id], problem.message.in_(language))
        with_errors = [q for q in reading.visible if form[q.id].errors]
        return page(form, reading.visible, with_errors=with_errors)
    except NotADraft:
        return _submitted(application)
    return render_template(
        "apply/preview.html",
        application=application,
        change=change,
        values=application.form_values,
        token=sign_answers(application.jurisdiction_code, change.result.answers, _purpose(application_id)),
        language=language,
    )


@apply.post("/applications/<int:application_id>/answers/confirm")
@login_required
def confirm_answers(application_id: int):
    """Apply the previewed answers: permits added and removed, fees updated, unasked values erased."""
    application = read_application(application_id)
    carried = answers_from_token(request.form.get("token"), _purpose(application_id))
    if carried is None:
        flash(_("This preview has expired. Please review your answers again."))
        return redirect(url_for("apply.answers", application_id=application_id))
    try:
        with transaction() as session:
            change_answers(session, locked_application(session, application_id), carried.answers)
    except TriageError as error:
        for problem in error.errors:
            flash(problem.message.in_(current_language()))
        return redirect(url_for("apply.answers", application_id=application_id))
    except NotADraft:
        return _submitted(application)
    flash(_("Your answers are changed. Your permits and fees below are up to date."))
    return redirect(url_for("apply.dashboard", application_id=application_id))
