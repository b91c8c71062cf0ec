"""The processor's confirmations: signed, applied once, in any order.

The processor signs each delivery as `t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">` with
the shared secret. An event is recorded (by id) in the same transaction as its effect, so
a delivery repeated, even at the same moment, changes nothing the second time. Charges are
final at the processor: a succeeded payment stays succeeded whatever arrives later, and a
payment we recorded as failed (the processor timed out) is settled when the processor says
it succeeded after all.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workflows.payments.models import Invoice, Payment, WebhookEvent
from workflows.payments.service import settle

SIGNATURE_TOLERANCE_SECONDS = 300  # older deliveries are refused: a captured one cannot be replayed later
EVENT_TYPES = ("payment.succeeded", "payment.failed")

Outcome = Literal["applied", "confirmed", "duplicate", "ignored"]


class WebhookRefused(Exception):
    """Not applied; `status` is the HTTP answer. A 409 asks the processor to deliver it again later."""

    def __init__(self, status: int, message: str):
        self.status, self.message = status, message
        super().__init__(message)


#: 9999-12-31T23:59:59Z, the last moment a datetime holds: a later `created` is refused, not a 500.
LAST_UNIX_TIME = 253_402_300_799


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The signature header for a body: what the processor sends (and tests build)."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def check_signature(secret: str, header: str | None, body: bytes, now: datetime) -> None:
    """Raise WebhookRefused(400) unless the header signs this body, recently, with our secret."""
    parts = dict(part.split("=", 1) for part in (header or "").split(",") if "=" in part)
    timestamp = parts.get("t", "")
    if not timestamp.isdigit() or "v1" not in parts:
        raise WebhookRefused(400, "missing or malformed signature header")
    if abs(now.timestamp() - int(timestamp)) > SIGNATURE_TOLERANCE_SECONDS:
        raise WebhookRefused(400, "the signature is too old or from the future")
    expected = sign(secret, body, int(timestamp)).split("v1=", 1)[1]
    if not hmac.compare_digest(expected, parts["v1"]):
        raise WebhookRefused(400, "the signature does not match")


@dataclass(frozen=True, slots=True)
class ProcessorEvent:
    """`charge_key` is the idempotency key we sent with the charge, which processors echo back:
    it finds a payment whose charge timed out before we learnt its reference."""

    id: str
    type: str
    created: datetime
    payment_reference: str
    charge_key: str | None = None

    @classmethod
    def parse(cls, data: Any) -> ProcessorEvent:
        """The event, or WebhookRefused(422) naming what is wrong with it."""
        if not isinstance(data, dict):
            raise WebhookRefused(422, "the event must be a JSON object")
        details = data.get("data") if isinstance(data.get("data"), dict) else {}
        reference, charge_key = details.get("payment_reference"), details.get("charge_key")
        checks = [
            (
                isinstance(data.get("id"), str) and 0 < len(data["id"]) <= 128,
                "id: a string of 1 to 128 characters",
            ),
            (data.get("type") in EVENT_TYPES, f"type: one of {', '.join(EVENT_TYPES)}"),
            (
                type(data.get("created")) is int and 0 <= data["created"] <= LAST_UNIX_TIME,
                "created: a Unix time in seconds",
            ),
            (
                isinstance(reference, str) and 0 < len(reference) <= 64,
                "data.payment_reference: the charge's id",
            ),
            (charge_key is None or isinstance(charge_key, str), "data.charge_key: a string"),
        ]
        problems = [problem for ok, problem in checks if not ok]
        if problems:
            raise WebhookRefused(422, "; ".join(problems))
        return cls(
            data["id"], data["type"], datetime.fromtimestamp(data["created"], UTC), reference, charge_key
        )


def apply_event(session: Session, event: ProcessorEvent, now: datetime) -> Outcome:
    """Apply one event once, inside the caller's transaction; the caller commits.

    Raises WebhookRefused(409) for a payment we do not know yet (its request may still be
    committing): the event is not recorded, so the processor's next delivery applies it.
    """
    if session.get(WebhookEvent, event.id) is not None:
        return "duplicate"
    payment = _payment_for(session, event)
    if payment is None:
        raise WebhookRefused(409, "unknown payment reference; deliver again later")
    outcome = _effect(session, payment, event, now)
    try:
        with session.begin_nested():  # a simultaneous delivery of the same event loses here
            session.add(
                WebhookEvent(event_id=event.id, type=event.type, payment_id=payment.id, outcome=outcome)
            )
    except IntegrityError:
        raise WebhookRefused(409, "this event is being applied by another delivery") from None
    if payment.last_event_at is None or event.created > payment.last_event_at:
        payment.last_event_at = event.created
    return outcome


def _payment_for(session: Session, event: ProcessorEvent) -> Payment | None:
    by_reference = select(Payment).where(Payment.processor_reference == event.payment_reference)
    payment = session.scalar(by_reference.with_for_update())
    if payment is None and event.charge_key and event.charge_key.startswith("guichet:application:"):
        application_id, _, key = event.charge_key.removeprefix("guichet:application:").partition(":payment:")
        if application_id.isdigit():
            payment = session.scalar(
                select(Payment)
                .where(Payment.application_id == int(application_id), Payment.idempotency_key == key)
                .with_for_update()
            )
    return payment


def _effect(session: Session, payment: Payment, event: ProcessorEvent, now: datetime) -> Outcome:
    if event.type == "payment.failed":
        return "ignored" if payment.status == "succeeded" else "confirmed"
    if payment.status == "succeeded":
        payment.confirmed_at = payment.confirmed_at or now
        return "confirmed"
    invoice = session.get(Invoice, payment.invoice_id)  # the first bill or a renewal's: the one it was for
    if invoice is None or invoice.paid_at is not None:
        return "ignored"  # paid by another payment: a second charge, left for a person to refund
    payment.status = "succeeded"
    payment.processor_reference = event.payment_reference
    payment.decline_code = None
    payment.confirmed_at = now
    settle(session, payment, invoice, now)
    return "applied"
