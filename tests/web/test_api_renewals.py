"""Renewing over the API: what can be renewed, a renewal with only the changes, paid through the one
payments route, conflicts and bad input as JSON errors, every answer checked against the OpenAPI."""

from __future__ import annotations

from datetime import timedelta

import pytest

from accounts.service import issue_token
from app.db import db_session as app_session
from tests.answer_sets import TORONTO_FULL
from tests.factories import licensed_application, paid_application, user
from tests.web.openapi_conformance import conforms
from tests.web.test_renewal_pages import EXPIRY, set_clock

pytestmark = pytest.mark.money


def owner(app, *, licensed: bool = True) -> tuple[dict, int]:
    """(headers, application id) of a Toronto restaurant, licensed (or only paid), committed."""
    with app.app_context():
        session = app_session()
        person = user(session)
        make = licensed_application if licensed else paid_application
        application, _ = make(session, person, TORONTO_FULL)
        token = issue_token(session, person)
        session.commit()
        return {"Authorization": f"Bearer {token}"}, application.id


def renewal_of(client, headers, application_id):
    return conforms(client.get(f"/api/v1/applications/{application_id}/renewal", headers=headers))


def start(client, headers, application_id, body):
    return conforms(
        client.post(f"/api/v1/applications/{application_id}/renewals", json=body, headers=headers)
    )


def pay(client, headers, application_id, key):
    return conforms(
        client.post(
            f"/api/v1/applications/{application_id}/payments",
            json={"card_token": "tok_approved"},
            headers={**headers, "Idempotency-Key": key},
        )
    )


def test_a_renewal_over_the_api_from_offer_to_new_licence(app, client, monkeypatch):
    headers, application_id = owner(app)
    set_clock(monkeypatch, EXPIRY - timedelta(days=20))
    offer = renewal_of(client, headers, application_id).json
    assert [(p["code"], p["fee_cents"], p["expired"]) for p in offer["renewable"]] == [
        ("TO-EATING", 34_900, False),
        ("TO-CAFETO", 20 * 13242, False),
    ]
    assert offer["renewable"][0]["expires_at"] == EXPIRY.isoformat()
    values = {field["name"]: field["value"] for field in offer["fields"]}
    assert values["operating_name"] == "Café Ça Va Inc." and values["patio_area_m2"] == 10
    assert offer["open_renewal"] is None

    made = start(
        client,
        headers,
        application_id,
        {"permits": ["TO-EATING"], "fields": {"operating_name": "Ça Va Bistro"}},
    )
    assert made.status_code == 201
    assert made.headers["Location"].endswith(f"/api/v1/applications/{application_id}/renewal")
    renewal = made.json
    assert renewal["permits"] == ["TO-EATING"] and renewal["completed_at"] is None
    assert renewal["changes"] == {"operating_name": {"before": "Café Ça Va Inc.", "after": "Ça Va Bistro"}}
    assert renewal["invoice"]["total_cents"] == 34_900 and renewal["invoice"]["paid_at"] is None
    assert [(line["permit"], line["agency"], line["gl_account"]) for line in renewal["invoice"]["lines"]] == [
        ("TO-EATING", "TO-MLS", "TO-MLS-4300")
    ]
    conflict = start(client, headers, application_id, {"fields": {}})
    assert conflict.status_code == 409 and conflict.json["errors"][0]["field"] is None
    assert renewal_of(client, headers, application_id).json["open_renewal"]["id"] == renewal["id"]

    paid = pay(client, headers, application_id, "renewal-key")
    assert paid.status_code == 201 and paid.json["amount_cents"] == 34_900
    replayed = pay(client, headers, application_id, "renewal-key")
    assert replayed.headers["Idempotent-Replayed"] == "true" and replayed.json == paid.json
    assert pay(client, headers, application_id, "another-key").status_code == 409  # nothing is due
    assert list(app.extensions["guichet.gateway"].charges.values()) == [34_900]

    after = renewal_of(client, headers, application_id).json
    assert after["open_renewal"] is None
    assert [p["code"] for p in after["renewable"]] == ["TO-CAFETO"]  # the licence moved on a year
    shown = conforms(client.get(f"/api/v1/applications/{application_id}", headers=headers)).json
    assert shown["licence"]["version"] == 2
    first_bill = conforms(client.get(f"/api/v1/applications/{application_id}/invoice", headers=headers)).json
    assert first_bill["total_cents"] == 666_370  # GET .../invoice is still the first bill


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"permits": "TO-EATING"}, ["permits"]),
        ({"fields": ["operating_name"]}, ["fields"]),
        ({"fields": {}, "when": "now"}, ["when"]),
        ({"permits": ["ON-AGCO"], "fields": {}}, ["permits.ON-AGCO"]),
        ({"permits": [], "fields": {}}, ["permits"]),
        (
            {"fields": {"contact_email": "nope", "legal_name": ""}},
            ["fields.contact_email", "fields.legal_name"],
        ),
        ({"fields": {"business_number": "123456782"}}, ["fields.business_number"]),
        ({"fields": {"patio_area_m2": 0}}, ["fields.patio_area_m2"]),
    ],
)
def test_bad_input_is_422_naming_each_field(app, client, monkeypatch, body, fields):
    headers, application_id = owner(app)
    set_clock(monkeypatch, EXPIRY - timedelta(days=20))
    refused = start(client, headers, application_id, body)
    assert refused.status_code == 422
    assert sorted(error["field"] for error in refused.json["errors"]) == fields
    assert renewal_of(client, headers, application_id).json["open_renewal"] is None


def test_nothing_to_renew_is_422_and_the_offer_is_empty(app, client, monkeypatch):
    headers, application_id = owner(app, licensed=False)
    set_clock(monkeypatch, EXPIRY - timedelta(days=20))
    assert renewal_of(client, headers, application_id).json == {
        "renewable": [],
        "fields": [],
        "open_renewal": None,
    }
    refused = start(client, headers, application_id, {"fields": {}})
    assert refused.status_code == 422 and refused.json["errors"][0]["field"] == "permits"


def test_another_accounts_application_is_404(app, client, monkeypatch):
    _headers, application_id = owner(app)
    stranger, _ = owner(app, licensed=False)
    set_clock(monkeypatch, EXPIRY - timedelta(days=20))
    assert renewal_of(client, stranger, application_id).status_code == 404
    assert start(client, stranger, application_id, {"fields": {}}).status_code == 404
    assert conforms(client.get(f"/api/v1/applications/{application_id}/renewal")).status_code == 401


def test_french_messages(app, client, monkeypatch):
    headers, application_id = owner(app)
    set_clock(monkeypatch, EXPIRY - timedelta(days=20))
    refused = conforms(
        client.post(
            f"/api/v1/applications/{application_id}/renewals?lang=fr",
            json={"fields": {"contact_email": "nope"}},
            headers=headers,
        )
    )
    assert refused.json["errors"] == [
        {"field": "fields.contact_email", "message": "Entrez une adresse courriel valide."}
    ]
    offer = conforms(client.get(f"/api/v1/applications/{application_id}/renewal?lang=fr", headers=headers))
    assert offer.json["renewable"][1]["name"] == "Permis de café-terrasse en bordure CaféTO"
