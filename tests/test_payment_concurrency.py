"""Fifty simultaneous payment requests for one application: one charge, one booking.

Each request has its own connection and transaction, as it would in separate workers.
"""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from tests.test_application_concurrency import _draft
from tests.test_permit_concurrency import _all_at_once
from workflows.applications import lock_application, submit
from workflows.db import utcnow
from workflows.payments import PaymentRefused, SimulatedGateway, pay, verify
from workflows.payments.models import LedgerTransaction, Payment

REQUESTS = 50


def _submitted(engine: Engine) -> int:
    application_id, owner_id, _agencies = _draft(engine, consented=True)
    with Session(engine) as session, session.begin():
        submit(session, lock_application(session, application_id), user_id=owner_id, now=utcnow())
    return application_id


def _pay(application_id: int, key: str, gateway: SimulatedGateway):
    def job(session: Session):
        application = lock_application(session, application_id)
        outcome = pay(
            session,
            application,
            idempotency_key=key,
            card_token="tok_approved",
            gateway=gateway,
            now=utcnow(),
        )
        return outcome.payment.id

    return job


def _count(engine: Engine, model, application_id: int) -> int:
    with Session(engine) as session:
        return session.scalar(
            select(func.count()).select_from(model).where(model.application_id == application_id)
        )


@pytest.fixture
def engine(committing_database: Engine) -> Engine:
    return committing_database


@pytest.fixture
def gateway() -> SimulatedGateway:
    return SimulatedGateway()


def test_the_same_key_fifty_times_at_once_charges_once(engine, gateway):
    application_id = _submitted(engine)
    results = _all_at_once(engine, [_pay(application_id, "same-key", gateway)] * REQUESTS)
    assert all(isinstance(result, int) for result in results), results
    assert len(set(results)) == 1  # every request answered with the one payment
    assert len(gateway.charges) == 1
    assert _count(engine, Payment, application_id) == 1
    assert _count(engine, LedgerTransaction, application_id) == 1
    with Session(engine) as session:
        assert verify(session) == []


def test_fifty_different_keys_at_once_still_pay_the_invoice_once(engine, gateway):
    application_id = _submitted(engine)
    results = _all_at_once(engine, [_pay(application_id, f"key-{n}", gateway) for n in range(REQUESTS)])
    paid = [result for result in results if isinstance(result, int)]
    refused = [result for result in results if isinstance(result, PaymentRefused)]
    assert len(paid) == 1 and len(refused) == REQUESTS - 1, results
    assert {error.status for error in refused} == {409}
    assert len(gateway.charges) == 1
    with Session(engine) as session:
        assert verify(session) == []
