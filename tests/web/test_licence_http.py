"""The licence over HTTP: the owner's download (page and API), public verification (page and API)."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from accounts.service import issue_token
from app.db import db_session as app_session
from licences.issuance import add_months, issue_licence_if_due, latest_licence
from licences.models import Licence
from tests.answer_sets import TORONTO_FULL
from tests.factories import NOW, licensed_application, paid_application, user
from tests.web.conftest import sign_in
from tests.web.openapi_conformance import conforms
from workflows.applications.store import cases_of
from workflows.models import Application

pytestmark = pytest.mark.money


def _made(app, make):
    """(headers, application id, owner's email) of an application made by `make`, committed."""
    with app.app_context():
        session = app_session()
        person = user(session)
        person.name = "Ada Lovelace"
        application, _ = make(session, person, TORONTO_FULL)
        token = issue_token(session, person)
        session.commit()
        return {"Authorization": f"Bearer {token}"}, application.id, person.email


@pytest.fixture
def licensed(app):
    return _made(app, licensed_application)


@pytest.fixture
def paid(app):
    return _made(app, paid_application)


def _licence(app, application_id: int) -> Licence:
    with app.app_context():
        return latest_licence(app_session(), application_id)


def _text(pdf: bytes) -> str:
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages)


def test_the_owner_downloads_the_licence_over_the_api(app, client, licensed):
    headers, application_id, _ = licensed
    licence = _licence(app, application_id)
    response = conforms(client.get(f"/api/v1/applications/{application_id}/licence.pdf", headers=headers))
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == f'attachment; filename="licence-{licence.number}.pdf"'
    assert "no-store" in response.headers["Cache-Control"]
    text = _text(response.data)
    assert licence.number in text and f"http://localhost/verify/{licence.number}" in text

    document = conforms(client.get(f"/api/v1/applications/{application_id}", headers=headers)).json
    assert document["status"] == "licensed"
    assert document["licence"] == {
        "number": licence.number,
        "version": 1,
        "issued_at": NOW.isoformat(),
        "revoked": False,
        "pdf_url": f"/api/v1/applications/{application_id}/licence.pdf",
        "verify_url": f"http://localhost/verify/{licence.number}",
    }


def test_before_issue_the_api_answers_409_and_nobody_else_gets_it(app, client, paid, licensed):
    headers, application_id, _ = paid
    refused = conforms(client.get(f"/api/v1/applications/{application_id}/licence.pdf", headers=headers))
    assert refused.status_code == 409
    assert "once every permit of the application is approved" in refused.json["errors"][0]["message"]
    assert (
        conforms(client.get(f"/api/v1/applications/{application_id}", headers=headers)).json["licence"]
        is None
    )

    other_headers, licensed_id, _ = licensed  # someone else's licensed application: as if it did not exist
    stranger = conforms(client.get(f"/api/v1/applications/{licensed_id}/licence.pdf", headers=headers))
    assert stranger.status_code == 404
    assert client.get(f"/api/v1/applications/{licensed_id}/licence.pdf").status_code == 401
    assert (
        client.get(f"/api/v1/applications/{licensed_id}/licence.pdf", headers=other_headers).status_code
        == 200
    )


def test_the_dashboard_offers_the_download(client, account, db_session):
    application, _ = licensed_application(db_session, account, TORONTO_FULL)
    licence = latest_licence(db_session, application.id)
    sign_in(client, account.email)
    dashboard = client.get(f"/applications/{application.id}").get_data(as_text=True)
    assert f'href="/applications/{application.id}/licence.pdf"' in dashboard
    assert f"Licence {licence.number}, version 1" in dashboard
    download = client.get(f"/applications/{application.id}/licence.pdf")
    assert download.status_code == 200 and licence.number in _text(download.data)


def test_the_dashboard_offers_the_download_in_french(client, account, db_session):
    # The first request picks the language: db_session's app context outlives requests, and keeps it.
    client.get("/?lang=fr")
    application, _ = licensed_application(db_session, account, TORONTO_FULL)
    sign_in(client, account.email)
    french = client.get(f"/applications/{application.id}").get_data(as_text=True)
    assert '<html lang="fr">' in french and "Téléchargez votre licence (PDF)" in french


def test_before_issue_the_dashboard_offers_no_licence(client, account, db_session):
    application, _ = paid_application(db_session, account, TORONTO_FULL)
    sign_in(client, account.email)
    assert "licence.pdf" not in client.get(f"/applications/{application.id}").get_data(as_text=True)
    early = client.get(f"/applications/{application.id}/licence.pdf")
    assert early.status_code == 302 and early.headers["Location"].endswith(f"/applications/{application.id}")
    page = client.get(early.headers["Location"]).get_data(as_text=True)
    assert "once every permit of the application is approved" in page


def test_the_public_page_shows_the_registry_facts_and_nothing_personal(app, client, licensed):
    _, application_id, email = licensed
    licence = _licence(app, application_id)
    page = client.get(f"/verify/{licence.number.lower()}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    business = licence.content["business"]
    assert "Valid: this licence is genuine and in force" in html
    assert business["business_number"] in html and "Café Ça Va Inc." in html
    assert "Authentic: signed by Guichet (Ed25519" in html
    for permit in licence.content["permits"]:
        assert permit["number"] in html and permit["name"]["en"] in html
    # Nothing beyond a public registry: not the owner, their email, the premises, accounts, conditions.
    for private in (
        "Ada Lovelace",
        email,
        business["postal_code"],
        business["program_accounts"][0],
        "416-555",
    ):
        assert private not in html
    french = client.get(f"/verify/{licence.number}?lang=fr").get_data(as_text=True)
    assert "Valide : cette licence est authentique et en vigueur" in french


def test_public_verification_over_the_api(app, client, licensed):
    _, application_id, _ = licensed
    licence = _licence(app, application_id)
    answer = conforms(client.get(f"/api/v1/licences/{licence.number}"))
    assert answer.status_code == 200
    body = answer.json
    assert (body["status"], body["version"], body["current_number"]) == ("valid", 1, None)
    assert body["signature"] == {
        "algorithm": "Ed25519",
        "key_id": licence.key_id,
        "value": licence.signature,
        "valid": True,
    }
    assert body["business"]["business_number"] == licence.content["business"]["business_number"]
    assert {p["code"] for p in body["permits"]} == {p["code"] for p in licence.content["permits"]}
    eating = next(p for p in body["permits"] if p["code"] == "TO-EATING")
    assert (eating["state"], eating["expires_at"]) == ("valid", add_months(NOW, 12).isoformat())
    french = conforms(client.get(f"/api/v1/licences/{licence.number}?lang=fr")).json
    assert next(p for p in french["permits"] if p["code"] == "TO-EATING")["name"].startswith("Permis")


@pytest.mark.parametrize("number", ["GL-0000000000-1", "GL-0000000000-99", "nonsense", "GL-%3Cscript%3E-1"])
def test_an_unknown_number_reveals_nothing(client, licensed, number):
    answer = conforms(client.get(f"/api/v1/licences/{number}"))
    assert answer.status_code == 404
    assert answer.json == {"errors": [{"field": None, "message": "No licence has this number."}]}
    page = client.get(f"/verify/{number}")
    assert page.status_code == 404
    assert "No licence has the number" in page.get_data(as_text=True)


def test_an_altered_record_fails_verification(app, client, licensed):
    _, application_id, _ = licensed
    licence = _licence(app, application_id)
    with app.app_context():
        session = app_session()
        forged = {**licence.content, "business": {**licence.content["business"], "operating_name": "Forged"}}
        session.execute(Licence.__table__.update().where(Licence.id == licence.id).values(content=forged))
        session.commit()
    body = conforms(client.get(f"/api/v1/licences/{licence.number}")).json
    assert body["signature"]["valid"] is False and body["business"]["operating_name"] == "Forged"
    html = client.get(f"/verify/{licence.number}").get_data(as_text=True)
    assert "This licence could not be authenticated" in html and "Valid: this licence" not in html


def test_superseded_and_revoked_versions_say_so(app, client, licensed, runner):
    _, application_id, _ = licensed
    first = _licence(app, application_id)
    with app.app_context():
        session = app_session()
        eating = next(c for c in cases_of(session, application_id) if c.permit_code == "TO-EATING")
        eating.expires_at = add_months(eating.expires_at, 12)
        second = issue_licence_if_due(
            session, session.get(Application, application_id), now=NOW + timedelta(days=300)
        )
        session.commit()
        second_number = second.number
    old = conforms(client.get(f"/api/v1/licences/{first.number}")).json
    assert (old["status"], old["current_number"]) == ("superseded", second_number)
    html = client.get(f"/verify/{first.number}").get_data(as_text=True)
    assert "Superseded" in html and f'href="/verify/{second_number}"' in html

    result = runner.invoke(args=["licences", "revoke", second_number.lower(), "--reason", "Issued in error."])
    assert result.exit_code == 0, result.output
    assert f"Licence {second_number} revoked." in result.output
    revoked = conforms(client.get(f"/api/v1/licences/{second_number}")).json
    assert (revoked["status"], revoked["revoked_reason"]) == ("revoked", "Issued in error.")
    again = runner.invoke(args=["licences", "revoke", second_number, "--reason", "Again."])
    assert again.exit_code != 0 and "already revoked" in again.output
    unknown = runner.invoke(args=["licences", "revoke", "GL-0000000000-1", "--reason", "x"])
    assert unknown.exit_code != 0 and "no licence has the number" in unknown.output
    with app.app_context():
        numbers = app_session().scalars(select(Licence.number).where(Licence.revoked_at.is_not(None))).all()
        assert second_number in numbers


def test_the_lookup_form_takes_a_typed_number(app, client, licensed):
    _, application_id, _ = licensed
    licence = _licence(app, application_id)
    assert client.get("/verify/").status_code == 200
    found = client.get("/verify/", query_string={"number": f" {licence.number.lower()} "})
    assert found.status_code == 302 and found.headers["Location"].endswith(f"/verify/{licence.number}")
    wrong = client.get("/verify/", query_string={"number": "12345"})
    assert wrong.status_code == 422
    assert 'aria-invalid="true"' in wrong.get_data(as_text=True)


def test_the_public_key_command_prints_the_key_licences_are_checked_with(app, runner, licensed):
    _, application_id, _ = licensed
    result = runner.invoke(args=["licences", "public-key"])
    assert result.exit_code == 0
    assert f"key id: {_licence(app, application_id).key_id}" in result.output
