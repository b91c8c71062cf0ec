"""Paying over the API: the invoice, one payment per Idempotency-Key, and the processor's webhook."""

from __future__ import annotations

from flask import current_app, jsonify, request
from flask_babel import gettext as _
from sqlalchemy import select

from app.api import api
from app.api.errors import field_errors, idempotency_key, json_object_body
from app.api.ownership import own_application, read_own_application
from app.auth import api_user_required, limiter, payment_limit
from app.db import db_session, transaction
from app.i18n import current_language
from app.payments import payment_gateway
from workflows.applications import lock_application
from workflows.db import utcnow
from workflows.payments import PaymentRefused, invoice_of, pay, refunds_by_line
from workflows.payments.models import Invoice, Payment
from workflows.payments.webhooks import ProcessorEvent, WebhookRefused, apply_event, check_signature

DECLINE_MESSAGES = {
    "card_declined": lambda: _("The card was declined. Try another card."),
    "insufficient_funds": lambda: _("The card was declined for insufficient funds. Try another card."),
    "invalid_card_token": lambda: _("This card token is not valid. Enter the card again."),
}


def payment_json(payment: Payment) -> dict:
    return {
        "payment_id": payment.id,
        "status": payment.status,
        "amount_cents": payment.amount_cents,
        "processor_reference": payment.processor_reference,
        "created_at": payment.created_at.isoformat(),
    }


def _payment_response(payment: Payment):
    """201 when paid; 402 when the card was declined; 502 when the processor could not decide."""
    body = payment_json(payment)
    if payment.status == "succeeded":
        return jsonify(body), 201
    if payment.status == "declined":
        message = DECLINE_MESSAGES.get(payment.decline_code, DECLINE_MESSAGES["card_declined"])()
        return jsonify(errors=[{"field": "card_token", "message": message}], **body), 402
    message = _("The card processor did not answer. Try again with the same Idempotency-Key.")
    return jsonify(errors=[{"field": None, "message": message}], **body), 502


@api.post("/v1/applications/<int:application_id>/payments")
@api_user_required
@limiter.limit(payment_limit)
def create_payment(application_id: int):
    """Pay the application's due bill: the first invoice until it is paid, then the bill of the
    renewal awaiting payment (`workflows.payments.due_invoice`), one charge per key."""
    key, errors = idempotency_key(required=True)
    body = json_object_body()
    token = body.get("card_token")
    if not isinstance(token, str) or not token or len(token) > 255:
        errors.append(("card_token", _("Give the card token from the payment form.")))
    errors.extend((k, _("Unknown property.")) for k in sorted(set(body) - {"card_token"}))
    if errors:
        return field_errors(422, errors)
    try:
        with transaction() as session:
            application = own_application(lock_application(session, application_id))
            outcome = pay(
                session,
                application,
                idempotency_key=key,
                card_token=token,
                gateway=payment_gateway(),
                now=utcnow(),
            )
    except PaymentRefused as error:
        return field_errors(error.status, [(None, error.message.in_(current_language()))])
    response, status = _payment_response(outcome.payment)
    if outcome.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response, status


@api.get("/v1/applications/<int:application_id>/invoice")
@api_user_required
def get_invoice(application_id: int):
    session = db_session()
    application = read_own_application(application_id)
    invoice = invoice_of(session, application.id)
    if invoice is None:
        return field_errors(409, [(None, _("There is no invoice before the application is submitted."))])
    return jsonify(invoice_json(session, invoice))


def invoice_json(session, invoice: Invoice) -> dict:
    refunds = refunds_by_line(session, invoice)
    payments = session.scalars(select(Payment).where(Payment.invoice_id == invoice.id).order_by(Payment.id))
    return {
        "total_cents": invoice.total_cents,
        "created_at": invoice.created_at.isoformat(),
        "paid_at": invoice.paid_at.isoformat() if invoice.paid_at else None,
        "lines": [
            {
                "permit": line.permit_code,
                "agency": line.agency_code,
                "gl_account": line.gl_account,
                "basis": line.basis,
                "quantity": line.quantity,
                "unit_cents": line.unit_cents,
                "amount_cents": line.amount_cents,
                "refundable": line.refundable,
                "charged": line.cancelled_at is None,
                "refunded_cents": refunds[line.id].amount_cents if line.id in refunds else 0,
            }
            for line in invoice.lines
        ],
        "payments": [payment_json(payment) for payment in payments],
        "refunded_cents": sum(refund.amount_cents for refund in refunds.values()),
    }


@api.post("/v1/payments/webhook")
def payment_webhook():
    """The processor's confirmation, signed with the shared secret; applied at most once per event id."""
    raw = request.get_data(cache=True)
    try:
        check_signature(
            current_app.config["WEBHOOK_SECRET"], request.headers.get("Guichet-Signature"), raw, utcnow()
        )
        try:
            data = current_app.json.loads(raw)  # bounded: see app/json_limits.py
        except ValueError:
            raise WebhookRefused(400, "the body is not JSON") from None
        event = ProcessorEvent.parse(data)
        with transaction() as session:
            outcome = apply_event(session, event, utcnow())
    except WebhookRefused as error:
        return field_errors(error.status, [(None, error.message)])
    return jsonify(event=event.id, outcome=outcome)
