"""The bills: the consolidated invoice made on submission, and one per renewal.

Each line is one permit's fee, booked to its agency's GL account. An application has one
first bill (`renewal_id` NULL) and then one bill per renewal; `due_invoice` says which one
the single payment pays now.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.fees import Charge
from workflows.models import Application, PermitCase
from workflows.packs.model import Chain, Permit
from workflows.payments.models import Invoice, InvoiceLine
from workflows.workflow_templates import WITHDRAWN


def invoice_line(permit: Permit, charge: Charge, *, refundable: bool) -> InvoiceLine:
    """One permit's fee as a line: how it was worked out, and the agency account it is owed to."""
    return InvoiceLine(
        permit_code=permit.code,
        agency_code=permit.agency.code,
        gl_account=permit.agency.gl_account,
        basis=charge.basis,
        quantity=charge.quantity,
        unit_cents=charge.unit_cents,
        amount_cents=charge.amount_cents,
        unit_question=charge.question,
        band_up_to=charge.band_up_to,
        refundable=refundable,
    )


def make_invoice(
    session: Session, application: Application, chain: Chain, cases: Sequence[PermitCase], now: datetime
) -> Invoice:
    """Bill every permit not withdrawn, each line booked to its agency's GL account.

    Each line is worked out again from the pinned pack and the answers, and must come to the
    fee the case was opened with: the total is the triage estimate the applicant saw.
    """
    permits = {permit.code: permit for permit in chain.permits}
    lines = []
    for case in cases:
        if case.state == WITHDRAWN:
            continue
        permit = permits[case.permit_code]
        charge = permit.fee.charge(application.answers)
        if charge.amount_cents != case.fee_cents:
            raise AssertionError(
                f"{case.permit_code}: fee {charge.amount_cents} differs from {case.fee_cents}"
            )
        lines.append(invoice_line(permit, charge, refundable=permit.refundable))
    return _add(session, Invoice(application_id=application.id, created_at=now), lines)


def make_renewal_invoice(
    session: Session,
    application_id: int,
    renewal_id: int,
    charges: Iterable[tuple[Permit, Charge]],
    now: datetime,
) -> Invoice:
    """The one bill of a renewal: a line per permit renewed, at its renewal fee.

    A renewal is not reviewed, so no line can be refused and given back: none is refundable.
    """
    lines = [invoice_line(permit, charge, refundable=False) for permit, charge in charges]
    invoice = Invoice(application_id=application_id, renewal_id=renewal_id, created_at=now)
    return _add(session, invoice, lines)


def _add(session: Session, invoice: Invoice, lines: list[InvoiceLine]) -> Invoice:
    invoice.lines = lines
    invoice.total_cents = sum(line.amount_cents for line in lines)
    session.add(invoice)
    session.flush()
    return invoice


def invoice_of(session: Session, application_id: int) -> Invoice | None:
    """The application's first bill, made on submission (renewals have bills of their own)."""
    return session.scalar(
        select(Invoice).where(Invoice.application_id == application_id, Invoice.renewal_id.is_(None))
    )


def due_invoice(session: Session, application_id: int) -> Invoice | None:
    """The bill the application's payment pays now: the first bill until it is paid, then the
    open renewal's. Once everything is paid, the first bill (paid); None before submission."""
    first = invoice_of(session, application_id)
    if first is None or first.paid_at is None:
        return first
    renewal_bill = session.scalar(
        select(Invoice)
        .where(
            Invoice.application_id == application_id,
            Invoice.renewal_id.is_not(None),
            Invoice.paid_at.is_(None),
        )
        .order_by(Invoice.id)
        .limit(1)
    )
    return renewal_bill or first
