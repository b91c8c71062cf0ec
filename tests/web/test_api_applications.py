"""The applications API over HTTP and a real database: every route, its 4xx answers, and ownership."""

from __future__ import annotations

import pytest

from accounts.service import issue_token
from app.db import db_session as app_session
from licences.business_number import is_valid_business_number
from tests.answer_sets import TORONTO, TORONTO_FULL, TORONTO_FULL_PERMITS, TORONTO_PLAIN
from tests.factories import user, valid_value
from tests.web.openapi_conformance import conforms
from workflows.models import Consent, PermitCase
from workflows.packs.model import Choice, FieldDefinition
from workflows.text import Text


@pytest.fixture
def bearer(app):
    """Authorization headers for a new applicant; call again for a second one.

    Made in an app context of its own, so each request then gets a fresh one (its own language).
    """

    def make() -> dict[str, str]:
        with app.app_context():
            session = app_session()
            token = issue_token(session, user(session))
            session.commit()
        return {"Authorization": f"Bearer {token}"}

    return make


@pytest.fixture
def alice(bearer):
    return bearer()


def create(client, headers, answers=TORONTO_FULL):
    response = conforms(
        client.post(
            "/api/v1/applications", json={"jurisdiction": TORONTO, "answers": answers}, headers=headers
        )
    )
    assert response.status_code == 201, response.json
    return response


def fill(client, headers, created):
    """Every required field with a valid value, through the API."""
    values = {
        field["name"]: valid_value(_definition(field))
        for field in created.json["required_fields"]
        if field["required"]
    }
    url = f"/api/v1/applications/{created.json['id']}/form"
    return conforms(client.put(url, json={"fields": values}, headers=headers))


def _definition(field: dict) -> FieldDefinition:
    """The catalogue entry back from its API form, to reuse the factories' valid values."""
    return FieldDefinition(
        id=field["name"],
        type=field["type"],
        label=Text(field["label"], field["label"]),
        jurisdiction="",
        max_length=field["max_length"],
        minimum=field["min"],
        maximum=field["max"],
        choices=tuple(Choice(c["value"], Text(c["label"], c["label"])) for c in field["choices"]),
    )


def consent_all(client, headers, application_id):
    listed = conforms(client.get(f"/api/v1/applications/{application_id}/consents", headers=headers))
    codes = [agency["agency"] for agency in listed.json["agencies"]]
    return conforms(
        client.post(
            f"/api/v1/applications/{application_id}/consents", json={"agencies": codes}, headers=headers
        )
    )


def test_apply_returns_the_permits_and_the_one_form(client, alice):
    created = create(client, alice)
    body = created.json
    assert created.headers["Location"].endswith(f"/api/v1/applications/{body['id']}")
    assert {p["code"] for p in body["permits"]} == TORONTO_FULL_PERMITS
    assert {p["state"] for p in body["permits"]} == {"draft"}
    assert body["status"] == "draft" and body["business_number"] is None and body["licence"] is None
    assert body["total_fee_cents"] == 666_370
    assert body["pack_versions"] == {"CA": 1, "CA-ON": 1, TORONTO: 1}
    names = [f["name"] for f in body["required_fields"]]
    assert len(names) == len(set(names))
    bn = body["required_fields"][0]
    assert (bn["name"], bn["type"], bn["required"]) == ("business_number", "business_number", False)
    legal = next(f for f in body["required_fields"] if f["name"] == "legal_name")
    assert {"ON-AGCO", "TO-EATING"} <= set(legal["asked_for"])

    french = conforms(client.get(f"/api/v1/applications/{body['id']}?lang=fr", headers=alice))
    eating = next(p for p in french.json["permits"] if p["code"] == "TO-EATING")
    assert eating["name"] != next(p for p in body["permits"] if p["code"] == "TO-EATING")["name"]


@pytest.mark.parametrize(
    ("payload", "status", "fields"),
    [
        ({"jurisdiction": TORONTO}, 422, {"answers"}),
        ({"jurisdiction": "", "answers": {}}, 422, {"jurisdiction"}),
        ({"jurisdiction": TORONTO, "answers": TORONTO_FULL, "extra": 1}, 422, {"extra"}),
        ({"jurisdiction": "9999999", "answers": TORONTO_FULL}, 422, {"jurisdiction"}),
        (
            {"jurisdiction": TORONTO, "answers": {**TORONTO_FULL, "seating_capacity": "many"}},
            422,
            {"answers.seating_capacity"},
        ),
        (["not", "an", "object"], 400, {None}),
    ],
)
def test_apply_refuses_bad_input_field_by_field(client, alice, payload, status, fields):
    response = conforms(client.post("/api/v1/applications", json=payload, headers=alice))
    assert response.status_code == status
    assert {e["field"] for e in response.json["errors"]} == fields


def test_every_route_needs_a_token(client):
    for method, path in [
        ("get", "/api/v1/applications"),
        ("post", "/api/v1/applications"),
        ("get", "/api/v1/applications/1"),
        ("put", "/api/v1/applications/1/form"),
        ("get", "/api/v1/applications/1/consents"),
        ("post", "/api/v1/applications/1/submit"),
    ]:
        response = getattr(client, method)(path, json={})
        assert response.status_code == 401, path
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_another_applicants_application_is_404_on_every_route_and_is_left_untouched(client, alice, bearer):
    created = create(client, alice)
    application_id = created.json["id"]
    bob = bearer()
    for method, path, body in [
        ("get", "", None),
        ("get", "/form", None),
        ("put", "/form", {"fields": {"legal_name": "Bob's"}}),
        ("post", "/answers/preview", {"answers": TORONTO_PLAIN}),
        ("put", "/answers", {"answers": TORONTO_PLAIN}),
        ("get", "/consents", None),
        ("post", "/consents", {"agencies": ["TO-MLS"]}),
        ("post", "/submit", None),
        ("post", "/permits/TO-SIGN/withdraw", None),
    ]:
        url = f"/api/v1/applications/{application_id}{path}"
        response = conforms(getattr(client, method)(url, json=body, headers=bob))
        missing = conforms(
            getattr(client, method)(f"/api/v1/applications/999999{path}", json=body, headers=bob)
        )
        assert response.status_code == missing.status_code == 404, path
        assert response.json == missing.json  # nothing tells an existing id from an unknown one
    assert conforms(client.get("/api/v1/applications", headers=bob)).json == {"applications": []}
    mine = conforms(client.get(f"/api/v1/applications/{application_id}/form", headers=alice)).json
    assert "legal_name" not in mine["fields"]
    assert {
        p["code"]
        for p in conforms(client.get(f"/api/v1/applications/{application_id}", headers=alice)).json["permits"]
    } == TORONTO_FULL_PERMITS


def test_the_form_saves_drafts_and_refuses_bad_values_field_by_field(client, alice, db_session):
    application_id = create(client, alice).json["id"]
    url = f"/api/v1/applications/{application_id}/form"
    saved = conforms(
        client.put(
            url, json={"fields": {"legal_name": "Café Ça Va", "contact_phone": "4165550123"}}, headers=alice
        )
    )
    assert saved.status_code == 200
    assert saved.json["fields"]["contact_phone"] == "416-555-0123"
    assert "legal_name" not in saved.json["missing"] and "contact_email" in saved.json["missing"]

    refused = conforms(
        client.put(
            url,
            json={
                "fields": {
                    "legal_name": "Other",
                    "contact_email": "nope",
                    "seating_capacity": -4,
                    "business_number": "123456789",
                    "nonsense": 1,
                }
            },
            headers=alice,
        )
    )
    assert refused.status_code == 422
    assert {e["field"] for e in refused.json["errors"]} == {
        "fields.contact_email",
        "fields.seating_capacity",
        "fields.business_number",
        "fields.nonsense",
    }
    bn_error = next(e for e in refused.json["errors"] if e["field"] == "fields.business_number")
    assert "check digit" in bn_error["message"]
    assert conforms(client.get(url, headers=alice)).json["fields"]["legal_name"] == "Café Ça Va"

    for body in ({"fields": []}, {"values": {}}, {}):
        assert conforms(client.put(url, json=body, headers=alice)).status_code == 422
    assert conforms(client.put(url, data="legal_name=x", headers=alice)).status_code == 400


def test_submit_names_what_is_missing_then_assigns_a_business_number(client, alice, db_session):
    created = create(client, alice)
    application_id = created.json["id"]
    submit_url = f"/api/v1/applications/{application_id}/submit"

    refused = conforms(client.post(submit_url, headers=alice))
    assert refused.status_code == 422
    missing = {e["field"] for e in refused.json["errors"]}
    assert {"fields.legal_name", "consents.CA-CRA", "consents.TO-MLS"} <= missing
    assert "fields.business_number" not in missing

    fill(client, alice, created)
    still = conforms(client.post(submit_url, headers=alice))
    assert {e["field"] for e in still.json["errors"]} == {
        f"consents.{a}"
        for a in ("CA-CRA", "ON-AGCO", "ON-WSIB", "ON-PHU", "TO-MLS", "TO-TB", "TO-TS", "TO-TPH")
    }
    consents = consent_all(client, alice, application_id)
    assert all(agency["consented"] for agency in consents.json["agencies"])
    assert db_session.query(Consent).filter_by(application_id=application_id).count() == 8

    submitted = conforms(client.post(submit_url, headers=alice))
    assert submitted.status_code == 200
    number = submitted.json["business_number"]
    assert submitted.json["status"] == "submitted" and is_valid_business_number(number)
    assert submitted.json["program_accounts"] == [f"{number} RP 0001", f"{number} RT 0001"]

    shown = conforms(client.get(f"/api/v1/applications/{application_id}", headers=alice)).json
    assert shown["status"] == "submitted" and shown["business_number"] == number
    assert {p["state"] for p in shown["permits"]} == {"submitted"}
    history = shown["permits"][0]["history"]
    assert [(h["event"], h["from"], h["to"], h["actor"]) for h in history] == [
        ("submit", "draft", "submitted", "applicant")
    ]
    again = conforms(client.post(submit_url, headers=alice))
    assert again.status_code == 409
    assert (
        conforms(
            client.put(f"/api/v1/applications/{application_id}/form", json={"fields": {}}, headers=alice)
        ).status_code
        == 409
    )
    listed = conforms(client.get("/api/v1/applications", headers=alice)).json["applications"]
    assert [(a["id"], a["business_number"]) for a in listed] == [(application_id, number)]


def test_consent_lists_each_agencys_fields_and_why_and_refuses_unknown_agencies(client, alice):
    application_id = create(client, alice).json["id"]
    url = f"/api/v1/applications/{application_id}/consents"
    agencies = {a["agency"]: a for a in conforms(client.get(url, headers=alice)).json["agencies"]}
    public_health = agencies["TO-TPH"]
    assert not public_health["consented"] and public_health["consented_at"] is None
    assert [w["permit"] for f in public_health["fields"] for w in f["why"]] == ["TO-HEALTH"] * len(
        public_health["fields"]
    )
    assert "date_of_birth" not in {f["name"] for f in public_health["fields"]}

    for body, field in [
        ({"agencies": ["TO-TPH", "XX-NOPE"]}, "agencies.1"),
        ({"agencies": []}, "agencies"),
        ({"agencies": "TO-TPH"}, "agencies"),
    ]:
        response = conforms(client.post(url, json=body, headers=alice))
        assert response.status_code == 422
        assert [e["field"] for e in response.json["errors"]] == [field]
    given = conforms(client.post(url, json={"agencies": ["TO-TPH"]}, headers=alice)).json["agencies"]
    assert [a["agency"] for a in given if a["consented"]] == ["TO-TPH"]


def test_changing_answers_previews_then_applies(client, alice):
    application_id = create(client, alice, TORONTO_PLAIN).json["id"]
    url = f"/api/v1/applications/{application_id}"
    preview = conforms(client.post(f"{url}/answers/preview", json={"answers": TORONTO_FULL}, headers=alice))
    assert preview.status_code == 200
    added = {p["code"] for p in preview.json["added"]}
    assert {"ON-AGCO", "TO-CAFETO"} <= added
    assert preview.json["total_after_cents"] == 666_370
    before = conforms(client.get(url, headers=alice)).json
    assert "ON-AGCO" not in {p["code"] for p in before["permits"]}  # a preview changes nothing

    bad = conforms(
        client.put(f"{url}/answers", json={"answers": {"serves_alcohol": "yes please"}}, headers=alice)
    )
    assert bad.status_code == 422 and "answers.serves_alcohol" in {e["field"] for e in bad.json["errors"]}
    applied = conforms(client.put(f"{url}/answers", json={"answers": TORONTO_FULL}, headers=alice))
    assert applied.status_code == 200
    assert {p["code"] for p in applied.json["application"]["permits"]} == TORONTO_FULL_PERMITS
    assert "smart_serve_number" in {f["name"] for f in applied.json["application"]["required_fields"]}


def test_withdrawing_a_permit_is_refused_with_409_once_an_agency_has_started(client, alice, db_session):
    created = create(client, alice)
    application_id = created.json["id"]
    withdrawn = conforms(
        client.post(f"/api/v1/applications/{application_id}/permits/TO-SIGN/withdraw", headers=alice)
    )
    assert withdrawn.status_code == 200
    assert next(p for p in withdrawn.json["permits"] if p["code"] == "TO-SIGN")["state"] == "withdrawn"
    again = conforms(
        client.post(f"/api/v1/applications/{application_id}/permits/TO-SIGN/withdraw", headers=alice)
    )
    assert again.status_code == 409 and again.json["allowed"] == []
    unknown = conforms(
        client.post(f"/api/v1/applications/{application_id}/permits/XX-NONE/withdraw", headers=alice)
    )
    assert unknown.status_code == 404
    assert db_session.query(PermitCase).filter_by(application_id=application_id, permit_code="TO-SIGN").one()


def _apply(client, headers, key, answers=TORONTO_FULL, jurisdiction=TORONTO):
    return conforms(
        client.post(
            "/api/v1/applications",
            json={"jurisdiction": jurisdiction, "answers": answers},
            headers={**headers, "Idempotency-Key": key},
        )
    )


def _count(owner_headers, client) -> int:
    return len(conforms(client.get("/api/v1/applications", headers=owner_headers)).json["applications"])


def test_applying_again_with_the_same_key_answers_with_the_same_application(app, client, alice, bearer):
    first = _apply(client, alice, "ca-va-1")
    assert first.status_code == 201 and "Idempotent-Replayed" not in first.headers
    again = _apply(client, alice, "ca-va-1")
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json["id"] == first.json["id"] and again.headers["Location"] == first.headers["Location"]
    assert _count(alice, client) == 1
    # Another key, or no key, is another application; another applicant's same key is theirs.
    assert _apply(client, alice, "ca-va-2").json["id"] != first.json["id"]
    create(client, alice)
    assert _count(alice, client) == 3
    bob = bearer()
    theirs = _apply(client, bob, "ca-va-1")
    assert theirs.status_code == 201 and "Idempotent-Replayed" not in theirs.headers
    assert theirs.json["id"] != first.json["id"]


def test_the_same_key_with_another_request_is_refused_and_makes_nothing(app, client, alice):
    first = _apply(client, alice, "ca-va-1")
    other = _apply(client, alice, "ca-va-1", answers=TORONTO_PLAIN)
    assert other.status_code == 409
    assert other.json["errors"][0]["field"] == "Idempotency-Key"
    assert "already used for a different application" in other.json["errors"][0]["message"]
    assert _count(alice, client) == 1
    french = conforms(
        client.post(
            "/api/v1/applications?lang=fr",
            json={"jurisdiction": TORONTO, "answers": TORONTO_PLAIN},
            headers={**alice, "Idempotency-Key": "ca-va-1"},
        )
    )
    assert "a déjà servi pour une autre demande" in french.json["errors"][0]["message"]
    assert first.json["id"] == _apply(client, alice, "ca-va-1").json["id"]


@pytest.mark.parametrize("key", ["", " ", "x" * 256, "tab\tinside"])
def test_a_malformed_key_is_a_field_error(client, alice, key):
    response = _apply(client, alice, key)
    assert response.status_code == 422
    assert [e["field"] for e in response.json["errors"]] == ["Idempotency-Key"]


def test_a_refused_application_leaves_its_key_free(client, alice):
    refused = _apply(client, alice, "ca-va-1", jurisdiction="9999999")
    assert refused.status_code == 422
    assert _apply(client, alice, "ca-va-1").status_code == 201
