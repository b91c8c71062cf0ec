"""What the log records by itself: every row below, as it is inserted or changes, whoever wrote it.

Written from the session's `after_flush`, so no call site can forget an entry: a permit
transition, a consent, a payment, a refund, a disbursement or a processor event is logged
because its row was written. The two tables at the end are the whole mapping; each entry's
`at` is the row's own time when it has one, so the entry and the row agree.

Rows written without the ORM's unit of work (bulk or Core statements) are not seen here:
the engine writes none of the tables below that way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from accounts.models import User
from workflows.audit.log import MAX_ACTION, new_entry, queue
from workflows.models import Application, Consent, PermitEvent
from workflows.payments.models import Disbursement, Invoice, InvoiceLine, Payment, Refund, WebhookEvent


@dataclass(frozen=True, slots=True)
class Fact:
    """What one entry says; the log adds its id, time if none, and its place in the chain."""

    action: str
    subject: str | None
    details: dict[str, Any] = field(default_factory=dict)
    actor_id: int | None = None
    at: datetime | None = None


def _time(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


# -- new rows ----------------------------------------------------------------------------------


def _account(user: User) -> Fact:
    return Fact(
        "account.created",
        f"user:{user.id}",
        {"role": user.role, "agency": user.agency_code},
        at=user.created_at,
    )


def _application(application: Application) -> Fact:
    return Fact(
        "application.created",
        f"application:{application.id}",
        {"jurisdiction": application.jurisdiction_code, "pack_versions": application.pack_versions},
        actor_id=application.owner_id,
        at=application.created_at,
    )


def _permit_event(record: PermitEvent) -> Fact:
    """A transition, a clerk's decision (approve, reject, request_info) among them, by its actor."""
    return Fact(
        f"permit.{record.event}"[:MAX_ACTION],
        f"permit_case:{record.permit_case_id}",
        {
            "permit_event_id": record.id,
            "event": record.event,
            "from": record.from_state,
            "to": record.to_state,
            "reason": record.reason,
        },
        actor_id=record.actor_id,
        at=record.at,
    )


def _consent(consent: Consent) -> Fact:
    return Fact(
        "consent.given",
        f"application:{consent.application_id}",
        {"consent_id": consent.id, "agency": consent.agency_code, "fields": consent.fields},
        actor_id=consent.given_by,
        at=consent.given_at,
    )


def _invoice(invoice: Invoice) -> Fact:
    return Fact(
        "invoice.created",
        f"invoice:{invoice.id}",
        {"application_id": invoice.application_id, "total_cents": invoice.total_cents},
        at=invoice.created_at,
    )


def _payment(payment: Payment) -> Fact:
    """A payment attempt as it is made: succeeded, declined, or failed (the processor did not answer)."""
    return _payment_fact(payment, None, payment.created_at)


def _payment_fact(payment: Payment, previous_status: str | None, at: datetime | None) -> Fact:
    return Fact(
        f"payment.{payment.status}",
        f"payment:{payment.id}",
        {
            "application_id": payment.application_id,
            "amount_cents": payment.amount_cents,
            "processor": payment.processor,
            "processor_reference": payment.processor_reference,
            "decline_code": payment.decline_code,
            "previous_status": previous_status,
        },
        at=at,
    )


def _refund(refund: Refund) -> Fact:
    return Fact(
        "refund.made",
        f"refund:{refund.id}",
        {
            "payment_id": refund.payment_id,
            "invoice_line_id": refund.invoice_line_id,
            "amount_cents": refund.amount_cents,
            "reason": refund.reason,
            "processor_reference": refund.processor_reference,
        },
        at=refund.created_at,
    )


def _disbursement(disbursement: Disbursement) -> Fact:
    return Fact(
        "disbursement.made",
        f"disbursement:{disbursement.id}",
        {
            "agency": disbursement.agency_code,
            "amount_cents": disbursement.amount_cents,
            "until": _time(disbursement.until),
        },
        at=disbursement.created_at,
    )


def _webhook_event(processed: WebhookEvent) -> Fact:
    return Fact(
        "webhook.processed",
        f"payment:{processed.payment_id}" if processed.payment_id else None,
        {"event_id": processed.event_id, "type": processed.type, "outcome": processed.outcome},
        at=processed.received_at,
    )


# -- changed rows ------------------------------------------------------------------------------


def _payment_status(payment: Payment, before: str | None) -> Fact:
    """A failed payment retried with its key, or settled when the processor confirms it after all."""
    return _payment_fact(payment, before, None)


def _application_submitted(application: Application, _before: None) -> Fact:
    return Fact(
        "application.submitted",
        f"application:{application.id}",
        {"business_number": application.business_number, "program_accounts": application.program_accounts},
        at=application.submitted_at,
    )


def _invoice_paid(invoice: Invoice, _before: None) -> Fact:
    return Fact(
        "invoice.paid",
        f"invoice:{invoice.id}",
        {"application_id": invoice.application_id, "total_cents": invoice.total_cents},
        at=invoice.paid_at,
    )


def _line_cancelled(line: InvoiceLine, _before: None) -> Fact:
    """A permit withdrawn or refused before payment: its line is no longer charged."""
    return Fact(
        "invoice.line_cancelled",
        f"invoice:{line.invoice_id}",
        {"invoice_line_id": line.id, "permit_code": line.permit_code, "amount_cents": line.amount_cents},
        at=line.cancelled_at,
    )


#: A row inserted -> its entry. The order is the order of entries written by one flush.
ON_INSERT: dict[type, Callable[[Any], Fact]] = {
    User: _account,
    Application: _application,
    Consent: _consent,
    PermitEvent: _permit_event,
    Invoice: _invoice,
    Payment: _payment,
    Refund: _refund,
    Disbursement: _disbursement,
    WebhookEvent: _webhook_event,
}

#: A column of an existing row changed -> its entry, given the row and the old value. Those
#: watched only from None (a time set once) are logged when first set.
ON_CHANGE: dict[tuple[type, str], Callable[[Any, Any], Fact]] = {
    (Application, "submitted_at"): _application_submitted,
    (Invoice, "paid_at"): _invoice_paid,
    (InvoiceLine, "cancelled_at"): _line_cancelled,
    (Payment, "status"): _payment_status,
}
_SET_ONCE = {"submitted_at", "paid_at", "cancelled_at"}


@event.listens_for(Session, "after_flush")
def _record_what_was_written(session: Session, _flush_context) -> None:
    facts: list[Fact] = []
    new, dirty = list(session.new), list(session.dirty)  # each property walks the whole session
    for kind, describe in ON_INSERT.items():
        rows = [row for row in new if type(row) is kind]
        facts += [describe(row) for row in sorted(rows, key=_identity)]
    for (kind, attribute), describe in ON_CHANGE.items():
        for row in sorted((row for row in dirty if type(row) is kind), key=_identity):
            history = inspect(row).attrs[attribute].history
            if not history.added or history.deleted == history.added:
                continue
            before = history.deleted[0] if history.deleted else None
            if attribute in _SET_ONCE and (before is not None or history.added[0] is None):
                continue
            facts.append(describe(row, before))
    for fact in facts:
        entry = new_entry(
            fact.action, actor_id=fact.actor_id, subject=fact.subject, details=fact.details, at=fact.at
        )
        queue(session, entry)


def _identity(row: object) -> tuple:
    return inspect(row).identity or ()
