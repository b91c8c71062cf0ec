"""Paying the one fee, and giving back what is due when a permit ends without being granted.

Each function works inside the caller's transaction, on an application the caller locked
first (`workflows.applications.lock_application`), and never commits. Holding that lock
across the processor call means requests with the same Idempotency-Key take turns: the
first charges, the others find its payment and answer with it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.models import Application, PermitCase
from workflows.payments.gateway import PaymentGateway
from workflows.payments.invoices import due_invoice, invoice_of
from workflows.payments.ledger import post_payment, post_refund
from workflows.payments.models import Invoice, InvoiceLine, Payment, Refund
from workflows.permit_workflow import record_payment
from workflows.text import Text
from workflows.workflow_templates import REJECTED, WITHDRAWN


class PaymentRefused(Exception):
    """The request cannot be taken; `status` is the HTTP answer the API gives."""

    def __init__(self, status: int, message: Text):
        self.status, self.message = status, message
        super().__init__(message.en)


NOT_SUBMITTED = Text("Submit the application before paying.", "Soumettez la demande avant de payer.")
ALREADY_PAID = Text("This application is already paid.", "Cette demande est déjà payée.")
KEY_REUSED = Text(
    "This Idempotency-Key was already used for a different payment request. Use a new key.",
    "Cette clé d'idempotence a déjà servi pour une autre demande de paiement. Utilisez une nouvelle clé.",
)


@dataclass(frozen=True, slots=True)
class PaymentOutcome:
    payment: Payment
    replayed: bool  # True when the key had already been used: nothing was charged this time


def charge_key(application_id: int, idempotency_key: str) -> str:
    """The idempotency key sent to the processor for one payment request (webhooks echo it back)."""
    return f"guichet:application:{application_id}:payment:{idempotency_key}"


def request_digest(card_token: str) -> str:
    """What a retry must repeat exactly to be the same request."""
    return hashlib.sha256(json.dumps({"card_token": card_token}, sort_keys=True).encode()).hexdigest()


def pay(
    session: Session,
    application: Application,
    *,
    idempotency_key: str,
    card_token: str,
    gateway: PaymentGateway,
    now: datetime,
) -> PaymentOutcome:
    """Charge the due invoice's total once per key; on success, book it and set the permits moving.

    The due invoice is the first bill until it is paid, then an open renewal's
    (`due_invoice`): one payment route pays both.

    A declined card is recorded (the same key answers the same way) and the application
    stays payable with a new key. A processor failure is recorded as failed and retried
    when the same key comes again.
    """
    digest = request_digest(card_token)
    invoice = due_invoice(session, application.id)
    existing = session.scalar(
        select(Payment).where(
            Payment.application_id == application.id, Payment.idempotency_key == idempotency_key
        )
    )
    if existing is not None:
        if existing.request_sha256 != digest or _for_another_bill(existing, invoice):
            raise PaymentRefused(409, KEY_REUSED)
        if existing.status != "failed":
            return PaymentOutcome(existing, replayed=True)
    if invoice is None:
        raise PaymentRefused(409, NOT_SUBMITTED)
    if invoice.paid_at is not None:
        raise PaymentRefused(409, ALREADY_PAID)
    result = gateway.charge(
        amount_cents=invoice.total_cents,
        card_token=card_token,
        idempotency_key=charge_key(application.id, idempotency_key),
    )
    payment = existing or Payment(
        application_id=application.id,
        invoice_id=invoice.id,
        idempotency_key=idempotency_key,
        request_sha256=digest,
        processor=gateway.name,
        created_at=now,
    )
    payment.status = result.status
    payment.amount_cents = invoice.total_cents
    payment.processor_reference = result.reference
    payment.decline_code = result.decline_code
    session.add(payment)
    session.flush()
    if result.status == "succeeded":
        settle(session, payment, invoice, now)
    return PaymentOutcome(payment, replayed=False)


def _for_another_bill(existing: Payment, due: Invoice | None) -> bool:
    """A key already used for one bill, sent while another is due (the first bill's key sent
    again for a renewal's bill): replaying the old payment would wrongly say the new bill is paid."""
    return due is not None and due.paid_at is None and existing.invoice_id != due.id


def settle(session: Session, payment: Payment, invoice: Invoice, now: datetime) -> None:
    """Book a succeeded payment and act on it (once: the invoice is then paid).

    The first bill moves the permits on; a renewal's bill completes the renewal instead
    (the permits' expiry moves on and a new licence version is issued).
    """
    invoice.paid_at = now
    post_payment(session, payment, [line for line in invoice.lines if line.cancelled_at is None], now)
    if invoice.renewal_id is not None:
        from workflows.renewals.completion import complete_renewal  # renewals build on payments: import late

        complete_renewal(session, invoice.renewal_id, now=now)
        return
    record_payment(session, payment.application_id, reason=f"payment {payment.id}")
    _issue_licence_if_due(session, payment.application_id, now)


def mark_free_invoice_paid(session: Session, invoice: Invoice, now: datetime) -> None:
    """Nothing to pay (every permit is free): the permits move on at once, with no charge."""
    invoice.paid_at = now
    record_payment(session, invoice.application_id, reason="nothing to pay")
    _issue_licence_if_due(session, invoice.application_id, now)


def _issue_licence_if_due(session: Session, application_id: int, now: datetime) -> None:
    """Payment grants registrations by themselves: if that granted every permit, the licence is due."""
    from licences.issuance import issue_licence_if_due  # licences builds on this package: import late

    issue_licence_if_due(session, session.get(Application, application_id), now=now)


def refunds_by_line(session: Session, invoice: Invoice) -> dict[int, Refund]:
    """The refunds of an invoice, by the id of the line each gave back (at most one per line)."""
    statement = (
        select(Refund).join(Payment, Payment.id == Refund.payment_id).where(Payment.invoice_id == invoice.id)
    )
    return {refund.invoice_line_id: refund for refund in session.scalars(statement)}


def settle_ended_permits(
    session: Session, application: Application, *, gateway: PaymentGateway, now: datetime
) -> list[Refund]:
    """After a permit is refused or withdrawn: stop charging it, or give its fee back if refundable.

    Safe to call after any change (it looks at every ended permit and does what is still
    due), so a refund the processor could not make now is made the next time.
    """
    invoice = invoice_of(session, application.id)
    if invoice is None:
        return []
    ended = {
        case.permit_code: case.state
        for case in session.scalars(select(PermitCase).where(PermitCase.application_id == application.id))
        if case.state in (REJECTED, WITHDRAWN)
    }
    if invoice.paid_at is None:
        for line in invoice.lines:
            if line.permit_code in ended and line.cancelled_at is None:
                line.cancelled_at = now
                invoice.total_cents -= line.amount_cents
        session.flush()
        return []
    payment = session.scalar(
        select(Payment).where(Payment.invoice_id == invoice.id, Payment.status == "succeeded")
    )
    if payment is None:  # nothing was charged (every permit was free): nothing to give back
        return []
    refunded = refunds_by_line(session, invoice)
    made = []
    for line in invoice.lines:
        if (
            line.permit_code in ended
            and line.refundable
            and line.cancelled_at is None
            and line.amount_cents > 0
            and line.id not in refunded
        ):
            refund = _refund_line(session, payment, line, ended[line.permit_code], gateway, now)
            if refund is not None:
                made.append(refund)
    return made


def _refund_line(
    session: Session, payment: Payment, line: InvoiceLine, state: str, gateway: PaymentGateway, now: datetime
) -> Refund | None:
    result = gateway.refund(
        charge_reference=payment.processor_reference,
        amount_cents=line.amount_cents,
        idempotency_key=f"guichet:invoice-line:{line.id}:refund",
    )
    if not result.succeeded:
        return None
    refund = Refund(
        payment_id=payment.id,
        invoice_line_id=line.id,
        amount_cents=line.amount_cents,
        reason=state,
        processor_reference=result.reference,
        created_at=now,
    )
    session.add(refund)
    session.flush()
    post_refund(session, refund, payment, line, now)
    return refund
