"""What each agency received, gave back, was paid and is still owed over a period, read from the ledger.

Free of Flask. Every figure comes from the ledger's agency accounts, dated by the ledger
transaction, the same clock `agency_balances` and `disburse` use; so a report always
reconciles: owed at the start + payments - refunds - disbursed = owed at the end.
Periods are half-open, [start, end), and amounts integer cents.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime
from typing import TextIO

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from workflows.models import Application
from workflows.payments.ledger import agency_balances
from workflows.payments.models import InvoiceLine, LedgerEntry, LedgerTransaction


@dataclass(frozen=True, slots=True)
class AgencyTotals:
    """One agency's line of the disbursement report. Payments, refunds and disbursed are positive."""

    agency: str
    gl_accounts: tuple[str, ...]  # the accounts its lines in the period were booked to
    owed_at_start_cents: int
    payments_cents: int  # its invoice lines in payments made in the period
    refunds_cents: int  # its lines given back in the period
    net_cents: int  # payments - refunds
    disbursed_cents: int  # paid out to it in the period
    owed_at_end_cents: int

    @property
    def reconciles(self) -> bool:
        """Whether the row adds up, as it always should: an audit aid for callers and tests."""
        return self.owed_at_start_cents + self.net_cents - self.disbursed_cents == self.owed_at_end_cents


@dataclass(frozen=True, slots=True)
class LedgerLine:
    """One movement on an agency's account; `amount_cents` is what it adds to what the agency is owed
    (a payment's line is positive, a refund or a disbursement negative)."""

    date: datetime
    application_id: int | None
    business_number: str | None
    permit_code: str | None
    agency: str
    gl_account: str | None
    kind: str  # payment, refund, disbursement
    amount_cents: int


def utc_day(text: str) -> datetime:
    """Midnight UTC of a YYYY-MM-DD day, how the command line and the API give a period's bounds;
    ValueError for anything else."""
    if not isinstance(text, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise ValueError(f"{text!r} is not a date in the form YYYY-MM-DD")
    day = date.fromisoformat(text)
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def disbursement_report(
    session: Session, start: datetime, end: datetime, agency: str | None = None
) -> list[AgencyTotals]:
    """Each agency with money moving in [start, end) or owed at either end, by agency code."""
    _check_period(start, end)
    flows: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    statement = (
        _agency_entries(
            agency, LedgerEntry.agency_code, LedgerTransaction.kind, func.sum(LedgerEntry.amount_cents)
        )
        .where(LedgerTransaction.created_at >= start, LedgerTransaction.created_at < end)
        .group_by(LedgerEntry.agency_code, LedgerTransaction.kind)
    )
    for code, kind, cents in session.execute(statement):
        flows[code][kind] += int(cents)
    opening, closing = agency_balances(session, start), agency_balances(session, end)
    codes = (
        set(flows) | {c for c, owed in opening.items() if owed} | {c for c, owed in closing.items() if owed}
    )
    if agency is not None:
        codes &= {agency}
    accounts = _gl_accounts(session, start, end, agency)
    rows = []
    for code in sorted(codes):
        payments, refunds = -flows[code]["payment"], flows[code]["refund"]
        rows.append(
            AgencyTotals(
                agency=code,
                gl_accounts=tuple(sorted(accounts.get(code, ()))),
                owed_at_start_cents=opening.get(code, 0),
                payments_cents=payments,
                refunds_cents=refunds,
                net_cents=payments - refunds,
                disbursed_cents=flows[code]["disbursement"],
                owed_at_end_cents=closing.get(code, 0),
            )
        )
    return rows


def report_lines(
    session: Session, start: datetime, end: datetime, agency: str | None = None
) -> list[LedgerLine]:
    """Every movement on the agencies' accounts in [start, end), oldest first: the report's detail."""
    _check_period(start, end)
    statement = (
        _agency_entries(
            agency,
            LedgerTransaction.created_at,
            LedgerTransaction.application_id,
            Application.business_number,
            InvoiceLine.permit_code,
            LedgerEntry.agency_code,
            LedgerEntry.gl_account,
            LedgerTransaction.kind,
            LedgerEntry.amount_cents,
        )
        .outerjoin(Application, Application.id == LedgerTransaction.application_id)
        .outerjoin(InvoiceLine, InvoiceLine.id == LedgerEntry.invoice_line_id)
        .where(LedgerTransaction.created_at >= start, LedgerTransaction.created_at < end)
        .order_by(LedgerTransaction.created_at, LedgerTransaction.id, LedgerEntry.id)
    )
    return [
        LedgerLine(at, application_id, bn, permit, code, gl, kind, -cents)
        for at, application_id, bn, permit, code, gl, kind, cents in session.execute(statement)
    ]


def write_csv(
    rows: Iterable[AgencyTotals | LedgerLine],
    stream: TextIO,
    row_type: type[AgencyTotals] | type[LedgerLine] | None = None,
) -> None:
    """Rows as CSV with a header, cents as integers, dates in ISO 8601 and several GL accounts joined by ';'.

    Give `row_type` so that an empty report still gets its header.
    """
    rows = list(rows)
    row_type = row_type or (type(rows[0]) if rows else None)
    if row_type is None:
        return
    names = [f.name for f in fields(row_type)]
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(names)
    for row in rows:
        writer.writerow(_cell(getattr(row, name)) for name in names)


def _cell(value: object) -> str | int:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple):
        return ";".join(value)
    return value


def _check_period(start: datetime, end: datetime) -> None:
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("give the period in timezone-aware datetimes (UTC)")
    if end <= start:
        raise ValueError(f"the period ends ({end.isoformat()}) before it starts ({start.isoformat()})")


def _agency_entries(agency: str | None, *columns) -> Select:
    """Columns of the entries on the agencies' accounts, as `agency_balances` counts them."""
    statement = (
        select(*columns)
        .select_from(LedgerEntry)
        .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
        .where(LedgerEntry.agency_code.is_not(None), LedgerEntry.account.like("agency:%"))
    )
    return statement if agency is None else statement.where(LedgerEntry.agency_code == agency)


def _gl_accounts(session: Session, start: datetime, end: datetime, agency: str | None) -> dict[str, set[str]]:
    """The GL accounts each agency's lines were booked to in the period; for an agency with no line
    in it (only a balance carried over, or a disbursement), the ones it was booked to before."""
    booked = _agency_entries(
        agency, LedgerEntry.agency_code, LedgerEntry.gl_account, LedgerTransaction.created_at >= start
    )
    booked = booked.where(LedgerEntry.gl_account.is_not(None), LedgerTransaction.created_at < end).distinct()
    during: dict[str, set[str]] = defaultdict(set)
    before: dict[str, set[str]] = defaultdict(set)
    for code, account, in_period in session.execute(booked):
        (during if in_period else before)[code].add(account)
    return {code: during.get(code) or before[code] for code in during.keys() | before.keys()}
