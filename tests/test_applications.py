"""The application service: one form, consent per agency, Business Number, submission, answer changes."""

from __future__ import annotations

from datetime import UTC, datetime
from random import Random

import pytest
from sqlalchemy import func, select

from licences.business_number import is_valid_business_number, parse_program_account
from tests.answer_sets import TORONTO, TORONTO_FULL, TORONTO_FULL_PERMITS, TORONTO_PLAIN
from tests.factories import complete_form, user
from tests.test_pack_store import toronto
from workflows.applications import (
    ApplicationError,
    NotADraft,
    change_answers,
    consent_requests,
    create_application,
    fields_of,
    give_consent,
    lock_application,
    preview_answers,
    program_accounts,
    save_form,
    submit,
    view_application,
)
from workflows.applications import submission as submission_module
from workflows.applications.store import cases_of
from workflows.models import AssignedBusinessNumber, Consent
from workflows.pack_store import load_active_pack_set, publish_packs
from workflows.permit_workflow import fire, record_payment
from workflows.triage import TriageEngine, TriageError

NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)


@pytest.fixture
def engine(db_session) -> TriageEngine:
    return TriageEngine(load_active_pack_set(db_session))


@pytest.fixture
def applicant(db_session):
    return user(db_session)


def new_application(db_session, engine, applicant, answers=TORONTO_FULL):
    application, _result = create_application(
        db_session, engine, owner_id=applicant.id, jurisdiction=TORONTO, answers=answers
    )
    return application


def ready_to_submit(db_session, application, applicant, **form_options):
    save_form(db_session, application, complete_form(fields_of(db_session, application), **form_options))
    codes = [request.agency_code for request in consent_requests(db_session, application)]
    give_consent(db_session, application, codes, user_id=applicant.id, now=NOW)


def field_errors(error: pytest.ExceptionInfo) -> set[str]:
    return {e.field for e in error.value.errors}


def test_an_application_pins_its_packs_opens_a_draft_per_permit_and_prefills_what_triage_asked(
    db_session, engine, applicant
):
    application = new_application(db_session, engine, applicant)
    assert application.pack_versions == {"CA": 1, "CA-ON": 1, TORONTO: 1}
    cases = cases_of(db_session, application.id)
    assert {case.permit_code for case in cases} == TORONTO_FULL_PERMITS
    assert {case.state for case in cases} == {"draft"}
    assert application.form_values == {
        "expected_annual_sales": 45_000_000,
        "number_of_employees": 8,
        "seating_capacity": 60,
        "patio_area_m2": 20,
    }


def test_bad_answers_are_refused_field_by_field_and_no_application_is_made(db_session, engine, applicant):
    with pytest.raises(TriageError) as error:
        new_application(db_session, engine, applicant, {**TORONTO_FULL, "seating_capacity": -1})
    assert [e.field for e in error.value.errors] == ["answers.seating_capacity"]


def test_the_form_asks_each_field_once_with_the_business_number_first_and_optional(
    db_session, engine, applicant
):
    fields = fields_of(db_session, new_application(db_session, engine, applicant))
    ids = [f.definition.id for f in fields]
    assert ids[0] == "business_number" and not fields[0].required
    assert len(ids) == len(set(ids))
    assert all(f.required for f in fields[1:])
    legal_name = next(f for f in fields if f.definition.id == "legal_name")
    assert {"CA-BN", "ON-AGCO", "TO-EATING", "ON-WSIB"} <= {p.code for p in legal_name.permits}
    assert "liability_insurance_policy_number" in ids  # the patio's field
    assert "smart_serve_number" in ids


def test_a_draft_merges_saves_clears_and_refuses_bad_values_without_saving_any(db_session, engine, applicant):
    application = new_application(db_session, engine, applicant)
    save_form(
        db_session, application, {"legal_name": "  Café Ça Va Inc. ", "contact_phone": "(416) 555 0123"}
    )
    assert application.form_values["legal_name"] == "Café Ça Va Inc."
    assert application.form_values["contact_phone"] == "416-555-0123"
    save_form(db_session, application, {"operating_name": "Ça Va", "legal_name": None})
    assert "legal_name" not in application.form_values
    assert application.form_values["operating_name"] == "Ça Va"

    before = dict(application.form_values)
    with pytest.raises(ApplicationError) as error:
        save_form(
            db_session,
            application,
            {"operating_name": "Other", "contact_email": "not an email", "favourite_colour": "blue"},
        )
    assert field_errors(error) == {"fields.contact_email", "fields.favourite_colour"}
    assert application.form_values == before


def test_submission_names_every_missing_field_and_consent(db_session, engine, applicant):
    application = new_application(db_session, engine, applicant)
    save_form(db_session, application, {"legal_name": "Café Ça Va Inc."})
    with pytest.raises(ApplicationError) as error:
        submit(db_session, application, user_id=applicant.id, now=NOW)
    missing = field_errors(error)
    assert "fields.contact_email" in missing and "fields.legal_name" not in missing
    assert "fields.business_number" not in missing  # assigned on submission
    assert {"consents.CA-CRA", "consents.ON-AGCO", "consents.TO-MLS"} <= missing
    assert {case.state for case in cases_of(db_session, application.id)} == {"draft"}


def test_submission_assigns_a_valid_unique_business_number_with_the_program_accounts_needed(
    db_session, engine, applicant
):
    application = new_application(db_session, engine, applicant)
    ready_to_submit(db_session, application, applicant)
    submit(db_session, application, user_id=applicant.id, now=NOW)
    number = application.business_number
    assert is_valid_business_number(number)
    assert application.form_values["business_number"] == number  # ON-WSIB asks for it
    assert application.submitted_at == NOW
    assert [str(account) for account in program_accounts(application)] == [
        f"{number} RP 0001",
        f"{number} RT 0001",
    ]
    assert parse_program_account(f"{number}RT0001") == program_accounts(application)[1]
    assert db_session.get(AssignedBusinessNumber, number).application_id == application.id
    assert {case.state for case in cases_of(db_session, application.id)} == {"submitted"}

    with pytest.raises(NotADraft):
        submit(db_session, application, user_id=applicant.id, now=NOW)
    with pytest.raises(NotADraft):
        save_form(db_session, application, {"legal_name": "Changed"})


def test_a_business_number_the_applicant_gives_is_kept_and_none_is_assigned(db_session, engine, applicant):
    application = new_application(db_session, engine, applicant)
    with pytest.raises(ApplicationError) as error:
        save_form(db_session, application, {"business_number": "123456789"})
    assert field_errors(error) == {"fields.business_number"}
    ready_to_submit(db_session, application, applicant, with_business_number=True)
    save_form(db_session, application, {"business_number": "123 456 782"})
    submit(db_session, application, user_id=applicant.id, now=NOW)
    assert application.business_number == "123456782"
    assert db_session.scalar(select(func.count()).select_from(AssignedBusinessNumber)) == 0


def test_two_businesses_never_get_the_same_number_even_when_the_draws_collide(
    db_session, engine, applicant, monkeypatch
):
    first, second = (new_application(db_session, engine, applicant) for _ in range(2))
    for application in (first, second):
        ready_to_submit(db_session, application, applicant)
    submit(db_session, first, user_id=applicant.id, now=NOW, random=Random(7))
    # The same seed draws the same number first: the `taken` check must skip it ...
    submit(db_session, second, user_id=applicant.id, now=NOW, random=Random(7))
    assert second.business_number != first.business_number

    # ... and if the check misses it (another transaction claimed it a moment ago), the
    # primary key refuses the claim and a new number is drawn.
    third = new_application(db_session, engine, applicant)
    ready_to_submit(db_session, third, applicant)
    monkeypatch.setattr(submission_module, "_taken", lambda _session, _number: False)
    submit(db_session, third, user_id=applicant.id, now=NOW, random=Random(7))
    assert third.business_number not in {first.business_number, second.business_number}
    assert is_valid_business_number(third.business_number)


def test_consent_lists_per_agency_exactly_the_fields_its_permits_need_and_records_who_and_when(
    db_session, engine, applicant
):
    application = new_application(db_session, engine, applicant)
    requests = {r.agency_code: r for r in consent_requests(db_session, application)}
    assert set(requests) == {"CA-CRA", "ON-AGCO", "ON-WSIB", "ON-PHU", "TO-MLS", "TO-TB", "TO-TS", "TO-TPH"}
    assert set(requests["ON-AGCO"].field_ids) == {  # the liquor licence's fields and Smart Serve's
        "legal_name",
        "operating_name",
        "owner_full_name",
        "date_of_birth",
        "premises_address",
        "premises_postal_code",
        "licensed_capacity",
        "contact_email",
        "contact_phone",
        "smart_serve_number",
    }
    signs_and_building = requests["TO-TB"]
    assert "date_of_birth" not in signs_and_building.field_ids  # personal data only where a permit needs it
    assert "sign_description" in signs_and_building.field_ids
    assert not any(r.given for r in requests.values())

    with pytest.raises(ApplicationError) as error:
        give_consent(db_session, application, ["TO-TB", "QC-RACJ"], user_id=applicant.id, now=NOW)
    assert field_errors(error) == {"agencies.1"}
    assert db_session.scalar(select(func.count()).select_from(Consent)) == 0

    [consent] = give_consent(db_session, application, ["TO-TB", "TO-TB"], user_id=applicant.id, now=NOW)
    assert (consent.agency_code, consent.given_by, consent.given_at) == ("TO-TB", applicant.id, NOW)
    assert consent.fields == list(signs_and_building.field_ids)
    assert give_consent(db_session, application, ["TO-TB"], user_id=applicant.id, now=NOW) == []
    with pytest.raises(ValueError, match="history"):
        consent.fields = []
        db_session.flush()


def test_changing_an_answer_previews_then_applies_the_added_and_removed_permits_and_fees(
    db_session, engine, applicant
):
    application = new_application(db_session, engine, applicant, TORONTO_PLAIN)
    ready_to_submit(db_session, application, applicant)
    plain_cases = {case.permit_code: case.id for case in cases_of(db_session, application.id)}

    change = preview_answers(db_session, application, TORONTO_FULL)
    added = {p.code for p in change.added}
    assert added == TORONTO_FULL_PERMITS - set(plain_cases)
    assert {p.code for p in change.removed} == set(plain_cases) - TORONTO_FULL_PERMITS
    assert change.total_after_cents == 666_370 and change.total_before_cents < change.total_after_cents
    assert set(plain_cases) == {
        case.permit_code for case in cases_of(db_session, application.id)
    }  # unchanged

    change_answers(db_session, application, TORONTO_FULL)
    cases = {case.permit_code: case for case in cases_of(db_session, application.id)}
    assert set(cases) == TORONTO_FULL_PERMITS
    assert all(cases[code].id == case_id for code, case_id in plain_cases.items() if code in cases)
    assert sum(case.fee_cents for case in cases.values()) == 666_370
    assert set(cases["ON-AGCO"].prerequisites) >= {"TO-BUILDING", "TO-HEALTH"}
    # Agencies with more to receive must consent again; the new fields are not yet given.
    requests = {r.agency_code: r for r in consent_requests(db_session, application)}
    assert not requests["ON-AGCO"].given
    with pytest.raises(ApplicationError) as error:
        submit(db_session, application, user_id=applicant.id, now=NOW)
    assert {"consents.ON-AGCO", "fields.smart_serve_number"} <= field_errors(error)

    back = preview_answers(db_session, application, TORONTO_PLAIN)
    assert "liability_insurance_policy_number" not in {f.definition.id for f in back.fields_dropped}
    save_form(db_session, application, {"liability_insurance_policy_number": "POL-1"})
    back = change_answers(db_session, application, TORONTO_PLAIN)
    assert "liability_insurance_policy_number" in {f.definition.id for f in back.fields_dropped}
    assert "liability_insurance_policy_number" not in application.form_values


def test_answer_changes_use_the_pinned_packs_not_a_newer_version(db_session, engine, applicant):
    application = new_application(db_session, engine, applicant, TORONTO_PLAIN)
    eating = next(c for c in cases_of(db_session, application.id) if c.permit_code == "TO-EATING")
    fee = eating.fee_cents
    publish_packs(db_session, [toronto(("amount_cents: 51600", "amount_cents: 99900"))])
    change = change_answers(db_session, application, {**TORONTO_PLAIN, "outdoor_sign": True})
    assert [p.code for p in change.added] == ["TO-SIGN"]
    assert not change.fee_changes
    assert eating.fee_cents == fee
    assert application.pack_versions[TORONTO] == 1


def test_the_view_says_what_each_permit_waits_on(db_session, engine, applicant):
    application = new_application(db_session, engine, applicant)
    view = view_application(db_session, application)
    assert view.status.state == "draft"
    assert {p.waiting_on for p in view.permits} == {"submission"}
    assert view.permits[0].permit.level == "federal"
    ready_to_submit(db_session, application, applicant)
    submit(db_session, application, user_id=applicant.id, now=NOW)
    assert {p.waiting_on for p in view_application(db_session, application).permits} == {"payment"}

    record_payment(db_session, application.id)
    view = view_application(db_session, application)
    progress = {p.permit.code: p for p in view.permits}
    assert progress["CA-BN"].waiting_on == "nothing" and progress["CA-BN"].case.state == "approved"
    assert [e.event for e in progress["CA-BN"].history] == ["submit", "pay", "complete"]
    assert progress["TO-ZONING"].waiting_on == "agency"
    assert progress["ON-AGCO"].waiting_on == "prerequisites"
    assert "TO-BUILDING" in progress["ON-AGCO"].waiting_for
    assert progress["TO-ZONING"].applicant_actions == ()
    assert view.total_fee_cents == 666_370


def test_lock_application_returns_none_for_an_unknown_id(db_session):
    assert lock_application(db_session, 987_654) is None


def test_a_permit_withdrawn_from_a_draft_is_neither_asked_about_shared_nor_submitted(
    db_session, engine, applicant
):
    application = new_application(db_session, engine, applicant)
    sign = next(c for c in cases_of(db_session, application.id) if c.permit_code == "TO-SIGN")
    fire(db_session, sign, "withdraw", actor_id=applicant.id)
    assert "sign_description" not in {f.definition.id for f in fields_of(db_session, application)}
    shares = {r.agency_code: r for r in consent_requests(db_session, application)}
    assert "sign_description" not in shares["TO-TB"].field_ids
    ready_to_submit(db_session, application, applicant)
    submit(db_session, application, user_id=applicant.id, now=NOW)
    states = {c.permit_code: c.state for c in cases_of(db_session, application.id)}
    assert states.pop("TO-SIGN") == "withdrawn"
    assert set(states.values()) == {"submitted"}


def test_an_application_whose_every_permit_was_withdrawn_cannot_be_submitted(db_session, engine, applicant):
    application = new_application(db_session, engine, applicant, TORONTO_PLAIN)
    for case in cases_of(db_session, application.id):
        fire(db_session, case, "withdraw", actor_id=applicant.id)
    with pytest.raises(ApplicationError) as error:
        submit(db_session, application, user_id=applicant.id, now=NOW)
    assert field_errors(error) == {"permits"}
