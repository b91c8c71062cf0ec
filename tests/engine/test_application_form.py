"""The one form: fields asked once, checked by type, shared with each agency only as its permits need."""

import pytest

from tests.answer_sets import TORONTO, TORONTO_FULL
from workflows.application_form import agency_shares, check_form, check_value, form_fields, prefilled
from workflows.packs.model import Choice, FieldDefinition
from workflows.text import Text


@pytest.fixture(scope="module")
def toronto(bundled_packs, engine):
    chain = bundled_packs.chains[TORONTO]
    codes = [outcome.permit.code for outcome in engine.triage(TORONTO, TORONTO_FULL).permits]
    return chain, codes


def test_each_field_is_asked_once_with_every_permit_that_needs_it(toronto):
    chain, codes = toronto
    fields = form_fields(chain, codes)
    ids = [f.definition.id for f in fields]
    assert len(ids) == len(set(ids))
    expected = {field_id for code in codes for field_id in chain.permits[chain.permit_rank[code]].fields}
    assert set(ids) == expected
    by_id = {f.definition.id: f for f in fields}
    assert len(by_id["premises_address"].permits) >= 5  # typed once, used by many permits
    assert {p.code for p in by_id["patio_area_m2"].permits} == {"TO-CAFETO"}
    assert ids == [field_id for field_id in chain.fields if field_id in expected]  # catalogue order


def test_a_plain_take_out_counter_gets_a_shorter_form(toronto, engine, bundled_packs):
    chain, codes = toronto
    plain = [
        o.permit.code
        for o in engine.triage(TORONTO, {**TORONTO_FULL, "serves_alcohol": False, "has_patio": False}).permits
    ]
    assert len(form_fields(chain, plain)) < len(form_fields(chain, codes))
    assert "date_of_birth" not in {f.definition.id for f in form_fields(chain, plain)}


def test_each_agency_receives_only_what_its_permits_declare(toronto):
    chain, codes = toronto
    shares = {share.agency.code: share for share in agency_shares(chain, codes)}
    for code, share in shares.items():
        permits = [
            chain.permits[chain.permit_rank[c]]
            for c in codes
            if chain.permits[chain.permit_rank[c]].agency.code == code
        ]
        declared = {field_id for permit in permits for field_id in permit.fields}
        assert {f.definition.id for f in share.fields} == declared
    assert "date_of_birth" in {f.definition.id for f in shares["ON-AGCO"].fields}
    assert "date_of_birth" not in {f.definition.id for f in shares["TO-TS"].fields}
    assert "patio_area_m2" not in {f.definition.id for f in shares["ON-AGCO"].fields}


def test_triage_answers_fill_the_fields_of_the_same_name(toronto):
    chain, codes = toronto
    values = prefilled(form_fields(chain, codes), TORONTO_FULL)
    assert values["seating_capacity"] == 60
    assert values["patio_area_m2"] == 20
    assert "legal_name" not in values


def test_a_draft_may_have_gaps_but_a_submission_may_not(toronto):
    chain, codes = toronto
    fields = form_fields(chain, codes)
    clean, errors = check_form(fields, {"legal_name": "  Chez Ada Inc. "}, complete=False)
    assert clean == {"legal_name": "Chez Ada Inc."}
    assert errors == []
    _, errors = check_form(fields, {"legal_name": "Chez Ada Inc."}, complete=True)
    assert {e.field for e in errors} == {f"fields.{f.definition.id}" for f in fields} - {"fields.legal_name"}
    assert errors[0].message.en == "This field is required."


def test_unknown_fields_are_refused(toronto):
    chain, codes = toronto
    _, errors = check_form(form_fields(chain, codes), {"favourite_colour": "blue"}, complete=False)
    assert [(e.field, e.message.en) for e in errors] == [
        ("fields.favourite_colour", "This form has no such field.")
    ]


def definition(kind, **extra):
    return FieldDefinition("f", kind, Text("F", "F"), "CA", **extra)


@pytest.mark.parametrize(
    ("field", "value", "stored"),
    [
        (definition("text"), "  Chez Ada  ", "Chez Ada"),
        (definition("long_text"), "A café.\nWith a patio.", "A café.\nWith a patio."),
        (definition("email"), "Ada@Example.CA", "Ada@example.ca"),
        (definition("phone"), "(416) 555-0123", "416-555-0123"),
        (definition("phone"), "+1 604 555 0199", "604-555-0199"),
        (definition("postal_code"), "m5v2t6", "M5V 2T6"),
        (definition("date"), "2027-03-01", "2027-03-01"),
        (definition("integer", minimum=1, maximum=500), 60, 60),
        (definition("money"), 4_500_000, 4_500_000),
        (definition("yes_no"), False, False),
        (definition("choice", choices=(Choice("a", Text("A", "A")), Choice("b", Text("B", "B")))), "b", "b"),
        (definition("business_number"), "123 456 782", "123456782"),
    ],
)
def test_valid_values_are_stored_normalised(field, value, stored):
    assert check_value(field, value) == (stored, None)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (definition("text", max_length=5), "too long", "Use 5 characters at most."),
        (definition("text"), 42, "Enter text."),
        (definition("email"), "ada@", "Enter a valid email address."),
        (definition("phone"), "555-0123", "Enter a 10-digit phone number, such as 416-555-0123."),
        (definition("postal_code"), "D5V 2T6", "Enter a Canadian postal code, such as M5V 2T6."),
        (definition("date"), "01/03/2027", "Enter a date as YYYY-MM-DD."),
        (definition("integer", minimum=1), 0, "Enter 1 or more."),
        (definition("integer", maximum=500), 501, "Enter 500 or less."),
        (definition("integer"), True, "Enter a whole number."),
        (definition("money"), 12.5, "Enter an amount in whole cents."),
        (definition("yes_no"), "yes", "Answer yes or no (true or false)."),
        (
            definition("choice", choices=(Choice("a", Text("A", "A")), Choice("b", Text("B", "B")))),
            "c",
            "Choose one of: a, b.",
        ),
    ],
)
def test_invalid_values_get_a_precise_message_in_both_languages(field, value, message):
    stored, problem = check_value(field, value)
    assert stored is None
    assert problem.en == message
    assert problem.fr and problem.fr != problem.en


def test_a_business_number_with_a_wrong_check_digit_is_refused():
    stored, problem = check_value(definition("business_number"), "123456789")
    assert stored is None
    assert "check digit" in problem.en


def test_a_choice_field_given_a_list_is_an_error_not_a_crash():
    field = definition("choice", choices=(Choice("a", Text("A", "A")), Choice("b", Text("B", "B"))))
    stored, problem = check_value(field, ["a"])
    assert stored is None
    assert problem.en == "Choose one of: a, b."
