"""The consolidated invoice: one line per permit, made when the application is submitted."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.models import Application, PermitCase
from workflows.packs.model import Chain
from workflows.payments.models import Invoice, InvoiceLine
from workflows.workflow_templates import WITHDRAWN


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
        lines.append(
            InvoiceLine(
                permit_code=permit.code,
                agency_code=permit.agency.code,
                gl_account=permit.agency.gl_account,
                basis=charge.basis,
                quantity=charge.quantity,
                unit_cents=charge.unit_cents,
                amount_cents=charge.amount_cents,
                unit_question=charge.question,
                band_up_to=charge.band_up_to,
                refundable=permit.refundable,
            )
        )
    invoice = Invoice(
        application_id=application.id,
        total_cents=sum(line.amount_cents for line in lines),
        created_at=now,
        lines=lines,
    )
    session.add(invoice)
    session.flush()
    return invoice


def invoice_of(session: Session, application_id: int) -> Invoice | None:
    return session.scalar(select(Invoice).where(Invoice.application_id == application_id))
