"""Property: whatever happens to an application's permits and payments, the books balance.

Hypothesis draws random sequences of payment attempts (approved, declined, failing, keys
reused), clerk decisions (approve, reject) and withdrawals; after every sequence the
ledger's invariants hold and no permit's fee is refunded twice or refunded when it must not be.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from tests.test_payments import submitted
from workflows.applications.store import cases_of
from workflows.payments import (
    PaymentRefused,
    SimulatedGateway,
    agency_balances,
    invoice_of,
    pay,
    settle_ended_permits,
    verify,
)
from workflows.payments.models import Refund
from workflows.permit_workflow import TransitionNotAllowed, fire

pytestmark = pytest.mark.money

NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
TOKENS = ["tok_approved", "tok_declined", "tok_insufficient_funds", "tok_processor_error"]

payments = st.tuples(st.just("pay"), st.sampled_from(["a", "b", "c"]), st.sampled_from(TOKENS))
decisions = st.tuples(st.sampled_from(["approve", "reject", "withdraw"]), st.integers(0, 12), st.none())
steps = st.lists(st.one_of(payments, decisions), min_size=1, max_size=25)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=steps)
def test_random_payments_refusals_and_withdrawals_keep_the_ledger_balanced(db_session, steps):
    gateway = SimulatedGateway()
    application, _ = submitted(db_session)
    for action, which, token in steps:
        if action == "pay":
            try:
                pay(
                    db_session, application, idempotency_key=which, card_token=token, gateway=gateway, now=NOW
                )
            except PaymentRefused as refusal:
                assert refusal.status == 409
        else:
            cases = cases_of(db_session, application.id)
            case = cases[which % len(cases)]
            actor = application.owner_id if action == "withdraw" else None
            try:
                fire(db_session, case, action, actor_id=actor, reason="property test")
            except TransitionNotAllowed:
                continue
        settle_ended_permits(db_session, application, gateway=gateway, now=NOW)

    assert verify(db_session) == []
    assert all(owed >= 0 for owed in agency_balances(db_session).values())
    invoice = invoice_of(db_session, application.id)
    refunded = list(
        db_session.scalars(
            select(Refund).where(Refund.invoice_line_id.in_([line.id for line in invoice.lines]))
        )
    )
    lines = {line.id: line for line in invoice.lines}
    ended = {
        c.permit_code for c in cases_of(db_session, application.id) if c.state in ("rejected", "withdrawn")
    }
    assert all(
        lines[r.invoice_line_id].refundable and lines[r.invoice_line_id].permit_code in ended
        for r in refunded
    )
    due = {
        line.permit_code
        for line in invoice.lines
        if invoice.paid_at
        and line.refundable
        and line.amount_cents
        and line.cancelled_at is None
        and line.permit_code in ended
    }
    assert {lines[r.invoice_line_id].permit_code for r in refunded} == due
    assert sum(gateway.charges.values()) - sum(gateway.refunds.values()) == (
        (invoice.total_cents if invoice.paid_at else 0) - sum(r.amount_cents for r in refunded)
    )
