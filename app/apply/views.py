"""Making an application from triage results, the list of applications, the dashboard, workflow pages."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.apply import apply
from app.apply.access import read_application
from app.apply.display import template_helpers
from app.apply.handover import (
    FOR_NEW_APPLICATION,
    answers_from_token,
    forget_pending,
    keep_pending,
    pending,
)
from app.apply.info_requests import AnswerForm, open_questions
from app.apply.summaries import summaries
from app.db import db_session, transaction
from app.i18n import current_language
from app.packs import triage_engine
from licences.business_number import PROGRAMS
from licences.issuance import latest_licence
from workflows.applications import create_application, program_accounts, view_application
from workflows.models import Application
from workflows.packs.model import LEVELS
from workflows.permit_workflow import UnknownWorkflow, diagram, restore_workflows, template_for
from workflows.triage import TriageError
from workflows.workflow_templates import GUARDS

apply.context_processor(template_helpers)


@apply.post("/applications/new")
def new():
    """Apply for the permits of a triage result: now if signed in, else after signing in or up."""
    if "token" in request.form:  # from the results page; an altered or stale one is refused
        answers = answers_from_token(request.form["token"], FOR_NEW_APPLICATION)
    else:  # from the confirmation after signing in
        answers = pending()
    if answers is None:
        return render_template("apply/start.html", answers=None, expired=True), 400
    if not current_user.is_authenticated:
        keep_pending(answers)
        return redirect(url_for("apply.start"))
    try:
        with transaction() as session:
            application, _result = create_application(
                session,
                triage_engine(),
                owner_id=current_user.user.id,
                jurisdiction=answers.jurisdiction,
                answers=answers.answers,
            )
    except TriageError as error:
        forget_pending()
        problems = [e.message.in_(current_language()) for e in error.errors]
        return render_template("apply/start.html", answers=None, problems=problems), 422
    forget_pending()
    flash(_("Your application is made. Fill in the form: each field is asked once for every permit."))
    return redirect(url_for("apply.form", application_id=application.id))


@apply.get("/applications/new")
def start():
    """The answers waiting to become an application: sign in first, or confirm."""
    answers = pending()
    if answers is None:
        return redirect(url_for("triage.choose_municipality"))
    try:
        result = triage_engine().triage(answers.jurisdiction, answers.answers)
    except TriageError as error:
        forget_pending()
        problems = [e.message.in_(current_language()) for e in error.errors]
        return render_template("apply/start.html", answers=None, problems=problems), 422
    return render_template("apply/start.html", answers=answers, result=result)


@apply.get("/applications/")
@login_required
def applications():
    return render_template("apply/list.html", summaries=summaries(db_session(), current_user.user))


@apply.get("/applications/<int:application_id>")
@login_required
def dashboard(application_id: int):
    return dashboard_page(read_application(application_id))


def dashboard_page(
    application: Application,
    *,
    answering: AnswerForm | None = None,
    problem: str | None = None,
    status: int = 200,
):
    """The dashboard; with a refused answer to a clerk's question shown again, or a problem to show."""
    view = view_application(db_session(), application)
    language = current_language()
    return render_template(
        "apply/dashboard.html",
        application=application,
        view=view,
        by_level=[(level, [p for p in view.permits if p.permit.level == level]) for level in LEVELS],
        names={permit.code: permit.name.in_(language) for permit in view.chain.permits},
        accounts=program_accounts(application),
        programs=PROGRAMS,
        language=language,
        questions=open_questions(view, answering),
        answering=answering,
        problem=problem,
        licence=latest_licence(db_session(), application.id),
    ), status


@apply.get("/workflows/<name>")
def workflow(name: str):
    """What happens to a permit following this workflow, as a table, and as a diagram's source."""
    try:
        restore_workflows(db_session(), [name])  # a pack's workflow this process has not compiled yet
        template = template_for(name)
    except UnknownWorkflow:
        abort(404)
    rows = [
        (state, transition) for state in template.states for transition in template.leaving.get(state, ())
    ]
    return render_template(
        "apply/workflow.html",
        name=name,
        template=template,
        rows=rows,
        guards=GUARDS,
        mermaid=diagram(name),
        language=current_language(),
    )
