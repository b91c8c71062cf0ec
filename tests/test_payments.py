"""Invoice, payment, refunds and the ledger, through the service layer on a real database."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.answer_sets import TORONTO, TORONTO_FULL, TORONTO_PLAIN
from tests.factories import NOW, complete_form, submitted_application, user
from workflows.applications import (
    consent_requests,
    create_application,
    fields_of,
    give_consent,
    save_form,
    submit,
)
from workflows.applications.store import cases_of
from workflows.pack_store import load_active_pack_set
from workflows.payments import (
    PaymentRefused,
    SimulatedGateway,
    agency_balances,
    disburse,
    invoice_of,
    pay,
    settle_ended_permits,
    verify,
)
from workflows.payments.models import LedgerEntry, LedgerTransaction, Payment, Refund
from workflows.permit_workflow import fire
from workflows.triage import TriageEngine

pytestmark = pytest.mark.money


@pytest.fixture
def gateway() -> SimulatedGateway:
    return SimulatedGateway()


def submitted(db_session, answers=TORONTO_FULL):
    return submitted_application(db_session, user(db_session), answers)


def states(db_session, application) -> dict[str, str]:
    return {case.permit_code: case.state for case in cases_of(db_session, application.id)}


def test_the_invoice_has_a_line_per_permit_with_its_agency_and_gl_account_and_the_triage_total(db_session):
    application, result = submitted(db_session)
    invoice = invoice_of(db_session, application.id)
    assert invoice.total_cents == result.total_fee_cents == 666_370
    assert {line.permit_code for line in invoice.lines} == {o.permit.code for o in result.permits}
    patio = next(line for line in invoice.lines if line.permit_code == "TO-CAFETO")
    assert (patio.basis, patio.quantity, patio.unit_cents, patio.amount_cents) == (
        "per_unit",
        20,
        13242,
        264_840,
    )
    assert patio.agency_code == "TO-TS"
    agencies = load_active_pack_set(db_session).agencies
    assert all(line.gl_account == agencies[line.agency_code].gl_account for line in invoice.lines)


def test_paying_books_the_split_and_moves_the_permits_on(db_session, gateway):
    application, _ = submitted(db_session)
    outcome = pay(
        db_session, application, idempotency_key="k1", card_token="tok_approved", gateway=gateway, now=NOW
    )
    payment = outcome.payment
    assert (payment.status, payment.amount_cents, outcome.replayed) == ("succeeded", 666_370, False)
    assert list(gateway.charges.values()) == [666_370]
    invoice = invoice_of(db_session, application.id)
    owed = agency_balances(db_session)
    for agency in {line.agency_code for line in invoice.lines}:
        assert owed.get(agency, 0) == sum(
            line.amount_cents for line in invoice.lines if line.agency_code == agency
        )
    assert sum(owed.values()) == 666_370
    now = states(db_session, application)
    assert now["CA-BN"] == "approved" and now["TO-ZONING"] != "submitted"


def test_the_same_key_answers_the_same_and_charges_nothing_more(db_session, gateway):
    application, _ = submitted(db_session)
    first = pay(
        db_session, application, idempotency_key="k", card_token="tok_approved", gateway=gateway, now=NOW
    )
    again = pay(
        db_session, application, idempotency_key="k", card_token="tok_approved", gateway=gateway, now=NOW
    )
    assert again.replayed and again.payment.id == first.payment.id
    assert len(gateway.charges) == 1
    with pytest.raises(PaymentRefused) as reused:
        pay(db_session, application, idempotency_key="k", card_token="tok_declined", gateway=gateway, now=NOW)
    assert reused.value.status == 409
    with pytest.raises(PaymentRefused) as paid:
        pay(
            db_session, application, idempotency_key="k2", card_token="tok_approved", gateway=gateway, now=NOW
        )
    assert paid.value.status == 409
    assert db_session.scalar(select(func.count()).select_from(Payment)) == 1


@pytest.mark.parametrize(
    ("token", "status", "code"),
    [
        ("tok_declined", "declined", "card_declined"),
        ("tok_insufficient_funds", "declined", "insufficient_funds"),
        ("tok_processor_error", "failed", "processor_error"),
        ("tok_unknown", "declined", "invalid_card_token"),
    ],
)
def test_a_refused_card_books_nothing_and_leaves_the_application_payable(
    db_session, gateway, token, status, code
):
    application, _ = submitted(db_session)
    outcome = pay(db_session, application, idempotency_key="bad", card_token=token, gateway=gateway, now=NOW)
    assert (outcome.payment.status, outcome.payment.decline_code) == (status, code)
    assert gateway.charges == {}
    assert db_session.scalar(select(func.count()).select_from(LedgerTransaction)) == 0
    assert set(states(db_session, application).values()) == {"submitted"}
    good = pay(
        db_session, application, idempotency_key="good", card_token="tok_approved", gateway=gateway, now=NOW
    )
    assert good.payment.status == "succeeded"


def test_a_processor_error_is_retried_with_the_same_key(db_session, gateway):
    application, _ = submitted(db_session)
    failed = pay(
        db_session,
        application,
        idempotency_key="k",
        card_token="tok_processor_error",
        gateway=gateway,
        now=NOW,
    )
    assert failed.payment.status == "failed"
    with pytest.raises(PaymentRefused):  # the same key with another card is another request
        pay(db_session, application, idempotency_key="k", card_token="tok_approved", gateway=gateway, now=NOW)
    retried = pay(
        db_session,
        application,
        idempotency_key="k",
        card_token="tok_processor_error",
        gateway=gateway,
        now=NOW,
    )
    assert retried.payment.id == failed.payment.id and not retried.replayed


def test_paying_before_submission_is_refused(db_session, gateway):
    owner = user(db_session)
    engine = TriageEngine(load_active_pack_set(db_session))
    application, _ = create_application(
        db_session, engine, owner_id=owner.id, jurisdiction=TORONTO, answers=TORONTO_PLAIN
    )
    with pytest.raises(PaymentRefused) as refused:
        pay(db_session, application, idempotency_key="k", card_token="tok_approved", gateway=gateway, now=NOW)
    assert refused.value.status == 409


def test_a_refundable_permit_withdrawn_after_payment_is_refunded_and_the_books_still_balance(
    db_session, gateway
):
    application, _ = submitted(db_session)
    pay(db_session, application, idempotency_key="k", card_token="tok_approved", gateway=gateway, now=NOW)
    invoice = invoice_of(db_session, application.id)
    case = next(c for c in cases_of(db_session, application.id) if c.permit_code == "TO-EATING")
    assert case.state == "paid"  # waiting for zoning and health: no clerk has started on it
    line = next(line for line in invoice.lines if line.permit_code == "TO-EATING")
    assert line.refundable
    owed_before = agency_balances(db_session)[line.agency_code]
    fire(db_session, case, "withdraw", actor_id=application.owner_id)
    [refund] = settle_ended_permits(db_session, application, gateway=gateway, now=NOW)
    assert (refund.amount_cents, refund.reason, refund.invoice_line_id) == (
        line.amount_cents,
        "withdrawn",
        line.id,
    )
    assert agency_balances(db_session)[line.agency_code] == owed_before - line.amount_cents
    assert list(gateway.refunds.values()) == [line.amount_cents]
    assert settle_ended_permits(db_session, application, gateway=gateway, now=NOW) == []  # once only


def test_a_permit_that_is_not_refundable_keeps_its_fee_when_withdrawn(db_session, gateway):
    application, _ = submitted(db_session)
    pay(db_session, application, idempotency_key="k", card_token="tok_approved", gateway=gateway, now=NOW)
    case = next(c for c in cases_of(db_session, application.id) if c.permit_code == "TO-CAFETO")
    assert case.state == "paid"
    assert not next(
        line for line in invoice_of(db_session, application.id).lines if line.permit_code == "TO-CAFETO"
    ).refundable
    fire(db_session, case, "withdraw", actor_id=application.owner_id)
    assert settle_ended_permits(db_session, application, gateway=gateway, now=NOW) == []
    assert db_session.scalar(select(func.count()).select_from(Refund)) == 0


def test_a_permit_withdrawn_before_payment_is_not_charged(db_session, gateway):
    application, _ = submitted(db_session)
    case = next(c for c in cases_of(db_session, application.id) if c.permit_code == "TO-CAFETO")
    fire(db_session, case, "withdraw", actor_id=application.owner_id)
    settle_ended_permits(db_session, application, gateway=gateway, now=NOW)
    assert invoice_of(db_session, application.id).total_cents == 666_370 - 264_840
    outcome = pay(
        db_session, application, idempotency_key="k", card_token="tok_approved", gateway=gateway, now=NOW
    )
    assert outcome.payment.amount_cents == 666_370 - 264_840
    assert "TO-TS" not in agency_balances(db_session) or agency_balances(db_session)["TO-TS"] == 0


def test_disbursing_pays_each_agency_what_it_is_owed(db_session, gateway):
    application, _ = submitted(db_session)
    pay(db_session, application, idempotency_key="k", card_token="tok_approved", gateway=gateway, now=NOW)
    owed = agency_balances(db_session)
    made = disburse(db_session, "simulated", until=NOW + timedelta(days=1), now=NOW + timedelta(days=1))
    assert {d.agency_code: d.amount_cents for d in made} == {
        code: cents for code, cents in owed.items() if cents
    }
    assert set(agency_balances(db_session).values()) <= {0}
    assert disburse(db_session, "simulated", until=NOW + timedelta(days=2), now=NOW + timedelta(days=2)) == []


@pytest.mark.tampers_with_books
def test_verify_names_a_tampered_entry(db_session, gateway):
    application, _ = submitted(db_session)
    pay(db_session, application, idempotency_key="k", card_token="tok_approved", gateway=gateway, now=NOW)
    entry = db_session.scalars(select(LedgerEntry).where(LedgerEntry.amount_cents < 0)).first()
    db_session.execute(
        LedgerEntry.__table__.update()
        .where(LedgerEntry.id == entry.id)
        .values(amount_cents=entry.amount_cents - 1)
    )
    db_session.expire_all()
    problems = verify(db_session)
    assert any("does not balance" in problem for problem in problems), problems


def test_disbursing_again_or_for_an_earlier_date_never_pays_twice(db_session, gateway):
    application, _ = submitted(db_session)
    pay(db_session, application, idempotency_key="k", card_token="tok_approved", gateway=gateway, now=NOW)
    first = disburse(db_session, "simulated", until=NOW + timedelta(hours=1), now=NOW + timedelta(days=1))
    assert sum(d.amount_cents for d in first) == 666_370
    assert (
        disburse(db_session, "simulated", until=NOW + timedelta(hours=1), now=NOW + timedelta(days=2)) == []
    )
    assert (
        disburse(db_session, "simulated", until=NOW + timedelta(minutes=1), now=NOW + timedelta(days=3)) == []
    )


def test_money_received_after_the_cut_off_waits_for_the_next_disbursement(db_session, gateway):
    application, _ = submitted(db_session)
    pay(db_session, application, idempotency_key="k", card_token="tok_approved", gateway=gateway, now=NOW)
    assert (
        disburse(db_session, "simulated", until=NOW, now=NOW + timedelta(days=1)) == []
    )  # paid at NOW exactly
    assert (
        sum(
            d.amount_cents
            for d in disburse(db_session, "simulated", until=NOW + timedelta(seconds=1), now=NOW)
        )
        == 666_370
    )


def test_ending_a_permit_of_a_free_application_gives_nothing_back(db_session, gateway):
    owner = user(db_session)
    engine = TriageEngine(load_active_pack_set(db_session))
    free = {**TORONTO_PLAIN, "expected_annual_sales": 4_000_000}
    application, result = create_application(
        db_session, engine, owner_id=owner.id, jurisdiction=TORONTO, answers=free
    )
    free_codes = [o.permit.code for o in result.permits if o.fee_cents == 0]
    for case in cases_of(db_session, application.id):
        if case.permit_code not in free_codes:
            fire(db_session, case, "withdraw", actor_id=owner.id)
    save_form(db_session, application, complete_form(fields_of(db_session, application)))
    give_consent(
        db_session,
        application,
        [r.agency_code for r in consent_requests(db_session, application)],
        user_id=owner.id,
        now=NOW,
    )
    submit(db_session, application, user_id=owner.id, now=NOW)
    invoice = invoice_of(db_session, application.id)
    assert invoice.total_cents == 0 and invoice.paid_at == NOW  # nothing to pay: paid at once
    states = {c.state for c in cases_of(db_session, application.id)}
    assert "withdrawn" in states and "submitted" not in states  # the free permits moved on at once
    assert settle_ended_permits(db_session, application, gateway=gateway, now=NOW) == []
    assert gateway.refunds == {}
