"""Renewals over the API: what can be renewed and what is on file, then a renewal with only the changes.

The renewal's bill is paid through `POST /api/v1/applications/{id}/payments`, which pays
the application's due bill (the first one until it is paid, then an open renewal's).
"""

from __future__ import annotations

from flask import jsonify, url_for
from flask_babel import gettext as _

from app.api import api
from app.api.application_json import field_json, time_json
from app.api.errors import field_errors, json_object_body
from app.api.ownership import own_application, read_own_application
from app.api.payments import invoice_json
from app.auth import api_user_required
from app.db import db_session, transaction
from app.i18n import current_language
from workflows.applications import ApplicationError, lock_application
from workflows.db import utcnow
from workflows.renewals.errors import RenewalInProgress
from workflows.renewals.models import Renewal
from workflows.renewals.start import renewal_form, renewal_invoice, start_renewal


def renewal_json(session, renewal: Renewal) -> dict:
    return {
        "id": renewal.id,
        "permits": list(renewal.permit_codes),
        "changes": renewal.changes,
        "created_at": time_json(renewal.created_at),
        "completed_at": time_json(renewal.completed_at),
        "invoice": invoice_json(session, renewal_invoice(session, renewal.id)),
    }


@api.get("/v1/applications/<int:application_id>/renewal")
@api_user_required
def get_renewal(application_id: int):
    """The permits renewable now with their expiry and renewal fee, the fields they need with the
    values on file, and the renewal waiting for payment, if any."""
    session = db_session()
    application = read_own_application(application_id)
    now = utcnow()
    offer = renewal_form(session, application, now=now)
    language = current_language()
    return jsonify(
        renewable=[
            {
                "code": item.permit.code,
                "name": item.permit.name.in_(language),
                "agency": item.permit.agency.code,
                "expires_at": time_json(item.expires_at),
                "expired": item.lapsed(now),
                "fee_cents": item.charge.amount_cents,
                "validity_months": item.permit.validity_months,
            }
            for item in offer.renewable
        ],
        fields=[
            {**field_json(form_field, language), "value": offer.values.get(form_field.definition.id)}
            for form_field in offer.fields
        ],
        open_renewal=renewal_json(session, offer.open) if offer.open else None,
    )


@api.post("/v1/applications/<int:application_id>/renewals")
@api_user_required
def create_renewal(application_id: int):
    body = json_object_body()
    errors = [(key, _("Unknown property.")) for key in sorted(set(body) - {"permits", "fields"})]
    permits, fields = body.get("permits"), body.get("fields", {})
    if permits is not None and (
        not isinstance(permits, list) or not all(isinstance(code, str) for code in permits)
    ):
        errors.append(("permits", _("Give the permits to renew as a list of permit codes.")))
    if not isinstance(fields, dict):
        errors.append(("fields", _("Give the changed fields as an object of field name to value.")))
    if errors:
        return field_errors(422, errors)
    language = current_language()
    try:
        with transaction() as session:
            application = own_application(lock_application(session, application_id))
            renewal = start_renewal(
                session,
                application,
                changes=fields,
                permit_codes=permits,
                user_id=application.owner_id,
                now=utcnow(),
            )
            document = renewal_json(session, renewal)
    except ApplicationError as error:
        return field_errors(422, [(e.field, e.message.in_(language)) for e in error.errors])
    except RenewalInProgress as error:
        return field_errors(409, [(None, error.message.in_(language))])
    response = jsonify(document)
    response.headers["Location"] = url_for("api.get_renewal", application_id=application_id)
    return response, 201
