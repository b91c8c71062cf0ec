"""The disbursement report against the ledger it reads, on a real database.

Ledger transactions are dated by the business time their service call was given (`now`),
so periods here are cut at fixed instants around payments made at known times.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from tests.test_payments import NOW, submitted
from workflows.applications.store import cases_of
from workflows.payments import (
    SimulatedGateway,
    agency_balances,
    disburse,
    invoice_of,
    pay,
    settle_ended_permits,
)
from workflows.payments.reports import AgencyTotals, LedgerLine, disbursement_report, report_lines, write_csv
from workflows.permit_workflow import fire

pytestmark = pytest.mark.money

DAY = timedelta(days=1)
TOTAL = 666_370


@pytest.fixture
def gateway() -> SimulatedGateway:
    return SimulatedGateway()


def paid(db_session, gateway, at=NOW):
    application, _ = submitted(db_session)
    pay(db_session, application, idempotency_key="k", card_token="tok_approved", gateway=gateway, now=at)
    return application


def lines_by_agency(db_session, *applications) -> Counter:
    owed = Counter()
    for application in applications:
        for line in invoice_of(db_session, application.id).lines:
            if line.cancelled_at is None and line.amount_cents:
                owed[line.agency_code] += line.amount_cents
    return owed


def by_agency(rows: list[AgencyTotals]) -> dict[str, AgencyTotals]:
    return {row.agency: row for row in rows}


def test_the_report_agrees_with_the_ledger_agency_by_agency(db_session, gateway):
    first, second = paid(db_session, gateway), paid(db_session, gateway)
    now = NOW
    rows = disbursement_report(db_session, now - DAY, now + DAY)

    expected = lines_by_agency(db_session, first, second)
    assert {row.agency: row.payments_cents for row in rows} == dict(expected)
    assert sum(row.payments_cents for row in rows) == 2 * TOTAL
    assert {row.agency: row.owed_at_end_cents for row in rows} == {
        code: owed for code, owed in agency_balances(db_session, now + DAY).items() if owed
    }
    assert {row.agency: row.owed_at_end_cents for row in rows} == agency_balances(db_session)
    for row in rows:
        assert (row.owed_at_start_cents, row.refunds_cents, row.disbursed_cents) == (0, 0, 0)
        assert row.net_cents == row.payments_cents and row.reconciles
    assert by_agency(rows)["TO-TS"].gl_accounts == ("TO-TS-4320",)


def test_a_payment_outside_the_period_is_left_out(db_session, gateway):
    earlier = paid(db_session, gateway, NOW)
    cut = NOW + DAY / 2
    later = paid(db_session, gateway, NOW + DAY)
    end = NOW + 2 * DAY

    before = by_agency(disbursement_report(db_session, cut - DAY, cut))
    after = by_agency(disbursement_report(db_session, cut, end))
    assert {code: row.payments_cents for code, row in before.items()} == dict(
        lines_by_agency(db_session, earlier)
    )
    assert {code: row.payments_cents for code, row in after.items()} == dict(
        lines_by_agency(db_session, later)
    )
    for code, row in after.items():  # the earlier payment is carried in as owed, not counted again
        assert row.owed_at_start_cents == before[code].owed_at_end_cents
        assert row.owed_at_end_cents == agency_balances(db_session)[code] and row.reconciles

    assert {line.application_id for line in report_lines(db_session, cut, end)} == {later.id}
    assert {line.application_id for line in report_lines(db_session, cut - DAY, cut)} == {earlier.id}
    for row in disbursement_report(db_session, end, end + DAY):  # nothing moves: the balance carries over
        assert (row.payments_cents, row.refunds_cents, row.disbursed_cents) == (0, 0, 0)
        assert row.owed_at_start_cents == row.owed_at_end_cents == agency_balances(db_session)[row.agency]


def test_refunds_and_disbursements_are_counted_and_every_row_reconciles(db_session, gateway):
    start = NOW
    application = paid(db_session, gateway)
    eating = next(
        line for line in invoice_of(db_session, application.id).lines if line.permit_code == "TO-EATING"
    )
    case = next(c for c in cases_of(db_session, application.id) if c.permit_code == "TO-EATING")
    fire(db_session, case, "withdraw", actor_id=application.owner_id)
    [refund] = settle_ended_permits(db_session, application, gateway=gateway, now=NOW)
    until = NOW + timedelta(seconds=1)
    made = disburse(db_session, "simulated", until=until, now=until)
    end = NOW + DAY

    rows = by_agency(disbursement_report(db_session, start, end))
    mls = rows["TO-MLS"]
    paid_to_mls = lines_by_agency(db_session, application)["TO-MLS"]
    assert (mls.payments_cents, mls.refunds_cents, mls.net_cents) == (
        paid_to_mls,
        refund.amount_cents,
        paid_to_mls - eating.amount_cents,
    )
    assert mls.net_cents == 0 and mls.disbursed_cents == 0 and mls.owed_at_end_cents == 0  # all given back
    assert {code: row.disbursed_cents for code, row in rows.items() if row.disbursed_cents} == {
        d.agency_code: d.amount_cents for d in made
    }
    assert sum(row.disbursed_cents for row in rows.values()) == TOTAL - refund.amount_cents
    assert all(row.reconciles and row.owed_at_end_cents == 0 for row in rows.values())

    detail = report_lines(db_session, start, end, agency="TO-MLS")
    assert [line.kind for line in detail] == ["payment", "refund"]
    assert sum(line.amount_cents for line in detail) == 0
    refunded = detail[1]
    assert (refunded.permit_code, refunded.amount_cents, refunded.gl_account) == (
        "TO-EATING",
        -eating.amount_cents,
        "TO-MLS-4300",
    )
    assert (refunded.application_id, refunded.business_number) == (
        application.id,
        application.business_number,
    )

    detail = report_lines(db_session, start, end, agency="TO-TS")
    assert [line.kind for line in detail] == ["payment", "disbursement"]
    handed = detail[1]
    assert (handed.application_id, handed.permit_code, handed.amount_cents) == (
        None,
        None,
        -rows["TO-TS"].disbursed_cents,
    )
    assert sum(line.amount_cents for line in detail) == 0
    assert detail[0].date <= handed.date


def test_a_period_with_only_a_disbursement_carries_the_balance_in(db_session, gateway):
    application = paid(db_session, gateway)
    cut = NOW + timedelta(seconds=1)
    disburse(db_session, "simulated", until=cut, now=cut)
    [row] = disbursement_report(db_session, cut, cut + DAY, agency="TO-TS")
    owed = lines_by_agency(db_session, application)["TO-TS"]
    assert row == AgencyTotals(
        agency="TO-TS",
        gl_accounts=("TO-TS-4320",),  # booked before the period: still named
        owed_at_start_cents=owed,
        payments_cents=0,
        refunds_cents=0,
        net_cents=0,
        disbursed_cents=owed,
        owed_at_end_cents=0,
    )
    assert disbursement_report(db_session, cut, cut + DAY, agency="TO-NOBODY") == []


def test_the_csv_round_trips_with_integer_cents(db_session, gateway):
    application = paid(db_session, gateway)
    start, end = NOW - DAY, NOW + DAY
    rows = disbursement_report(db_session, start, end)
    stream = io.StringIO()
    write_csv(rows, stream)
    read = list(csv.DictReader(io.StringIO(stream.getvalue())))
    assert [r["agency"] for r in read] == [row.agency for row in rows]
    for raw, row in zip(read, rows, strict=True):
        for name in (
            "owed_at_start_cents",
            "payments_cents",
            "refunds_cents",
            "net_cents",
            "disbursed_cents",
        ):
            assert raw[name] == str(int(raw[name])) and int(raw[name]) == getattr(row, name)
        assert int(raw["owed_at_end_cents"]) == row.owed_at_end_cents
        assert raw["gl_accounts"].split(";") == list(row.gl_accounts)
    assert sum(int(r["payments_cents"]) for r in read) == TOTAL

    detail = report_lines(db_session, start, end)
    stream = io.StringIO()
    write_csv(detail, stream)
    read = list(csv.DictReader(io.StringIO(stream.getvalue())))
    assert len(read) == len(detail) > 0
    assert {r["business_number"] for r in read} == {application.business_number}
    assert sum(int(r["amount_cents"]) for r in read) == TOTAL
    assert all(datetime.fromisoformat(r["date"]).tzinfo is not None for r in read)
    assert {r["kind"] for r in read} == {"payment"}

    empty = io.StringIO()
    write_csv([], empty, LedgerLine)
    assert empty.getvalue() == (
        "date,application_id,business_number,permit_code,agency,gl_account,kind,amount_cents\n"
    )


def test_a_period_must_be_aware_and_end_after_it_starts(db_session):
    start = datetime(2026, 11, 1, tzinfo=UTC)
    with pytest.raises(ValueError, match="before it starts"):
        disbursement_report(db_session, start, start)
    with pytest.raises(ValueError, match="timezone-aware"):
        report_lines(db_session, datetime(2026, 11, 1), datetime(2026, 12, 1))
    assert disbursement_report(db_session, start, start + DAY) == []
