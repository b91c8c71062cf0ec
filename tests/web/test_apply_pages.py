"""The entrepreneur's application pages through the Flask test client: apply, form, answers, consent,
dashboard, workflow pages; sign-in, ownership and CSRF enforced; English and French."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

import pytest
from babel.dates import format_date
from werkzeug.datastructures import MultiDict

from app.apply.forms import application_form
from licences.business_number import is_valid_business_number
from tests.answer_sets import TORONTO, TORONTO_FULL, TORONTO_FULL_PERMITS, TORONTO_PLAIN
from tests.factories import complete_form, user
from tests.factories import submitted_application as make_submitted
from tests.web.conftest import PASSWORD, csrf_token, sign_in
from tests.web.test_triage_pages import form_data, shown_questions
from workflows.application_form import FormField
from workflows.applications import (
    consent_requests,
    create_application,
    fields_of,
    save_form,
)
from workflows.applications.store import cases_of, events_of
from workflows.models import Application, Consent
from workflows.pack_store import load_active_pack_set
from workflows.packs.model import Choice, FieldDefinition
from workflows.permit_workflow import record_payment
from workflows.text import Text
from workflows.triage import TriageEngine, format_cents
from workflows.workflow_templates import WORKFLOW_TEMPLATES

NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
PROGRAM_ACCOUNT = re.compile(r"\b(\d{9}) RT 0001\b")


def new_application(db_session, owner, answers=TORONTO_FULL) -> Application:
    application, _result = create_application(
        db_session,
        TriageEngine(load_active_pack_set(db_session)),
        owner_id=owner.id,
        jurisdiction=TORONTO,
        answers=answers,
    )
    return application


def all_agencies(db_session, application) -> list[str]:
    return [request.agency_code for request in consent_requests(db_session, application)]


def submitted_application(db_session, owner) -> Application:
    return make_submitted(db_session, owner)[0]


def page_of(response) -> str:
    return response.get_data(as_text=True)


def results_page(client, answers=TORONTO_FULL) -> str:
    """Answer the triage questions as a browser would, round after round, up to the results."""
    page = page_of(client.get(f"/triage/{TORONTO}"))
    for _round in range(5):
        data = form_data(answers, shown_questions(page))
        if 'name="csrf_token"' in page:
            data["csrf_token"] = csrf_token(page)
        page = page_of(client.post(f"/triage/{TORONTO}", data=data))
        if 'id="total-fee"' in page:
            return page
    raise AssertionError("the triage never reached its results")


def hidden(page: str, name: str) -> str:
    return html.unescape(re.search(rf'name="{name}" value="([^"]*)"', page).group(1))


def answer_rounds(client, application_id: int, answers: dict) -> str:
    """Post new answers on the answers page until the preview of what they change appears."""
    url = f"/applications/{application_id}/answers"
    page = page_of(client.get(url))
    for _round in range(5):
        page = page_of(client.post(url, data=form_data(answers, shown_questions(page))))
        if 'id="total-after"' in page:
            return page
    raise AssertionError("the answers page never showed its preview")


def permit_codes(db_session, application) -> set[str]:
    return {case.permit_code for case in cases_of(db_session, application.id)}


def history_of(db_session, application, code: str):
    [case] = [case for case in cases_of(db_session, application.id) if case.permit_code == code]
    return events_of(db_session, [case])[case.id]


def article(page: str, code: str) -> str:
    """One permit's part of the dashboard."""
    return re.search(rf'<article class="permit" id="permit-{code}">(.*?)</article>', page, re.S).group(1)


def sign_up(client, email: str = "bo@example.ca"):
    page = page_of(client.get("/account/signup"))
    data = {"name": "Bo", "email": email, "password": PASSWORD, "confirm": PASSWORD}
    return client.post("/account/signup", data={**data, "csrf_token": csrf_token(page)})


def ask_to_apply(browser) -> None:
    """Reach the triage results and press "Apply for these permits", CSRF token included."""
    results = results_page(browser)
    response = browser.post(
        "/applications/new", data={"token": hidden(results, "token"), "csrf_token": csrf_token(results)}
    )
    assert response.location.endswith("/applications/new")


def make_pending_application(browser) -> str:
    """Confirm the answers waiting in the session; returns the new application's form address."""
    confirm = page_of(browser.get("/applications/new"))
    assert "Toronto" in confirm and format_cents(666_370, "en") in confirm
    made = browser.post("/applications/new", data={"csrf_token": csrf_token(confirm)})
    assert re.search(r"/applications/\d+/form$", made.location)
    return made.location


# -- applying from the triage results ----------------------------------------------------------


def test_a_signed_in_applicant_applies_from_the_results_and_lands_on_the_form(client, account, db_session):
    sign_in(client, account.email)
    results = results_page(client)
    assert "Apply for these permits" in results
    response = client.post("/applications/new", data={"token": hidden(results, "token")})
    assert response.status_code == 302
    application_id = int(re.fullmatch(r".*/applications/(\d+)/form", response.location).group(1))
    application = db_session.get(Application, application_id)
    assert application.owner_id == account.id
    assert permit_codes(db_session, application) == TORONTO_FULL_PERMITS
    assert "Your application is made." in page_of(client.get(response.location))


# These flows use no db_session fixture: it keeps an app context open, whose `g` would then hold a
# CSRF token from before sign-in cleared the session. What they made is checked through the pages.


def test_an_anonymous_visitor_signs_in_and_then_makes_the_application_with_the_answers_kept(browser):
    sign_up(browser, "ada@example.ca")
    browser.post("/account/signout", data={"csrf_token": csrf_token(page_of(browser.get("/account/")))})
    results = results_page(browser)
    assert "You will sign in or create an account first" in results
    ask_to_apply(browser)
    waiting = page_of(browser.get("/applications/new"))
    assert 'href="/account/signin"' in waiting and 'href="/account/signup"' in waiting
    assert "Make my application" not in waiting

    signed_in = sign_in(browser, "ada@example.ca")
    assert signed_in.location.endswith("/applications/new")  # the answers survived the new session
    form = make_pending_application(browser)
    dashboard = page_of(browser.get(form.removesuffix("/form")))
    assert (
        set(re.findall(r'<article class="permit" id="permit-([A-Z-]+)">', dashboard)) == TORONTO_FULL_PERMITS
    )
    assert page_of(browser.get("/applications/")).count('<tr id="application-') == 1
    # The answers were used once: going back makes nothing more.
    assert browser.get("/applications/new").location.endswith("/triage/")


def test_an_anonymous_visitor_may_create_an_account_instead(browser):
    ask_to_apply(browser)
    assert sign_up(browser).location.endswith("/applications/new")
    make_pending_application(browser)
    assert "Toronto" in page_of(browser.get("/applications/"))


def test_an_altered_answers_token_is_refused_and_makes_nothing(client, account, db_session):
    sign_in(client, account.email)
    token = hidden(results_page(client), "token")
    response = client.post("/applications/new", data={"token": token[:-2] + "xx"})
    assert response.status_code == 400
    assert "can no longer be used" in page_of(response)
    assert db_session.query(Application).count() == 0


# -- lists ---------------------------------------------------------------------------------


def test_the_list_and_the_account_page_link_every_application_with_its_business_number(
    client, account, db_session
):
    draft = new_application(db_session, account, TORONTO_PLAIN)
    sent = submitted_application(db_session, account)
    sign_in(client, account.email)
    listing = page_of(client.get("/applications/"))
    for application in (draft, sent):
        assert f'href="/applications/{application.id}"' in listing
    assert sent.business_number in listing
    assert "Draft: not submitted yet" in listing and "Submitted: waiting for payment" in listing
    assert format_cents(666_370, "en") in listing
    home = page_of(client.get("/account/"))
    assert f'href="/applications/{sent.id}"' in home and f'href="/applications/{draft.id}"' in home
    assert f"Business Number: {sent.business_number}" in home


# -- the form ------------------------------------------------------------------------------


def test_the_form_asks_each_field_once_with_the_permits_needing_it(client, account, db_session):
    application = new_application(db_session, account)
    sign_in(client, account.email)
    page = page_of(client.get(f"/applications/{application.id}/form"))
    fields = fields_of(db_session, application)
    for field in fields:
        assert page.count(f'name="{field.definition.id}"') == 1, field.definition.id
    assert "Asked for: Smart Serve certification</p>" in page
    why_legal_name = re.search(r'id="legal_name-why">([^<]*)<', page).group(1)
    assert "Liquor sales licence" in why_legal_name and "WSIB registration" in why_legal_name
    assert "Business Number (BN) (optional)" in page
    assert "one is assigned when you submit" in page
    assert re.search(r'<input[^>]*id="contact_email"[^>]*type="email"', page)
    assert re.search(r'<input[^>]*id="contact_phone"[^>]*type="tel"', page)
    assert re.search(r'<input[^>]*id="opening_date"[^>]*type="date"', page)
    assert re.search(r'<input[^>]*id="seating_capacity"[^>]*min="0"[^>]*type="number"[^>]*value="60"', page)
    assert re.search(r'<input[^>]*id="expected_annual_sales"[^>]*value="450000.00"', page)  # dollars
    assert '<textarea aria-describedby="business_activity-help business_activity-why"' in page
    assert 'aria-describedby="legal_name-help legal_name-why"' in page


def test_a_bad_value_shows_its_error_keeps_what_was_typed_and_saves_nothing(client, account, db_session):
    application = new_application(db_session, account)
    before = dict(application.form_values)
    sign_in(client, account.email)
    response = client.post(
        f"/applications/{application.id}/form",
        data={
            "_shown": "legal_name contact_email expected_annual_sales",
            "legal_name": "Café Ça Va Inc.",
            "contact_email": "not an email",
            "expected_annual_sales": "12.345",
            "_action": "save",
        },
    )
    page = page_of(response)
    assert response.status_code == 200
    assert 'class="error-summary"' in page
    assert '<a href="#contact_email">Contact email: Enter a valid email address.</a>' in page
    assert "Expected annual sales: Enter an amount in dollars, such as 1250.00." in page
    assert re.search(r'aria-describedby="contact_email-why contact_email-error" aria-invalid="true"', page)
    assert 'value="not an email"' in page and 'value="Café Ça Va Inc."' in page and 'value="12.345"' in page
    db_session.refresh(application)
    assert application.form_values == before  # the valid legal name was not saved either


def test_saving_a_draft_converts_keeps_and_clears_values_then_continue_goes_to_consent(
    client, account, db_session
):
    application = new_application(db_session, account)
    sign_in(client, account.email)
    url = f"/applications/{application.id}/form"
    response = client.post(
        url,
        data={
            "_shown": "legal_name contact_email expected_annual_sales seating_capacity opening_date",
            "legal_name": "  Café Ça Va Inc. ",
            "contact_email": "owner@example.ca",
            "expected_annual_sales": "1250.50",
            "seating_capacity": "",
            "opening_date": "2027-03-01",
            "_action": "save",
        },
    )
    assert response.location.endswith(url)
    db_session.refresh(application)
    values = application.form_values
    assert values["legal_name"] == "Café Ça Va Inc."
    assert values["expected_annual_sales"] == 125_050  # typed in dollars, kept in cents
    assert values["opening_date"] == "2027-03-01"
    assert "seating_capacity" not in values  # emptied on the page
    assert values["patio_area_m2"] == 20  # not on the page: kept
    page = page_of(client.get(url))
    assert "Your draft is saved." in page
    assert 'value="Café Ça Va Inc."' in page and 'value="1250.50"' in page

    onward = client.post(
        url, data={"_shown": "operating_name", "operating_name": "Ça Va", "_action": "continue"}
    )
    assert onward.location.endswith(f"/applications/{application.id}/consent")


def test_yes_no_and_choice_fields_are_radios_and_a_select_read_as_the_service_takes_them(app):
    fields = [
        FormField(FieldDefinition("has_sprinklers", "yes_no", Text("Sprinklers?", "Gicleurs?"), "CA"), ()),
        FormField(
            FieldDefinition(
                "patio_kind",
                "choice",
                Text("Patio", "Terrasse"),
                "CA",
                choices=(
                    Choice("curb", Text("Curb lane", "Voie")),
                    Choice("walk", Text("Sidewalk", "Trottoir")),
                ),
            ),
            (),
        ),
    ]
    with app.test_request_context("/?lang=fr"):
        form = application_form(fields, "fr", values={"has_sprinklers": False, "patio_kind": "walk"})
        assert form["has_sprinklers"].type == "RadioField" and form["has_sprinklers"].data == "no"
        assert 'selected value="walk">Trottoir</option>' in str(form["patio_kind"]())
        posted = application_form(
            fields, "fr", formdata=MultiDict({"has_sprinklers": "yes", "patio_kind": "curb"})
        )
        assert posted.values("has_sprinklers patio_kind") == {"has_sprinklers": True, "patio_kind": "curb"}
        assert posted.values("patio_kind") == {"patio_kind": "curb"}  # only what the page showed


def test_a_submitted_form_is_read_only(client, account, db_session):
    application = submitted_application(db_session, account)
    sign_in(client, account.email)
    url = f"/applications/{application.id}/form"
    page = page_of(client.get(url))
    assert "can no longer be changed" in page
    assert 'name="legal_name"' not in page and '<form method="post" action="/applications' not in page
    assert application.business_number in page and "Café Ça Va Inc." in page
    refused = client.post(url, data={"_shown": "legal_name", "legal_name": "Other"})
    assert refused.location.endswith(f"/applications/{application.id}")
    db_session.refresh(application)
    assert application.form_values["legal_name"] == "Café Ça Va Inc."


# -- changing the answers ---------------------------------------------------------------------


def test_new_answers_are_previewed_and_change_nothing_until_confirmed(client, account, db_session):
    application = new_application(db_session, account, TORONTO_PLAIN)
    plain = permit_codes(db_session, application)
    sign_in(client, account.email)
    questions = page_of(client.get(f"/applications/{application.id}/answers"))
    assert re.search(
        r'<input checked id="serves_alcohol-1" name="serves_alcohol" type="radio" value="no">', questions
    )

    preview = answer_rounds(client, application.id, TORONTO_FULL)
    for code in TORONTO_FULL_PERMITS - plain:
        assert f'id="added-{code}"' in preview
    assert re.search(
        r'id="added-ON-AGCO">Liquor sales licence \(Alcohol and Gaming Commission of Ontario\): '
        + re.escape(format_cents(140_000, "en")),
        preview,
    )
    assert hidden(preview, "token")
    assert re.search(r'id="total-after">' + re.escape(format_cents(666_370, "en")), preview)
    db_session.refresh(application)
    assert permit_codes(db_session, application) == plain  # nothing changed yet
    assert application.answers["serves_alcohol"] is False

    edit = page_of(
        client.post(
            f"/applications/{application.id}/answers",
            data={"token": hidden(preview, "token"), "_action": "edit"},
        )
    )
    assert re.search(
        r'<input checked id="serves_alcohol-0" name="serves_alcohol" type="radio" value="yes">', edit
    )

    confirmed = client.post(
        f"/applications/{application.id}/answers/confirm", data={"token": hidden(preview, "token")}
    )
    assert confirmed.location.endswith(f"/applications/{application.id}")
    db_session.refresh(application)
    assert permit_codes(db_session, application) == TORONTO_FULL_PERMITS
    assert application.answers["serves_alcohol"] is True
    assert 'id="permit-ON-AGCO"' in page_of(client.get(confirmed.location))


def test_the_preview_lists_removed_permits_and_the_values_that_would_be_erased(client, account, db_session):
    application = new_application(db_session, account)
    save_form(db_session, application, {"liability_insurance_policy_number": "POL-1"})
    sign_in(client, account.email)
    preview = answer_rounds(client, application.id, TORONTO_PLAIN)
    assert re.search(
        r'id="removed-ON-AGCO">Liquor sales licence .*: ' + re.escape(format_cents(140_000, "en")), preview
    )
    assert 'id="removed-TO-CAFETO"' in preview
    assert re.search(r'id="dropped-liability_insurance_policy_number">[^<]*: POL-1', preview)
    assert re.search(r'id="total-before">' + re.escape(format_cents(666_370, "en")), preview)
    db_session.refresh(application)
    assert application.form_values["liability_insurance_policy_number"] == "POL-1"
    assert permit_codes(db_session, application) == TORONTO_FULL_PERMITS


def test_a_preview_token_works_only_for_its_own_application(client, account, db_session):
    first, second = new_application(db_session, account, TORONTO_PLAIN), new_application(db_session, account)
    sign_in(client, account.email)
    token = hidden(answer_rounds(client, first.id, TORONTO_FULL), "token")
    response = client.post(f"/applications/{second.id}/answers/confirm", data={"token": token})
    assert response.location.endswith(f"/applications/{second.id}/answers")
    assert "This preview has expired" in page_of(client.get(response.location))
    db_session.refresh(second)
    assert permit_codes(db_session, second) == TORONTO_FULL_PERMITS


# -- consent and submission -------------------------------------------------------------------


def test_consent_shows_each_agency_its_fields_and_why(client, account, db_session):
    application = new_application(db_session, account)
    sign_in(client, account.email)
    page = page_of(client.get(f"/applications/{application.id}/consent"))
    for code in all_agencies(db_session, application):
        assert f'<input type="checkbox" name="agencies" value="{code}" id="agency-{code}">' in page
        assert f'<label for="agency-{code}">' in page
    agco = re.search(r'aria-labelledby="agency-ON-AGCO-name">(.*?)</section>', page, re.S).group(1)
    assert "Owner&#39;s date of birth</th>\n          <td>Liquor sales licence</td>" in agco
    assert "Smart Serve certification number</th>\n          <td>Smart Serve certification</td>" in agco
    building = re.search(r'aria-labelledby="agency-TO-TB-name">(.*?)</section>', page, re.S).group(1)
    assert "date of birth" not in building  # only what its permits need


def test_submission_lists_every_missing_field_and_consent_and_keeps_the_consents_given(
    client, account, db_session
):
    application = new_application(db_session, account)
    save_form(db_session, application, {"legal_name": "Café Ça Va Inc."})
    sign_in(client, account.email)
    response = client.post(f"/applications/{application.id}/consent", data={"agencies": ["TO-TB"]})
    page = page_of(response)
    assert response.status_code == 200
    missing = re.search(r'<ul id="missing">(.*?)</ul>', page, re.S).group(1)
    assert (
        f'href="/applications/{application.id}/form#contact_email">Contact email: This field is required.'
        in missing
    )
    assert "#legal_name" not in missing and "#business_number" not in missing
    assert (
        'href="#agency-ON-AGCO">Consent to share your information with this agency is needed: '
        "Alcohol and Gaming" in missing
    )
    assert "#agency-TO-TB" not in missing
    assert re.search(r'id="given-TO-TB">You consented on ', page)
    assert [c.agency_code for c in db_session.query(Consent).filter_by(application_id=application.id)] == [
        "TO-TB"
    ]
    db_session.refresh(application)
    assert application.submitted_at is None and application.business_number is None
    assert {case.state for case in cases_of(db_session, application.id)} == {"draft"}


def test_consent_for_an_agency_not_in_the_application_records_nothing(client, account, db_session):
    application = new_application(db_session, account)
    sign_in(client, account.email)
    page = page_of(
        client.post(f"/applications/{application.id}/consent", data={"agencies": ["TO-TB", "QC-RACJ"]})
    )
    assert "QC-RACJ is not an agency of this application." in page
    assert db_session.query(Consent).filter_by(application_id=application.id).count() == 0


def test_a_complete_consented_application_is_submitted_with_a_new_business_number(
    client, account, db_session
):
    application = new_application(db_session, account)
    save_form(db_session, application, complete_form(fields_of(db_session, application)))
    sign_in(client, account.email)
    response = client.post(
        f"/applications/{application.id}/consent", data={"agencies": all_agencies(db_session, application)}
    )
    assert response.location.endswith(f"/applications/{application.id}")
    db_session.refresh(application)
    number = application.business_number
    assert is_valid_business_number(number)
    assert {case.state for case in cases_of(db_session, application.id)} == {"submitted"}
    dashboard = page_of(client.get(response.location))
    assert f"Your application is submitted. Your Business Number is {number}." in dashboard
    assert f'id="business-number">{number}</dd>' in dashboard
    assert PROGRAM_ACCOUNT.search(dashboard).group(1) == number
    assert f"{number} RP 0001" in dashboard
    consent = page_of(client.get(f"/applications/{application.id}/consent"))
    assert 'type="checkbox"' not in consent and "Consent and submit</button>" not in consent


# -- the dashboard ---------------------------------------------------------------------------


@pytest.fixture
def paid_application(db_session, account):
    """Submitted and paid: registrations granted, reviews started, the liquor licence waiting."""
    application = submitted_application(db_session, account)
    record_payment(db_session, application.id)
    return application


def test_the_dashboard_shows_each_permit_by_level_with_its_state_what_it_waits_on_and_its_history(
    client, account, paid_application
):
    sign_in(client, account.email)
    page = page_of(client.get(f"/applications/{paid_application.id}"))
    assert page.index('id="level-federal">Federal<') < page.index('id="level-provincial">Provincial<')
    assert page.index('id="level-provincial">') < page.index('id="level-municipal">Municipal<')
    assert f'id="total-fee">{format_cents(666_370, "en")}<' in page
    assert 'id="status">Paid: waiting for the agencies<' in page

    bn = article(page, "CA-BN")
    assert "Canada Revenue Agency" in bn and '<dd class="state">Approved</dd>' in bn
    assert "Nothing: this permit is settled" in bn
    assert re.search(r"<td>Submission</td>\s*<td>Draft</td>\s*<td>Submitted</td>", bn)
    assert re.search(r"<td>Payment</td>\s*<td>Submitted</td>\s*<td>Paid</td>", bn)
    assert re.search(r"<td>Registration</td>\s*<td>Paid</td>\s*<td>Approved</td>", bn)
    assert 'href="/workflows/registration"' in bn

    zoning = article(page, "TO-ZONING")
    assert '<dd class="state">Review</dd>' in zoning
    assert '<dd class="waiting">Toronto Building, at the step: Review' in zoning
    assert '<dd class="next-step">Approval</dd>' in zoning
    assert format_cents(20_000, "en") in zoning

    liquor = article(page, "ON-AGCO")
    assert "The approval of these permits first:" in liquor
    assert 'href="#permit-TO-BUILDING">Building permit</a>' in liquor
    assert '<dd class="next-step">Review</dd>' in liquor
    assert 'href="/workflows/review"' in liquor


def test_the_dashboard_speaks_french(client, account, paid_application, db_session):
    client.get("/?lang=fr")  # the visitor chose French before signing in: the choice survives sign-in
    sign_in(client, account.email)
    page = page_of(client.get(f"/applications/{paid_application.id}?lang=fr"))
    assert '<html lang="fr">' in page
    assert 'id="level-federal">Fédéral<' in page and 'id="level-municipal">Municipal<' in page
    assert f'id="total-fee">{format_cents(666_370, "fr")}<' in page
    bn = article(page, "CA-BN")
    assert '<dd class="state">Approuvé</dd>' in bn and "Agence du revenu du Canada" in bn
    assert re.search(r"<td>Paiement</td>\s*<td>Soumis</td>\s*<td>Payé</td>", bn)
    assert "Historique" in bn
    [paid] = [e for e in history_of(db_session, paid_application, "CA-BN") if e.event == "pay"]
    assert format_date(paid.at, "d MMMM y", locale="fr") in bn  # dated the French way: "26 novembre 2026"
    liquor = article(page, "ON-AGCO")
    assert "L'approbation préalable de ces permis :" in liquor
    assert "Permis de construction</a>" in liquor
    assert PROGRAM_ACCOUNT.search(page)
    assert "(TPS/TVH)" in page


# -- access -------------------------------------------------------------------------------------


def application_routes(application_id: int) -> list[tuple[str, str]]:
    base = f"/applications/{application_id}"
    return [
        ("get", base),
        ("get", f"{base}/form"),
        ("post", f"{base}/form"),
        ("get", f"{base}/answers"),
        ("post", f"{base}/answers"),
        ("post", f"{base}/answers/confirm"),
        ("get", f"{base}/consent"),
        ("post", f"{base}/consent"),
    ]


def test_every_application_page_is_404_to_another_applicant_and_for_unknown_ids(client, account, db_session):
    someone_else = user(db_session)
    theirs = new_application(db_session, someone_else)
    before = dict(theirs.form_values)
    sign_in(client, account.email)
    for method, url in application_routes(theirs.id) + application_routes(987_654):
        data = {"_shown": "legal_name", "legal_name": "Mine now", "agencies": ["TO-TB"]}
        response = getattr(client, method)(url, data=data) if method == "post" else client.get(url)
        assert response.status_code == 404, (method, url)
    db_session.refresh(theirs)
    assert theirs.form_values == before
    assert db_session.query(Consent).count() == 0
    assert f"/applications/{theirs.id}" not in page_of(client.get("/applications/"))


def test_every_application_page_sends_anonymous_visitors_to_sign_in(client, db_session):
    application = new_application(db_session, user(db_session))
    for method, url in [*application_routes(application.id), ("get", "/applications/")]:
        response = getattr(client, method)(url)
        assert response.status_code == 302, (method, url)
        assert "/account/signin" in response.location


def test_posts_without_a_csrf_token_are_refused(browser):
    sign_up(browser)
    results = results_page(browser)
    refused = browser.post("/applications/new", data={"token": hidden(results, "token")})
    assert refused.status_code == 400
    form = browser.post(
        "/applications/new", data={"token": hidden(results, "token"), "csrf_token": csrf_token(results)}
    ).location
    base = form.removesuffix("/form")
    for url in (form, f"{base}/answers", f"{base}/answers/confirm", f"{base}/consent"):
        assert browser.post(url, data={"_shown": "legal_name", "legal_name": "X"}).status_code == 400, url
    assert 'value="X"' not in page_of(browser.get(form))
    page = page_of(browser.get(form))
    saved = browser.post(
        form, data={"_shown": "legal_name", "legal_name": "X", "csrf_token": csrf_token(page)}
    )
    assert saved.status_code == 302
    assert 'value="X"' in page_of(browser.get(form))


# -- workflow pages ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(WORKFLOW_TEMPLATES))
def test_each_built_in_workflow_has_a_public_page_with_its_table_and_diagram(client, name):
    template = WORKFLOW_TEMPLATES[name]
    page = page_of(client.get(f"/workflows/{name}"))
    assert template.description.en in page
    rows = re.findall(r"<tr>\s*<td>", re.search(r'id="transitions">(.*?)</table>', page, re.S).group(1))
    assert len(rows) == sum(len(t.sources) for t in template.transitions)
    assert '<pre class="diagram" id="mermaid"><code>' in page and "stateDiagram-v2" in page
    assert "The fee is paid." in page
    french = page_of(client.get(f"/workflows/{name}?lang=fr"))
    assert template.description.fr.replace("'", "&#39;") in french
    assert "Les droits sont payés." in french


def test_an_unknown_workflow_is_404(client):
    assert client.get("/workflows/no_such_workflow").status_code == 404
