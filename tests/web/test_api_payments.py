"""Paying over HTTP: idempotency, declines, the invoice, refunds on withdrawal, and signed webhooks."""

from __future__ import annotations

import json
import time

import pytest

from accounts.service import issue_token
from app.db import db_session as app_session
from tests.factories import user
from tests.web.openapi_conformance import conforms
from workflows.payments.webhooks import sign

pytestmark = pytest.mark.money


def pay(client, headers, application_id, key="key-1", token="tok_approved"):
    return conforms(
        client.post(
            f"/api/v1/applications/{application_id}/payments",
            json={"card_token": token},
            headers={**headers, "Idempotency-Key": key},
        )
    )


def charges(app) -> dict[str, int]:
    return app.extensions["guichet.gateway"].charges


def test_the_invoice_is_shown_before_payment(client, owner):
    headers, application_id = owner
    invoice = conforms(client.get(f"/api/v1/applications/{application_id}/invoice", headers=headers)).json
    assert invoice["total_cents"] == 666_370 and invoice["paid_at"] is None and invoice["payments"] == []
    patio = next(line for line in invoice["lines"] if line["permit"] == "TO-CAFETO")
    assert (patio["basis"], patio["quantity"], patio["unit_cents"], patio["agency"]) == (
        "per_unit",
        20,
        13242,
        "TO-TS",
    )
    assert sum(line["amount_cents"] for line in invoice["lines"]) == 666_370


def test_one_payment_per_key_however_often_it_is_sent(app, client, owner):
    headers, application_id = owner
    first = pay(client, headers, application_id)
    assert first.status_code == 201
    assert (first.json["status"], first.json["amount_cents"]) == ("succeeded", 666_370)
    again = pay(client, headers, application_id)
    assert again.status_code == 201 and again.json == first.json
    assert again.headers["Idempotent-Replayed"] == "true"
    assert list(charges(app).values()) == [666_370]

    other_body = pay(client, headers, application_id, token="tok_declined")
    assert other_body.status_code == 409
    second_key = pay(client, headers, application_id, key="key-2")
    assert second_key.status_code == 409  # already paid
    shown = conforms(client.get(f"/api/v1/applications/{application_id}", headers=headers)).json
    assert shown["status"] in {"paid", "in_progress"}
    assert next(p for p in shown["permits"] if p["code"] == "CA-BN")["state"] == "approved"


@pytest.mark.parametrize(
    ("token", "status", "field"),
    [
        ("tok_declined", 402, "card_token"),
        ("tok_insufficient_funds", 402, "card_token"),
        ("tok_processor_error", 502, None),
    ],
)
def test_a_declined_card_answers_with_a_clear_message_and_the_application_stays_payable(
    app, client, owner, token, status, field
):
    headers, application_id = owner
    refused = pay(client, headers, application_id, key="bad", token=token)
    assert refused.status_code == status
    assert refused.json["errors"][0]["field"] == field and refused.json["errors"][0]["message"]
    assert charges(app) == {}
    assert pay(client, headers, application_id, key="good").status_code == 201


@pytest.mark.parametrize(
    ("headers_extra", "body", "status", "fields"),
    [
        ({}, {"card_token": "tok_approved"}, 422, {"Idempotency-Key"}),
        ({"Idempotency-Key": "k" * 256}, {"card_token": "tok_approved"}, 422, {"Idempotency-Key"}),
        ({"Idempotency-Key": "k"}, {}, 422, {"card_token"}),
        ({"Idempotency-Key": "k"}, {"card_token": "tok_approved", "amount_cents": 1}, 422, {"amount_cents"}),
    ],
)
def test_payment_requests_are_checked_field_by_field(client, owner, headers_extra, body, status, fields):
    headers, application_id = owner
    response = conforms(
        client.post(
            f"/api/v1/applications/{application_id}/payments", json=body, headers={**headers, **headers_extra}
        )
    )
    assert response.status_code == status
    assert {e["field"] for e in response.json["errors"]} == fields


def test_another_applicant_cannot_see_or_pay_the_invoice(app, client, owner):
    headers, application_id = owner
    with app.app_context():
        session = app_session()
        token = issue_token(session, user(session))
        session.commit()
    stranger = {"Authorization": f"Bearer {token}"}
    assert pay(client, stranger, application_id).status_code == 404
    assert (
        conforms(client.get(f"/api/v1/applications/{application_id}/invoice", headers=stranger)).status_code
        == 404
    )
    invoice = conforms(client.get(f"/api/v1/applications/{application_id}/invoice", headers=headers)).json
    assert invoice["payments"] == [] and invoice["paid_at"] is None


def test_withdrawing_a_refundable_permit_after_payment_refunds_it(app, client, owner):
    headers, application_id = owner
    pay(client, headers, application_id)
    withdrawn = conforms(
        client.post(f"/api/v1/applications/{application_id}/permits/TO-EATING/withdraw", headers=headers)
    )
    assert withdrawn.status_code == 200
    invoice = conforms(client.get(f"/api/v1/applications/{application_id}/invoice", headers=headers)).json
    eating = next(line for line in invoice["lines"] if line["permit"] == "TO-EATING")
    assert eating["refunded_cents"] == eating["amount_cents"] == 51_600
    assert invoice["refunded_cents"] == 51_600
    assert list(app.extensions["guichet.gateway"].refunds.values()) == [51_600]


def webhook(app, client, event, *, secret=None, timestamp=None):
    body = json.dumps(event).encode()
    signature = sign(secret or app.config["WEBHOOK_SECRET"], body, timestamp or int(time.time()))
    return conforms(
        client.post(
            "/api/v1/payments/webhook",
            data=body,
            headers={"Guichet-Signature": signature, "Content-Type": "application/json"},
        )
    )


def event(event_id, kind, reference, created=None, **data):
    return {
        "id": event_id,
        "type": kind,
        "created": created or int(time.time()),
        "data": {"payment_reference": reference, **data},
    }


def test_webhooks_need_a_valid_recent_signature(app, client, owner):
    headers, application_id = owner
    reference = pay(client, headers, application_id).json["processor_reference"]
    good = event("evt_1", "payment.succeeded", reference)
    assert webhook(app, client, good, secret="not the secret").status_code == 400
    assert webhook(app, client, good, timestamp=int(time.time()) - 3600).status_code == 400
    unsigned = conforms(client.post("/api/v1/payments/webhook", json=good))
    assert unsigned.status_code == 400
    assert webhook(app, client, {"id": "evt_2", "type": "refund.made"}).status_code == 422
    assert webhook(app, client, good).json == {"event": "evt_1", "outcome": "confirmed"}


def test_a_webhook_delivered_twice_or_out_of_order_changes_things_once(app, client, owner):
    headers, application_id = owner
    reference = pay(client, headers, application_id).json["processor_reference"]
    now = int(time.time())
    assert (
        webhook(app, client, event("evt_a", "payment.succeeded", reference, now)).json["outcome"]
        == "confirmed"
    )
    assert (
        webhook(app, client, event("evt_a", "payment.succeeded", reference, now)).json["outcome"]
        == "duplicate"
    )
    late_failure = event("evt_b", "payment.failed", reference, now - 60)
    assert webhook(app, client, late_failure).json["outcome"] == "ignored"  # a succeeded charge is final
    unknown = webhook(app, client, event("evt_c", "payment.succeeded", "ch_nobody"))
    assert unknown.status_code == 409  # not recorded: the processor will deliver it again
    shown = conforms(client.get(f"/api/v1/applications/{application_id}/invoice", headers=headers)).json
    assert len(shown["payments"]) == 1 and shown["payments"][0]["status"] == "succeeded"


def test_a_charge_that_timed_out_is_settled_when_the_processor_confirms_it(app, client, owner):
    headers, application_id = owner
    failed = pay(client, headers, application_id, key="slow", token="tok_processor_error")
    assert failed.status_code == 502
    confirm = event(
        "evt_late",
        "payment.succeeded",
        "ch_from_processor",
        charge_key=f"guichet:application:{application_id}:payment:slow",
    )
    assert webhook(app, client, confirm).json["outcome"] == "applied"
    assert webhook(app, client, confirm).json["outcome"] == "duplicate"
    invoice = conforms(client.get(f"/api/v1/applications/{application_id}/invoice", headers=headers)).json
    assert invoice["paid_at"] is not None
    assert [p["status"] for p in invoice["payments"]] == ["succeeded"]
    assert pay(client, headers, application_id, key="slow", token="tok_processor_error").status_code == 201
