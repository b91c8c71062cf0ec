"""Applications over the API: apply, fill the one form, change answers, consent, submit, follow.

Every route works on the caller's own applications only: another account's application
answers 404, exactly like one that does not exist, so ids reveal nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, g, jsonify, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.api import api
from app.api.application_json import (
    answer_change_json,
    application_json,
    application_summary_json,
    consents_json,
    field_json,
)
from app.api.errors import field_errors, idempotency_key, json_object_body
from app.api.ownership import own_application, read_own_application
from app.auth import api_user_required
from app.db import db_session, transaction
from app.i18n import current_language
from app.packs import triage_engine
from app.payments import payment_gateway
from licences.issuance import latest_licence
from workflows.applications import (
    ApplicationError,
    CreationKeyReused,
    NotADraft,
    change_answers,
    consent_requests,
    create_application,
    created_with,
    fields_of,
    give_consent,
    lock_application,
    preview_answers,
    save_form,
    submit,
    view_application,
)
from workflows.applications.replies import NoSuchPermit, answer_information_request
from workflows.db import utcnow
from workflows.models import Application, PermitCase
from workflows.payments import settle_ended_permits
from workflows.permit_workflow import ConcurrentChange, TransitionNotAllowed, fire, with_row_lock
from workflows.text import FieldError
from workflows.triage import TriageError


def _refused(errors: list[FieldError], status: int = 422):
    language = current_language()
    return field_errors(status, [(e.field, e.message.in_(language)) for e in errors])


def _body_with(*allowed: str) -> tuple[dict, list[tuple[str, str]]]:
    body = json_object_body()
    return body, [(key, _("Unknown property.")) for key in sorted(set(body) - set(allowed))]


def _changing(application_id: int, change: Callable[[Session, Application], Any]):
    """Run one change in one transaction on the caller's locked application; refusals become 4xx."""
    try:
        with transaction() as session:
            application = own_application(lock_application(session, application_id))
            return change(session, application)
    except (ApplicationError, TriageError) as error:
        return _refused(error.errors)
    except NotADraft as error:
        return field_errors(409, [(None, error.message.in_(current_language()))])


@api.get("/v1/applications")
@api_user_required
def list_applications():
    rows = db_session().scalars(
        select(Application).where(Application.owner_id == g.api_user.id).order_by(Application.id)
    )
    return jsonify(applications=[application_summary_json(application) for application in rows])


@api.post("/v1/applications")
@api_user_required
def create_application_api():
    """Apply. With an Idempotency-Key, sending the same request again (an answer lost on the way)
    answers with the application made the first time instead of making a second one."""
    key, errors = idempotency_key(required=False)
    body, unknown = _body_with("jurisdiction", "answers")
    errors += unknown
    code, answers = body.get("jurisdiction"), body.get("answers")
    if not isinstance(code, str) or not code:
        errors.append(("jurisdiction", _("Give the municipality's code, for example 3520005.")))
    if not isinstance(answers, dict):
        errors.append(("answers", _("Give the answers as an object of question id to answer.")))
    if errors:
        return field_errors(422, errors)
    try:
        try:
            document, replayed = _created(key, code, answers)
        except IntegrityError:
            if key is None:
                raise
            document, replayed = _created(key, code, answers)  # the same key, sent at the same time
    except TriageError as error:
        return _refused(error.errors)
    except CreationKeyReused as error:
        return field_errors(409, [("Idempotency-Key", error.message.in_(current_language()))])
    response = jsonify(document)
    response.headers["Location"] = url_for("api.get_application", application_id=document["id"])
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response, 201


def _created(key: str | None, code: str, answers: dict) -> tuple[dict, bool]:
    """One transaction: the application made with `key` before, else a new one; and whether it
    was made before."""
    with transaction() as session:
        application = created_with(session, g.api_user.id, key, code, answers) if key else None
        replayed = application is not None
        if application is None:
            application, _result = create_application(
                session,
                triage_engine(),
                owner_id=g.api_user.id,
                jurisdiction=code,
                answers=answers,
                creation_key=key,
            )
        return _application_document(session, application, with_fields=True), replayed


@api.get("/v1/applications/<int:application_id>")
@api_user_required
def get_application(application_id: int):
    session = db_session()
    application = read_own_application(application_id)
    return jsonify(_application_document(session, application))


@api.get("/v1/applications/<int:application_id>/form")
@api_user_required
def get_form(application_id: int):
    session = db_session()
    application = read_own_application(application_id)
    return jsonify(_form_document(session, application))


@api.put("/v1/applications/<int:application_id>/form")
@api_user_required
def put_form(application_id: int):
    body, errors = _body_with("fields")
    if not isinstance(body.get("fields"), dict):
        errors.append(("fields", _("Give the fields as an object of field name to value.")))
    if errors:
        return field_errors(422, errors)

    def save(session: Session, application: Application):
        save_form(session, application, body["fields"])
        return jsonify(_form_document(session, application))

    return _changing(application_id, save)


@api.post("/v1/applications/<int:application_id>/answers/preview")
@api_user_required
def preview_answers_api(application_id: int):
    """What new answers would change; nothing is saved."""
    answers, errors = _answers_body()
    if errors:
        return field_errors(422, errors)
    session = db_session()
    application = read_own_application(application_id)
    try:
        change = preview_answers(session, application, answers)
    except TriageError as error:
        return _refused(error.errors)
    except NotADraft as error:
        return field_errors(409, [(None, error.message.in_(current_language()))])
    return jsonify(answer_change_json(change, current_language()))


@api.put("/v1/applications/<int:application_id>/answers")
@api_user_required
def put_answers(application_id: int):
    answers, errors = _answers_body()
    if errors:
        return field_errors(422, errors)

    def apply(session: Session, application: Application):
        change = change_answers(session, application, answers)
        return jsonify(
            change=answer_change_json(change, current_language()),
            application=_application_document(session, application, with_fields=True),
        )

    return _changing(application_id, apply)


@api.get("/v1/applications/<int:application_id>/consents")
@api_user_required
def get_consents(application_id: int):
    session = db_session()
    application = read_own_application(application_id)
    return jsonify(consents_json(consent_requests(session, application), current_language()))


@api.post("/v1/applications/<int:application_id>/consents")
@api_user_required
def post_consents(application_id: int):
    body, errors = _body_with("agencies")
    agencies = body.get("agencies")
    if not (isinstance(agencies, list) and agencies and all(isinstance(a, str) for a in agencies)):
        errors.append(("agencies", _('Give a list of agency codes, for example ["TO-MLS"].')))
    if errors:
        return field_errors(422, errors)

    def consent(session: Session, application: Application):
        give_consent(session, application, agencies, user_id=g.api_user.id, now=utcnow())
        return jsonify(consents_json(consent_requests(session, application), current_language()))

    return _changing(application_id, consent)


@api.post("/v1/applications/<int:application_id>/submit")
@api_user_required
def submit_application_api(application_id: int):
    def send(session: Session, application: Application):
        submit(session, application, user_id=g.api_user.id, now=utcnow())
        document = _application_document(session, application)
        return jsonify(
            status="submitted",
            business_number=application.business_number,
            program_accounts=document["program_accounts"],
            total_fee_cents=document["total_fee_cents"],
        )

    return _changing(application_id, send)


@api.post("/v1/applications/<int:application_id>/permits/<code>/withdraw")
@api_user_required
def withdraw_permit(application_id: int, code: str):
    """Withdraw one permit before an agency starts on it; 409 with what is allowed otherwise.

    Its fee is then not charged, or given back if already paid and its pack says refundable.
    """
    try:
        with transaction() as session:
            application = own_application(lock_application(session, application_id))
            case_id = session.scalar(
                select(PermitCase.id).where(
                    PermitCase.application_id == application.id, PermitCase.permit_code == code
                )
            )
            case = with_row_lock(session, case_id) if case_id else None
            if case is None:
                abort(404, description=_("This application has no such permit."))
            fire(session, case, "withdraw", actor_id=g.api_user.id)
            settle_ended_permits(session, application, gateway=payment_gateway(), now=utcnow())
            document = _application_document(session, application)
    except TransitionNotAllowed as error:
        message = _("This permit can no longer be withdrawn: an agency has started on it.")
        return jsonify(errors=[{"field": None, "message": message}], allowed=list(error.allowed)), 409
    except ConcurrentChange:
        return field_errors(409, [(None, _("The application changed at the same moment. Try again."))])
    return jsonify(document)


@api.post("/v1/applications/<int:application_id>/permits/<code>/provide-info")
@api_user_required
def provide_info(application_id: int, code: str):
    """Answer a clerk's request for more information; the permit goes back to that clerk."""
    body, errors = _body_with("message")
    if errors:
        return field_errors(422, errors)
    try:
        with transaction() as session:
            application = own_application(lock_application(session, application_id))
            answer_information_request(session, application, code, body.get("message"), user_id=g.api_user.id)
            document = _application_document(session, application)
    except NoSuchPermit:
        abort(404, description=_("This application has no such permit."))
    except ApplicationError as error:
        return _refused(error.errors)
    except TransitionNotAllowed as error:
        message = _("No information was asked for this permit.")
        return jsonify(errors=[{"field": None, "message": message}], allowed=list(error.allowed)), 409
    except ConcurrentChange:
        return field_errors(409, [(None, _("The application changed at the same moment. Try again."))])
    return jsonify(document)


def _answers_body() -> tuple[dict, list[tuple[str, str]]]:
    body, errors = _body_with("answers")
    if not isinstance(body.get("answers"), dict):
        errors.append(("answers", _("Give the answers as an object of question id to answer.")))
    return body.get("answers"), errors


def _application_document(session: Session, application: Application, *, with_fields: bool = False) -> dict:
    language = current_language()
    document = application_json(
        view_application(session, application), language, latest_licence(session, application.id)
    )
    if with_fields:
        document["required_fields"] = [field_json(f, language) for f in fields_of(session, application)]
    return document


def _form_document(session: Session, application: Application) -> dict:
    language = current_language()
    fields = fields_of(session, application)
    values = application.form_values
    return {
        "fields": values,
        "missing": [f.definition.id for f in fields if f.required and values.get(f.definition.id) is None],
        "required_fields": [field_json(f, language) for f in fields],
    }
