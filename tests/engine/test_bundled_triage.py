"""Truth table for the bundled packs: which permits a Toronto or Vancouver restaurant needs.

Every expected permit set, fee and duration below is written out literally (worked out by
hand from the pack figures), never computed from the packs, so a change to a pack that
alters an outcome has to be made here too, on purpose.
"""

from __future__ import annotations

import pytest

from tests.answer_sets import (
    FULL_RESTAURANT,
    TORONTO,
    TORONTO_EXPANDED,
    TORONTO_FULL,
    TORONTO_FULL_PERMITS,
    TORONTO_PLAIN,
    VANCOUVER,
    VANCOUVER_FULL,
    VANCOUVER_PLAIN,
)
from workflows.fees import FlatFee, PerUnitFee, TieredFee
from workflows.triage import TriageResult

TORONTO_PLAIN_PERMITS = {"ON-FOOD-HANDLER", "TO-ZONING", "TO-HEALTH", "TO-EATING"}
VANCOUVER_PLAIN_PERMITS = {"BC-HEALTH", "BC-FOODSAFE", "VAN-BL"}
VANCOUVER_FULL_PERMITS = {
    "CA-BN",
    "CA-GST-HST",
    "CA-PAYROLL",
    "BC-NAME",
    "BC-PST",
    "BC-WORKSAFE",
    "BC-HEALTH",
    "BC-FOODSAFE",
    "BC-LIQUOR",
    "BC-SIR",
    "VAN-BUILDING",
    "VAN-OCCUPANT-LOAD",
    "VAN-BL",
    "VAN-SIGN",
    "VAN-PATIO",
}

ROWS = [
    # ----- Toronto -----
    pytest.param(TORONTO, TORONTO_FULL, TORONTO_FULL_PERMITS, id="toronto-full-restaurant"),
    pytest.param(
        TORONTO,
        TORONTO_EXPANDED,
        (TORONTO_FULL_PERMITS - {"TO-EATING"}) | {"TO-EXPANDED"},
        id="toronto-full-with-entertainment-and-late-hours-gets-expanded-licence",
    ),
    pytest.param(TORONTO, TORONTO_PLAIN, TORONTO_PLAIN_PERMITS, id="toronto-plain-take-out-counter"),
    pytest.param(
        TORONTO,
        {**TORONTO_PLAIN, "expected_annual_sales": 3_000_000},
        TORONTO_PLAIN_PERMITS,
        id="toronto-sales-exactly-30000-is-still-a-small-supplier",
    ),
    pytest.param(
        TORONTO,
        {**TORONTO_PLAIN, "gst_voluntary_registration": True},
        TORONTO_PLAIN_PERMITS | {"CA-BN", "CA-GST-HST"},
        id="toronto-voluntary-gst-registration",
    ),
    pytest.param(
        TORONTO,
        {**TORONTO_PLAIN, "prepares_food_for_export_or_interprovincial": True},
        TORONTO_PLAIN_PERMITS | {"CA-SFC"},
        id="toronto-food-for-other-provinces-needs-sfc-licence",
    ),
    pytest.param(
        TORONTO,
        {**TORONTO_PLAIN, "imports_or_exports": True, "imports_food": True},
        TORONTO_PLAIN_PERMITS | {"CA-BN", "CA-IMPORT-EXPORT", "CA-SFC"},
        id="toronto-food-importer",
    ),
    pytest.param(
        TORONTO,
        {**TORONTO_PLAIN, "imports_or_exports": True, "imports_food": False},
        TORONTO_PLAIN_PERMITS | {"CA-BN", "CA-IMPORT-EXPORT"},
        id="toronto-importer-of-equipment-only",
    ),
    pytest.param(
        TORONTO,
        {**TORONTO_PLAIN, "incorporated": True, "trades_under_other_name": True},
        TORONTO_PLAIN_PERMITS | {"CA-BN", "CA-CORP-TAX", "ON-BNR"},
        id="toronto-corporation-with-trade-name",
    ),
    pytest.param(
        TORONTO,
        {**TORONTO_PLAIN, "serves_alcohol": True, "seating_capacity": 200, "trades_under_other_name": True},
        TORONTO_PLAIN_PERMITS | {"ON-BNR", "ON-AGCO", "ON-SMART-SERVE"},
        id="toronto-two-expanded-criteria-keep-the-plain-licence",
    ),
    pytest.param(
        TORONTO,
        {**TORONTO_PLAIN, "seating_capacity": 151, "entertainment": True, "opens_after_11pm": True},
        (TORONTO_PLAIN_PERMITS - {"TO-EATING"}) | {"TO-EXPANDED"},
        id="toronto-three-criteria-without-liquor-get-expanded-licence",
    ),
    pytest.param(
        TORONTO,
        {**TORONTO_PLAIN, "seating_capacity": 150, "entertainment": True, "opens_after_11pm": True},
        TORONTO_PLAIN_PERMITS,
        id="toronto-150-seats-is-not-over-150",
    ),
    pytest.param(
        TORONTO,
        {**TORONTO_PLAIN, "has_patio": True, "patio_type": "sidewalk", "patio_area_m2": 10},
        TORONTO_PLAIN_PERMITS | {"TO-CAFETO-SIDEWALK"},
        id="toronto-sidewalk-cafe",
    ),
    pytest.param(
        TORONTO,
        {**TORONTO_PLAIN, "has_patio": True, "patio_type": "private"},
        TORONTO_PLAIN_PERMITS,
        id="toronto-patio-on-private-property-needs-no-cafeto-permit",
    ),
    # ----- Vancouver -----
    pytest.param(VANCOUVER, VANCOUVER_FULL, VANCOUVER_FULL_PERMITS, id="vancouver-full-restaurant"),
    pytest.param(VANCOUVER, VANCOUVER_PLAIN, VANCOUVER_PLAIN_PERMITS, id="vancouver-plain-take-out-counter"),
    pytest.param(
        VANCOUVER,
        {**VANCOUVER_PLAIN, "serves_alcohol": True, "seating_capacity": 40},
        VANCOUVER_PLAIN_PERMITS | {"BC-PST", "BC-LIQUOR", "BC-SIR", "VAN-OCCUPANT-LOAD"},
        id="vancouver-liquor-without-patio",
    ),
    pytest.param(
        VANCOUVER,
        {**VANCOUVER_PLAIN, "sells_taxable_goods": True},
        VANCOUVER_PLAIN_PERMITS | {"BC-PST"},
        id="vancouver-taxable-goods-without-liquor-need-pst",
    ),
    pytest.param(
        VANCOUVER,
        {**VANCOUVER_PLAIN, "trades_under_other_name": True},
        VANCOUVER_PLAIN_PERMITS | {"BC-NAME"},
        id="vancouver-sole-proprietor-with-trade-name",
    ),
    pytest.param(
        VANCOUVER,
        {**VANCOUVER_PLAIN, "trades_under_other_name": True, "incorporated": True},
        VANCOUVER_PLAIN_PERMITS | {"CA-BN", "CA-CORP-TAX"},
        id="vancouver-corporation-with-trade-name-needs-no-bc-name-registration",
    ),
    pytest.param(
        VANCOUVER,
        {
            **VANCOUVER_PLAIN,
            "hires_staff": True,
            "number_of_employees": 3,
            "has_patio": True,
            "patio_type": "private",
        },
        VANCOUVER_PLAIN_PERMITS | {"CA-BN", "CA-PAYROLL", "BC-WORKSAFE"},
        id="vancouver-staff-and-private-patio",
    ),
    pytest.param(
        VANCOUVER,
        {**VANCOUVER_PLAIN, "prepares_food_for_export_or_interprovincial": True},
        VANCOUVER_PLAIN_PERMITS | {"CA-SFC"},
        id="vancouver-food-for-other-provinces-needs-sfc-licence",
    ),
]


def codes(result: TriageResult) -> list[str]:
    return [outcome.permit.code for outcome in result.permits]


def outcome(result: TriageResult, code: str):
    return next(o for o in result.permits if o.permit.code == code)


@pytest.mark.parametrize(("municipality", "answers", "expected"), ROWS)
def test_exact_permit_set(engine, municipality, answers, expected):
    result = engine.triage(municipality, answers)
    assert len(codes(result)) == len(set(codes(result))), "no permit is listed twice"
    assert set(codes(result)) == expected


@pytest.mark.parametrize(("municipality", "answers", "expected"), ROWS)
def test_prerequisites_come_before_dependants(engine, bundled_packs, municipality, answers, expected):
    result = engine.triage(municipality, answers)
    chain = bundled_packs.chains[municipality]
    order = codes(result)
    for position, permit in enumerate(result.permits):
        assert set(permit.depends_on) == set(chain.prerequisites(permit.permit)) & set(order)
        for prerequisite in permit.depends_on:
            assert order.index(prerequisite) < position, f"{prerequisite} must come before {order[position]}"


@pytest.mark.parametrize(("municipality", "answers", "expected"), ROWS)
def test_total_fee_and_longest_chain(engine, municipality, answers, expected):
    result = engine.triage(municipality, answers)
    assert result.total_fee_cents == sum(o.fee_cents for o in result.permits)
    ready = {}
    for permit in result.permits:
        ready[permit.permit.code] = permit.permit.processing_days + max(
            (ready[d] for d in permit.depends_on), default=0
        )
        assert permit.ready_after_days == ready[permit.permit.code]
    assert result.estimated_days == max(ready.values())


@pytest.mark.parametrize(("municipality", "answers", "expected"), ROWS)
def test_every_permit_is_explained_in_both_languages(engine, municipality, answers, expected):
    result = engine.triage(municipality, answers)
    for permit in result.permits:
        assert permit.reason_texts("en"), permit.permit.code
        assert permit.reason_texts("fr"), permit.permit.code
        assert all(text.strip() for text in permit.reason_texts("en") + permit.reason_texts("fr"))


def test_toronto_full_restaurant_fees_and_duration(engine):
    result = engine.triage(TORONTO, TORONTO_FULL)
    assert {o.permit.code: o.fee_cents for o in result.permits} == {
        "CA-BN": 0,
        "CA-GST-HST": 0,
        "CA-PAYROLL": 0,
        "ON-WSIB": 0,
        "ON-AGCO": 140_000,
        "ON-SMART-SERVE": 4_000,
        "ON-FOOD-HANDLER": 5_000,
        "TO-EATING": 51_600,
        "TO-ZONING": 20_000,
        "TO-BUILDING": 150_000,
        "TO-SIGN": 30_930,
        "TO-CAFETO": 264_840,  # 20 m² x $132.42
        "TO-HEALTH": 0,
    }
    assert result.total_fee_cents == 666_370
    # The AGCO licence waits for Toronto's building and health clearances:
    # zoning 10 -> building 30 -> health 14 -> AGCO 77 = 131 days, longer than
    # zoning 10 -> building 30 -> health 14 -> eating licence 10 -> CaféTO 15 = 79 days.
    assert result.estimated_days == 131
    assert outcome(result, "ON-AGCO").depends_on == ("TO-BUILDING", "TO-HEALTH")
    assert outcome(result, "ON-AGCO").ready_after_days == 131
    assert outcome(result, "TO-CAFETO").ready_after_days == 79


def test_toronto_expanded_licence_costs_more(engine):
    result = engine.triage(TORONTO, TORONTO_EXPANDED)
    assert outcome(result, "TO-EXPANDED").fee_cents == 72_300
    assert result.total_fee_cents == 666_370 - 51_600 + 72_300
    # zoning 10 -> building 30 -> health 14 -> expanded licence 15 -> CaféTO 15 = 84 days;
    # the AGCO licence (131 days, as above) is still the longest chain.
    assert outcome(result, "TO-CAFETO").ready_after_days == 84
    assert result.estimated_days == 131
    assert outcome(result, "TO-CAFETO").depends_on == ("TO-EXPANDED",)


def test_vancouver_full_restaurant_fees_and_duration(engine):
    result = engine.triage(VANCOUVER, VANCOUVER_FULL)
    assert result.total_fee_cents == 450_000
    # BC chain: name 14 -> PST 29 -> health 30 -> liquor 35 -> city licence 14 -> patio 21
    assert result.estimated_days == 143
    assert outcome(result, "BC-HEALTH").depends_on == ("BC-NAME", "BC-PST", "BC-WORKSAFE")
    # The occupant load permit (building 56 + 14 = 70 days) now comes first too, but the
    # health permit (name 14 + PST 29 + health 30 = 73 days) is later: liquor at 73 + 35.
    assert outcome(result, "BC-LIQUOR").depends_on == ("BC-HEALTH", "VAN-OCCUPANT-LOAD")
    assert outcome(result, "VAN-OCCUPANT-LOAD").ready_after_days == 70
    assert outcome(result, "BC-LIQUOR").ready_after_days == 108
    assert set(outcome(result, "VAN-BL").depends_on) == {
        "BC-HEALTH",
        "BC-LIQUOR",
        "VAN-BUILDING",
        "VAN-OCCUPANT-LOAD",
    }


def test_plain_take_out_needs_far_fewer_permits_and_no_business_number(engine):
    full = engine.triage(TORONTO, TORONTO_FULL)
    plain = engine.triage(TORONTO, TORONTO_PLAIN)
    assert set(codes(plain)) == TORONTO_PLAIN_PERMITS
    assert len(plain.permits) * 3 <= len(full.permits)
    assert "CA-BN" not in codes(plain)
    assert plain.total_fee_cents == 5_000 + 51_600 + 20_000  # food handler, licence, zoning
    # health inspection 14 (its building permit does not apply) -> licence 10
    assert plain.estimated_days == 24


@pytest.mark.parametrize(
    ("municipality", "plain"),
    [(TORONTO, TORONTO_PLAIN), (VANCOUVER, VANCOUVER_PLAIN)],
    ids=["toronto", "vancouver"],
)
def test_safe_food_licence_only_for_export_or_interprovincial_food(engine, municipality, plain):
    assert "CA-SFC" not in codes(engine.triage(municipality, plain))
    assert "CA-SFC" not in codes(
        engine.triage(municipality, {**plain, **FULL_RESTAURANT, "has_patio": False})
    )
    export = engine.triage(municipality, {**plain, "prepares_food_for_export_or_interprovincial": True})
    assert "CA-SFC" in codes(export)


def test_business_number_is_explained_by_the_program_accounts(engine):
    result = engine.triage(TORONTO, TORONTO_FULL)
    assert outcome(result, "CA-BN").reason_texts("en") == [
        "Needed because you need: GST/HST account (RT)",
        "Needed because you need: Payroll deductions account (RP)",
    ]
    assert outcome(result, "CA-BN").reason_texts("fr") == [
        "Requis parce qu'il vous faut : Compte de TPS/TVH (RT)",
        "Requis parce qu'il vous faut : Compte de retenues sur la paie (RP)",
    ]


def test_reasons_name_the_triggering_answers(engine):
    result = engine.triage(TORONTO, TORONTO_FULL)
    agco = outcome(result, "ON-AGCO")
    assert agco.reason_texts("en") == ["Will you sell or serve alcohol?: Yes"]
    assert agco.reason_texts("fr") == ["Vendrez-vous ou servirez-vous de l'alcool? : Oui"]
    assert outcome(result, "TO-CAFETO").reason_texts("en") == [
        "Where will the patio be?: In the curb lane (street parking lane)"
    ]
    gst = outcome(result, "CA-GST-HST").reason_texts("en")
    assert len(gst) == 1
    assert gst[0].startswith("What are your expected taxable sales")
    assert gst[0].endswith("$450,000.00")
    assert outcome(result, "TO-SIGN").reason_texts("fr") == [
        "Installerez-vous une enseigne à l'extérieur du bâtiment? : Oui"
    ]


def test_expanded_licence_reasons_list_the_criteria_met(engine):
    result = engine.triage(TORONTO, TORONTO_EXPANDED)
    assert outcome(result, "TO-EXPANDED").reason_texts("en") == [
        "Needed because you need: Liquor sales licence",
        "Will you offer entertainment, such as live performances, a DJ or a dance floor?: Yes",
        "Will you be open to customers after 11 p.m.?: Yes",
    ]
    assert outcome(result, "TO-EXPANDED").reason_texts("fr") == [
        "Requis parce qu'il vous faut : Permis de vente d'alcool",
        "Offrirez-vous des divertissements, comme des spectacles, un DJ ou une piste de danse? : Oui",
        "Serez-vous ouvert à la clientèle après 23 h? : Oui",
    ]


def test_plain_licence_never_claims_the_expanded_licence_is_needed(engine):
    # TO-EATING applies because TO-EXPANDED does not: that fact must not read "you need" it.
    for answers in (TORONTO_FULL, TORONTO_PLAIN):
        eating = outcome(engine.triage(TORONTO, answers), "TO-EATING")
        assert not any("expanded" in text.lower() for text in eating.reason_texts("en"))
        assert not any("élargies" in text for text in eating.reason_texts("fr"))


def test_french_reasons_are_french(engine):
    result = engine.triage(VANCOUVER, VANCOUVER_FULL)
    assert outcome(result, "BC-NAME").reason_texts("fr") == [
        "L'entreprise exercera-t-elle ses activités sous un nom autre que le nom légal complet du "
        "propriétaire (ou que la dénomination exacte de la société)? : Oui",
        "L'entreprise est-elle constituée en société? : Non",
    ]
    for permit in result.permits:
        english, french = permit.reason_texts("en"), permit.reason_texts("fr")
        assert len(english) == len(french)
        for en, fr in zip(english, french, strict=True):
            assert en != fr, permit.permit.code
            assert not fr.endswith((": Yes", ": No")), fr


@pytest.mark.parametrize(
    ("area", "fee"), [(1, 13_242), (20, 264_840), (35, 463_470)], ids=["1-m2", "20-m2", "35-m2"]
)
def test_cafeto_fee_scales_with_patio_area(engine, area, fee):
    result = engine.triage(TORONTO, {**TORONTO_FULL, "patio_area_m2": area})
    assert outcome(result, "TO-CAFETO").fee_cents == fee
    assert result.total_fee_cents == 666_370 - 264_840 + fee


@pytest.mark.parametrize(
    ("seats", "fee"),
    [(0, 27_500), (50, 27_500), (51, 39_000), (150, 39_000), (151, 52_000)],
    ids=["0-seats", "50-seats-first-band", "51-seats-second-band", "150-seats", "151-seats"],
)
def test_vancouver_health_permit_fee_band(engine, seats, fee):
    result = engine.triage(VANCOUVER, {**VANCOUVER_PLAIN, "seating_capacity": seats})
    assert outcome(result, "BC-HEALTH").fee_cents == fee
    assert result.total_fee_cents == fee + 11_000 + 19_500  # + FOODSAFE + city licence


def test_follow_up_questions_are_shown_only_when_relevant(engine):
    def shown(municipality, answers):
        return {q.id for q in engine.questions(municipality, answers)}

    assert "number_of_employees" not in shown(TORONTO, TORONTO_PLAIN)
    assert "number_of_employees" in shown(TORONTO, TORONTO_FULL)
    assert "gst_voluntary_registration" in shown(TORONTO, TORONTO_PLAIN)
    assert "gst_voluntary_registration" not in shown(TORONTO, TORONTO_FULL)
    assert {"patio_type", "patio_area_m2"}.isdisjoint(shown(TORONTO, TORONTO_PLAIN))
    assert {"patio_type", "patio_area_m2"} <= shown(TORONTO, TORONTO_FULL)
    assert "patio_area_m2" not in shown(TORONTO, {**TORONTO_FULL, "patio_type": "private"})
    assert "sells_taxable_goods" in shown(VANCOUVER, VANCOUVER_PLAIN)
    assert "sells_taxable_goods" not in shown(VANCOUVER, VANCOUVER_FULL)
    assert {"opens_after_11pm", "entertainment"}.isdisjoint(shown(VANCOUVER, VANCOUVER_FULL))


def test_suggestions(engine):
    def suggested(municipality, answers):
        return {s.suggestion.code for s in engine.triage(municipality, answers).suggestions}

    assert suggested(TORONTO, TORONTO_PLAIN) == {"ON-SBEC"}
    assert suggested(VANCOUVER, VANCOUVER_PLAIN) == {"BC-SBBC"}
    assert suggested(TORONTO, {**TORONTO_FULL, "plays_music": True, "owner_aged_18_to_39": True}) == {
        "ON-SBEC",
        "CA-SOCAN",
        "CA-RESOUND",
        "CA-CSBFP",
        "CA-FUTURPRENEUR",
        "CA-CSJ",
    }
    assert "CA-CSJ" not in suggested(TORONTO, {**TORONTO_FULL, "number_of_employees": 51})


# ------------------------------------------------------------------------------------------
# The packs' text and fees
# ------------------------------------------------------------------------------------------

PERMITS_PER_PACK = {
    "CA": {"CA-BN", "CA-GST-HST", "CA-PAYROLL", "CA-CORP-TAX", "CA-IMPORT-EXPORT", "CA-SFC"},
    "CA-ON": {"ON-BNR", "ON-AGCO", "ON-SMART-SERVE", "ON-WSIB", "ON-FOOD-HANDLER"},
    "3520005": {
        "TO-EATING",
        "TO-EXPANDED",
        "TO-ZONING",
        "TO-BUILDING",
        "TO-SIGN",
        "TO-CAFETO",
        "TO-CAFETO-SIDEWALK",
        "TO-HEALTH",
    },
    "CA-BC": {"BC-NAME", "BC-PST", "BC-WORKSAFE", "BC-HEALTH", "BC-FOODSAFE", "BC-LIQUOR", "BC-SIR"},
    "5915022": {"VAN-BL", "VAN-BUILDING", "VAN-OCCUPANT-LOAD", "VAN-SIGN", "VAN-PATIO"},
}

#: Fees with no published figure in the reference: placeholders, and marked so.
ILLUSTRATIVE = {
    "CA-SFC",
    "ON-AGCO",
    "ON-SMART-SERVE",
    "ON-FOOD-HANDLER",
    "TO-ZONING",
    "TO-BUILDING",
    "TO-CAFETO-SIDEWALK",
    "TO-HEALTH",
    "BC-NAME",
    "BC-HEALTH",
    "BC-FOODSAFE",
    "BC-LIQUOR",
    "BC-SIR",
    "VAN-BL",
    "VAN-BUILDING",
    "VAN-OCCUPANT-LOAD",
    "VAN-SIGN",
    "VAN-PATIO",
}
#: Free registrations: a published figure of $0.
FREE = {
    "CA-BN",
    "CA-GST-HST",
    "CA-PAYROLL",
    "CA-CORP-TAX",
    "CA-IMPORT-EXPORT",
    "ON-WSIB",
    "BC-PST",
    "BC-WORKSAFE",
}

FRENCH_WORDS = {"de", "du", "des", "la", "le", "les", "et", "un", "une", "pour", "à", "est", "vous", "votre"}


def test_bundled_packs_and_their_permits(bundled_packs):
    assert set(bundled_packs.packs) == {"CA", "CA-ON", "3520005", "CA-BC", "5915022"}
    assert set(bundled_packs.chains) == {"3520005", "5915022"}
    for code, expected in PERMITS_PER_PACK.items():
        assert {p.code for p in bundled_packs.packs[code].permits} == expected
    assert bundled_packs.packs["3520005"].jurisdiction.postal_prefixes == ("M",)
    vancouver = bundled_packs.packs["5915022"].jurisdiction.postal_prefixes
    assert {"V5K", "V5Z", "V6A", "V6B", "V6Z"} <= set(vancouver)
    assert all(len(prefix) == 3 and prefix.startswith("V") for prefix in vancouver)


def _texts(bundled_packs):
    """(where, Text, must_differ) for every user-facing text of the bundled packs."""
    for pack in bundled_packs.packs.values():
        yield f"{pack.jurisdiction.code} name", pack.jurisdiction.name, False
        for agency in pack.agencies:
            yield f"agency {agency.code}", agency.name, False
        for question in pack.questions:
            yield f"question {question.id}", question.text, True
            assert question.help is not None, f"question {question.id} has no help"
            yield f"question {question.id} help", question.help, True
            if question.unit:
                yield f"question {question.id} unit", question.unit, False
            for choice in question.choices:
                yield f"question {question.id} choice {choice.value}", choice.label, True
        for definition in pack.fields:
            yield f"field {definition.id}", definition.label, True
            if definition.help:
                yield f"field {definition.id} help", definition.help, True
        for permit in pack.permits:
            yield f"permit {permit.code} name", permit.name, False
            yield f"permit {permit.code} description", permit.description, True
        for suggestion in pack.suggestions:
            yield f"suggestion {suggestion.code} name", suggestion.name, False
            yield f"suggestion {suggestion.code} description", suggestion.description, True
            if suggestion.provider:
                yield f"suggestion {suggestion.code} provider", suggestion.provider, False


def test_every_text_is_in_english_and_french(bundled_packs):
    texts = list(_texts(bundled_packs))
    assert len(texts) > 150
    for where, text, must_differ in texts:
        assert text.en.strip() and text.fr.strip(), where
        if must_differ:
            assert text.en != text.fr, f"{where}: the French is a copy of the English"
    for where, text, _ in texts:
        if "description" in where or " help" in where:
            words = set(text.fr.lower().replace("'", " ").replace(",", " ").split())
            assert words & FRENCH_WORDS, f"{where}: the French does not read as French: {text.fr!r}"


def test_illustrative_fees_are_exactly_those_without_a_published_figure(bundled_packs):
    marked = set()
    for code, permit in bundled_packs.permits.items():
        if permit.fee.illustrative:
            marked.add(code)
        if permit.renewal_fee is not None:
            assert permit.renewal_fee.illustrative == permit.fee.illustrative, code
    assert marked == ILLUSTRATIVE
    assert set(bundled_packs.permits) - ILLUSTRATIVE >= FREE
    for code in FREE:
        fee = bundled_packs.permits[code].fee
        assert isinstance(fee, FlatFee) and fee.cents == 0, code


def test_published_fees(bundled_packs):
    permits = bundled_packs.permits

    def flat(code, attribute="fee"):
        fee = getattr(permits[code], attribute)
        assert isinstance(fee, FlatFee) and not fee.illustrative, code
        return fee.cents

    assert (flat("TO-EATING"), flat("TO-EATING", "renewal_fee")) == (51_600, 34_900)
    assert (flat("TO-EXPANDED"), flat("TO-EXPANDED", "renewal_fee")) == (72_300, 52_500)
    assert flat("TO-SIGN") == 30_930
    assert (flat("ON-BNR"), flat("ON-BNR", "renewal_fee")) == (6_000, 6_000)
    assert permits["ON-BNR"].validity_months == 60
    cafeto = permits["TO-CAFETO"].fee
    assert isinstance(cafeto, PerUnitFee) and not cafeto.illustrative
    assert (cafeto.unit_question, cafeto.unit_cents) == ("patio_area_m2", 13_242)
    health = permits["BC-HEALTH"].fee
    assert isinstance(health, TieredFee) and health.illustrative
    assert health.band_question == "seating_capacity"
    assert health.bands[0].up_to == 50


def test_processing_times_from_the_reference(bundled_packs):
    permits = bundled_packs.permits
    assert permits["ON-AGCO"].processing_days == 77  # about 10-12 weeks
    assert 28 <= permits["BC-LIQUOR"].processing_days <= 42  # 4-6 weeks
    assert 7 <= permits["BC-NAME"].processing_days <= 21  # 1-3 weeks
    for code in FREE | {"ON-BNR"}:
        assert 1 <= permits[code].processing_days <= 30, code
