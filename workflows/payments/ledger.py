"""The double-entry ledger: every payment, refund and disbursement is one balanced transaction.

Accounts: `processor:<name>` holds the money the card processor collected for us (an
asset: debited by payments, credited by refunds and disbursements); `agency:<code>` is
what we owe an agency (a liability: credited by its invoice lines, debited when a line
is refunded or the agency is paid). So an agency's balance, negated, is what it is owed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from workflows.db import take_sqlite_write_lock
from workflows.payments.models import (
    Disbursement,
    Invoice,
    InvoiceLine,
    LedgerEntry,
    LedgerTransaction,
    Payment,
    Refund,
)


def processor_account(name: str) -> str:
    return f"processor:{name}"


def agency_account(code: str) -> str:
    return f"agency:{code}"


@dataclass(frozen=True, slots=True)
class Posting:
    account: str
    amount_cents: int  # positive: debit; negative: credit
    agency_code: str | None = None
    gl_account: str | None = None
    invoice_line_id: int | None = None


class UnbalancedTransaction(ValueError):
    """Entries that do not add up to zero are refused before anything is written."""


def post(
    session: Session, kind: str, memo: str, postings: Iterable[Posting], *, at: datetime, **links
) -> LedgerTransaction:
    """Write one balanced transaction dated `at` (its business time); zero-amount postings are left out."""
    postings = [p for p in postings if p.amount_cents]
    if sum(p.amount_cents for p in postings) != 0:
        raise UnbalancedTransaction(
            f"{kind} {memo}: entries add up to {sum(p.amount_cents for p in postings)}"
        )
    transaction = LedgerTransaction(kind=kind, memo=memo, created_at=at, **links)
    session.add(transaction)
    session.flush()
    session.add_all(
        LedgerEntry(
            transaction_id=transaction.id,
            account=p.account,
            agency_code=p.agency_code,
            gl_account=p.gl_account,
            invoice_line_id=p.invoice_line_id,
            amount_cents=p.amount_cents,
        )
        for p in postings
    )
    session.flush()
    return transaction


def post_payment(
    session: Session, payment: Payment, lines: Iterable[InvoiceLine], at: datetime
) -> LedgerTransaction:
    """Money in from the processor, owed to each agency line by line."""
    lines = list(lines)
    return post(
        session,
        "payment",
        f"payment {payment.id} of application {payment.application_id}",
        [
            Posting(processor_account(payment.processor), payment.amount_cents),
            *(
                Posting(
                    agency_account(line.agency_code),
                    -line.amount_cents,
                    line.agency_code,
                    line.gl_account,
                    line.id,
                )
                for line in lines
            ),
        ],
        at=at,
        application_id=payment.application_id,
        payment_id=payment.id,
    )


def post_refund(
    session: Session, refund: Refund, payment: Payment, line: InvoiceLine, at: datetime
) -> LedgerTransaction:
    """A line given back: the agency is owed it no more, and the processor pays it back to the card."""
    return post(
        session,
        "refund",
        f"refund of {line.permit_code} on payment {payment.id}",
        [
            Posting(
                agency_account(line.agency_code),
                line.amount_cents,
                line.agency_code,
                line.gl_account,
                line.id,
            ),
            Posting(processor_account(payment.processor), -line.amount_cents),
        ],
        at=at,
        application_id=payment.application_id,
        payment_id=payment.id,
        refund_id=refund.id,
    )


def agency_balances(session: Session, until: datetime | None = None) -> dict[str, int]:
    """What each agency is owed now (or at `until`): payments less refunds less disbursements."""
    statement = (
        select(LedgerEntry.agency_code, -func.sum(LedgerEntry.amount_cents))
        .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
        .where(LedgerEntry.agency_code.is_not(None), LedgerEntry.account.like("agency:%"))
        .group_by(LedgerEntry.agency_code)
    )
    if until is not None:
        statement = statement.where(LedgerTransaction.created_at < until)
    return {code: int(owed) for code, owed in session.execute(statement)}


def disburse(session: Session, processor: str, until: datetime, now: datetime) -> list[Disbursement]:
    """Pay each agency what it is owed for the money received before `until`.

    Every disbursement already made counts, whatever its date, so running it twice (or
    with an earlier `until`) never pays the same money again; runs take turns (a lock held
    until the transaction ends), so two at once cannot both pay.
    """
    _take_disbursement_lock(session)
    received = _received_before(session, until)
    paid_out = dict(
        session.execute(
            select(Disbursement.agency_code, func.sum(Disbursement.amount_cents)).group_by(
                Disbursement.agency_code
            )
        ).all()
    )
    made = []
    for code in sorted(received):
        owed = received[code] - int(paid_out.get(code) or 0)
        if owed <= 0:
            continue
        disbursement = Disbursement(agency_code=code, amount_cents=owed, until=until, created_at=now)
        session.add(disbursement)
        session.flush()
        post(
            session,
            "disbursement",
            f"disbursement to {code} up to {until.isoformat()}",
            [Posting(agency_account(code), owed, code), Posting(processor_account(processor), -owed)],
            at=now,
            disbursement_id=disbursement.id,
        )
        made.append(disbursement)
    return made


def _received_before(session: Session, until: datetime) -> dict[str, int]:
    """Per agency, its lines paid less its lines refunded, booked before `until`."""
    statement = (
        select(LedgerEntry.agency_code, -func.sum(LedgerEntry.amount_cents))
        .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
        .where(
            LedgerEntry.account.like("agency:%"),
            LedgerTransaction.kind.in_(("payment", "refund")),
            LedgerTransaction.created_at < until,
        )
        .group_by(LedgerEntry.agency_code)
    )
    return {code: int(amount) for code, amount in session.execute(statement)}


def _take_disbursement_lock(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext('guichet.disburse'))"))
    else:
        take_sqlite_write_lock(session)


def verify(session: Session) -> list[str]:
    """Every broken invariant, in words; an empty list means the books are sound.

    Read in a few whole-table queries: this is an audit, run from the command line and after
    every money test, not on a request path.
    """
    problems: list[str] = []
    transactions = list(session.scalars(select(LedgerTransaction).order_by(LedgerTransaction.id)))
    payments = {p.id: p for p in session.scalars(select(Payment))}
    invoices = {i.id: i for i in session.scalars(select(Invoice))}
    refunds = {r.id: r for r in session.scalars(select(Refund))}
    lines = {line.id: line for line in session.scalars(select(InvoiceLine))}
    disbursements = {d.id: d for d in session.scalars(select(Disbursement))}

    for t in transactions:
        total = sum(e.amount_cents for e in t.entries)
        if total != 0:
            problems.append(f"transaction {t.id} ({t.kind}) does not balance: its entries add up to {total}")
        if len(t.entries) < 2:
            problems.append(
                f"transaction {t.id} ({t.kind}) has {len(t.entries)} entry; a transaction needs two"
            )

    by_payment = {}
    for t in transactions:
        if t.kind == "payment":
            if t.payment_id in by_payment:
                problems.append(
                    f"payment {t.payment_id} is booked twice "
                    f"(transactions {by_payment[t.payment_id]} and {t.id})"
                )
            by_payment[t.payment_id] = t.id
    for payment in payments.values():
        booked = payment.id in by_payment
        if payment.status == "succeeded" and not booked:
            problems.append(f"payment {payment.id} succeeded but is not in the ledger")
        if payment.status != "succeeded" and booked:
            problems.append(f"payment {payment.id} is {payment.status} but is in the ledger")
        invoice = invoices.get(payment.invoice_id)
        if payment.status == "succeeded" and invoice and payment.amount_cents != invoice.total_cents:
            problems.append(
                f"payment {payment.id} of {payment.amount_cents} does not equal invoice {invoice.id}'s total "
                f"{invoice.total_cents}"
            )
    paid_invoices = [p.invoice_id for p in payments.values() if p.status == "succeeded"]
    for invoice_id in {i for i in paid_invoices if paid_invoices.count(i) > 1}:
        problems.append(f"invoice {invoice_id} was paid more than once")
    for invoice in invoices.values():
        total = sum(line.amount_cents for line in invoice.lines if line.cancelled_at is None)
        if total != invoice.total_cents:
            problems.append(
                f"invoice {invoice.id}'s lines add up to {total}, not its total {invoice.total_cents}"
            )

    refund_transactions = {t.refund_id: t for t in transactions if t.kind == "refund"}
    for refund in refunds.values():
        line = lines[refund.invoice_line_id]
        if refund.id not in refund_transactions:
            problems.append(f"refund {refund.id} is not in the ledger")
        if refund.amount_cents != line.amount_cents:
            problems.append(
                f"refund {refund.id} of {refund.amount_cents} is not line {line.id}'s {line.amount_cents}"
            )
        if not line.refundable or line.cancelled_at is not None:
            problems.append(
                f"refund {refund.id} gives back line {line.id}, which is not refundable or not charged"
            )
        if payments[refund.payment_id].status != "succeeded":
            problems.append(f"refund {refund.id} is of payment {refund.payment_id}, which did not succeed")
    disbursement_transactions = {t.disbursement_id for t in transactions if t.kind == "disbursement"}
    for disbursement in disbursements.values():
        if disbursement.id not in disbursement_transactions:
            problems.append(f"disbursement {disbursement.id} is not in the ledger")

    for code, owed in sorted(agency_balances(session).items()):
        if owed < 0:
            problems.append(f"agency {code} was paid or refunded {-owed} more than it received")
    paid = sum(p.amount_cents for p in payments.values() if p.status == "succeeded")
    refunded = sum(r.amount_cents for r in refunds.values())
    disbursed = sum(d.amount_cents for d in disbursements.values())
    owed = sum(agency_balances(session).values())
    if paid != refunded + disbursed + owed:
        problems.append(
            f"payments ({paid}) do not equal refunds ({refunded}) + disbursements ({disbursed}) "
            f"+ still owed to agencies ({owed})"
        )
    return problems
