"""Malformed permit packs: every fault is reported with its file, path, line and a plain reason.

A small valid trio (federal, Ontario, Toronto) is built here as Python data and dumped to
YAML; each case below makes one small mutation of it and checks the single problem the
loader reports. Expected lines are found by locating text in the YAML actually generated,
so the cases stay true when the base packs change.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import yaml

from workflows.fees import MAX_FEE_CENTS
from workflows.packs import PackError, PackProblem, PackSource, load_pack_set
from workflows.triage import TriageEngine

CA, ON, TO = "ca.yaml", "on.yaml", "toronto.yaml"


def text(en: str, fr: str | None = None) -> dict[str, str]:
    return {"en": en, "fr": fr if fr is not None else f"{en} (fr)"}


def base_packs() -> dict[str, dict[str, Any]]:
    """A valid federal / Ontario / Toronto trio touching every section of the format."""
    federal = {
        "format": 1,
        "jurisdiction": {"code": "CA", "level": "federal", "name": text("Canada", "Canada")},
        "agencies": [{"code": "CRA", "name": text("Canada Revenue Agency"), "gl_account": "GL-CRA-100"}],
        "questions": [
            {"id": "hires_staff", "type": "yes_no", "text": text("Will you hire staff?")},
            {
                "id": "staff_count",
                "type": "number",
                "text": text("How many employees?"),
                "unit": text("employees", "employés"),
                "min": 1,
                "max": 500,
                "show_if": {"question": "hires_staff", "equals": True},
            },
            {
                "id": "annual_sales",
                "type": "money",
                "text": text("Expected yearly sales?"),
                "help": text("In dollars; an estimate is fine."),
            },
        ],
        "fields": [
            {"id": "legal_name", "type": "text", "label": text("Legal name"), "max_length": 200},
            {"id": "owner_email", "type": "email", "label": text("Owner's email"), "personal": True},
        ],
        "permits": [
            {
                "code": "CA-BN",
                "name": text("Business Number", "Numéro d'entreprise"),
                "description": text("Your number for federal programs."),
                "agency": "CRA",
                "applies_if": {"any": [{"permit": "CA-RP"}, {"permit": "CA-RT"}]},
                "fee": {"kind": "flat", "amount_cents": 0},
                "processing_days": 1,
                "workflow": "registration",
                "refundable": False,
                "fields": ["legal_name"],
            },
            {
                "code": "CA-RT",
                "name": text("GST/HST account", "Compte de TPS/TVH"),
                "description": text("Collect GST/HST once sales pass $30,000."),
                "agency": "CRA",
                "applies_if": {"question": "annual_sales", "gt": 3000000},
                "fee": {"kind": "flat", "amount_cents": 0},
                "processing_days": 2,
                "depends_on": ["CA-BN"],
                "workflow": "registration",
                "refundable": False,
            },
            {
                "code": "CA-RP",
                "name": text("Payroll account", "Compte de retenues sur la paie"),
                "description": text("Remit source deductions for employees."),
                "agency": "CRA",
                "applies_if": {"question": "hires_staff", "equals": True},
                "fee": {"kind": "flat", "amount_cents": 0},
                "processing_days": 3,
                "depends_on": ["CA-BN"],
                "workflow": "registration",
                "refundable": False,
            },
        ],
    }
    ontario = {
        "format": 1,
        "jurisdiction": {"code": "CA-ON", "level": "provincial", "parent": "CA", "name": text("Ontario")},
        "agencies": [{"code": "ON-AGCO", "name": text("Alcohol and Gaming"), "gl_account": "GL-ON-AGCO"}],
        "questions": [
            {
                "id": "activity",
                "type": "choice",
                "text": text("What will the business do?"),
                "choices": [
                    {"value": "restaurant", "label": text("Restaurant")},
                    {"value": "bar", "label": text("Bar")},
                    {"value": "retail", "label": text("Retail store")},
                ],
            },
            {
                "id": "seats",
                "type": "number",
                "text": text("How many seats?"),
                "min": 0,
                "max": 2000,
                "show_if": {"question": "activity", "in": ["restaurant", "bar"]},
            },
            {
                "id": "serves_alcohol",
                "type": "yes_no",
                "text": text("Will you serve alcohol?"),
                "show_if": {"question": "activity", "in": ["restaurant", "bar"]},
            },
        ],
        "permits": [
            {
                "code": "ON-LIQ",
                "name": text("Liquor sales licence", "Permis de vente d'alcool"),
                "description": text("Serve alcohol on your premises."),
                "agency": "ON-AGCO",
                "applies_if": {"question": "serves_alcohol", "equals": True},
                "fee": {"kind": "per_unit", "question": "seats", "unit_cents": 500, "minimum_cents": 50000},
                "renewal_fee": {"kind": "flat", "amount_cents": 30000},
                "validity_months": 24,
                "processing_days": 30,
                "depends_on": ["CA-BN"],
                "workflow": "inspection",
                "refundable": False,
                "fields": ["legal_name", "owner_email"],
            },
        ],
        "suggestions": [
            {
                "code": "ON-STARTER",
                "kind": "grant",
                "name": text("Starter Company Plus"),
                "description": text("Training and a grant for new businesses."),
                "provider": text("Ontario"),
                "url": "https://www.ontario.ca/page/starter-company-plus",
                "applies_if": {
                    "at_least": {
                        "count": 1,
                        "of": [
                            {"question": "annual_sales", "lte": 5000000},
                            {"not": {"question": "hires_staff", "equals": True}},
                        ],
                    }
                },
            },
        ],
        "workflows": [
            {
                "name": "site_check",
                "description": text("An officer visits the site, then a manager signs off."),
                "states": ["site_visit", "site_visit_info_requested", "sign_off"],
                "transitions": [
                    {
                        "trigger": "start",
                        "from": ["paid"],
                        "to": "site_visit",
                        "guards": ["fee_paid", "prerequisites_approved"],
                        "automatic": True,
                    },
                    {"trigger": "approve", "from": ["site_visit"], "to": "sign_off"},
                    {"trigger": "request_info", "from": ["site_visit"], "to": "site_visit_info_requested"},
                    {"trigger": "provide_info", "from": ["site_visit_info_requested"], "to": "site_visit"},
                    {
                        "trigger": "reject",
                        "from": ["site_visit", "site_visit_info_requested"],
                        "to": "rejected",
                    },
                    {"trigger": "approve", "from": ["sign_off"], "to": "approved"},
                ],
            },
        ],
    }
    toronto = {
        "format": 1,
        "jurisdiction": {
            "code": "3520005",
            "level": "municipal",
            "parent": "CA-ON",
            "name": text("Toronto"),
            "postal_prefixes": ["M"],
        },
        "agencies": [
            {
                "code": "TO-MLS",
                "name": text("Municipal Licensing and Standards"),
                "gl_account": "GL-TO-4100",
                "url": "https://www.toronto.ca/mls",
            }
        ],
        "questions": [
            {
                "id": "patio",
                "type": "yes_no",
                "text": text("Will you have a patio?"),
                "show_if": {"question": "activity", "in": ["restaurant", "bar"]},
            },
        ],
        "fields": [{"id": "premises_address", "type": "long_text", "label": text("Premises address")}],
        "permits": [
            {
                "code": "TO-EAT",
                "name": text("Eating establishment licence"),
                "description": text("Serve food to the public."),
                "agency": "TO-MLS",
                "applies_if": {"question": "activity", "in": ["restaurant", "bar"]},
                "fee": {
                    "kind": "tiered",
                    "question": "seats",
                    "bands": [
                        {"up_to": 50, "amount_cents": 30000},
                        {"up_to": 150, "amount_cents": 60000},
                        {"amount_cents": 90000},
                    ],
                },
                "processing_days": 10,
                "depends_on": ["CA-BN"],
                "workflow": "site_check",
                "validity_months": 12,
                "refundable": True,
                "fields": ["legal_name", "premises_address"],
            },
            {
                "code": "TO-PATIO",
                "name": text("Sidewalk patio permit"),
                "description": text("Put tables on the sidewalk."),
                "agency": "TO-MLS",
                "applies_if": {"all": [{"permit": "TO-EAT"}, {"question": "patio", "equals": True}]},
                "fee": {"kind": "flat", "amount_cents": 25000, "illustrative": True},
                "processing_days": 15,
                "depends_on": ["TO-EAT", "ON-LIQ"],
                "workflow": "patio_review",
                "refundable": False,
            },
        ],
        "suggestions": [
            {
                "code": "TO-COACH",
                "kind": "coaching",
                "name": text("Enterprise Toronto advice"),
                "description": text("Free one-on-one advice."),
                "applies_if": {"not": {"question": "hires_staff", "equals": True}},
            },
        ],
        "workflows": [
            {
                "name": "patio_review",
                "description": text(
                    "Plans are checked; the permit is issued once the licences it needs are."
                ),
                "states": ["plan_check", "plan_check_info_requested", "issuing"],
                "transitions": [
                    {
                        "trigger": "start",
                        "from": ["paid"],
                        "to": "plan_check",
                        "guards": ["fee_paid", "prerequisites_approved"],
                    },
                    {"trigger": "approve", "from": ["plan_check"], "to": "issuing"},
                    {"trigger": "request_info", "from": ["plan_check"], "to": "plan_check_info_requested"},
                    {"trigger": "provide_info", "from": ["plan_check_info_requested"], "to": "plan_check"},
                    {
                        "trigger": "reject",
                        "from": ["plan_check", "plan_check_info_requested"],
                        "to": "rejected",
                    },
                    {"trigger": "approve", "from": ["issuing"], "to": "approved", "guards": ["fee_paid"]},
                ],
            },
        ],
    }
    return {CA: federal, ON: ontario, TO: toronto}


#: A restaurant with staff, alcohol and a patio: every permit of the base applies.
BASE_ANSWERS = {
    "hires_staff": True,
    "staff_count": 4,
    "annual_sales": 9000000,
    "activity": "restaurant",
    "seats": 80,
    "serves_alcohol": True,
    "patio": True,
}


def dump(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=None, width=200)


def sources(packs: dict[str, Any], texts: dict[str, str] | None = None) -> list[PackSource]:
    texts = texts or {}
    return [PackSource(name, texts.get(name, dump(data))) for name, data in packs.items()]


def locate(yaml_text: str, *needles: str) -> int:
    """The 1-based line of the last needle, each searched for after the line of the one before."""
    lines = yaml_text.splitlines()
    start = 0
    found = None
    for needle in needles:
        found = next((n for n in range(start, len(lines)) if needle in lines[n]), None)
        assert found is not None, f"{needle!r} not in the generated YAML:\n{yaml_text}"
        start = found + 1
    assert found is not None
    return found + 1


def load_problems(srcs: list[PackSource]) -> tuple[PackProblem, ...]:
    with pytest.raises(PackError) as raised:
        load_pack_set(srcs)
    return raised.value.problems


# --- the valid base ----------------------------------------------------------------------


def test_base_set_loads_and_triages():
    packs = load_pack_set(sources(base_packs()))
    assert set(packs.packs) == {"CA", "CA-ON", "3520005"}
    result = TriageEngine(packs).triage("3520005", BASE_ANSWERS)
    codes = [outcome.permit.code for outcome in result.permits]
    assert codes == ["CA-BN", "CA-RT", "CA-RP", "ON-LIQ", "TO-EAT", "TO-PATIO"]
    fees = {outcome.permit.code: outcome.fee_cents for outcome in result.permits}
    assert fees["ON-LIQ"] == 50000  # 80 seats x $5 is below the $500 minimum
    assert fees["TO-EAT"] == 60000  # 51 to 150 seats
    # TO-PATIO waits for TO-EAT (1 + 10 days) and ON-LIQ (1 + 30 days): 31 + 15.
    assert result.estimated_days == 46
    assert [s.suggestion.code for s in result.suggestions] == []


def test_base_files_each_load_with_only_their_ancestors():
    packs = base_packs()
    load_pack_set(sources({CA: packs[CA]}))
    load_pack_set(sources({CA: packs[CA], ON: packs[ON]}))


# --- one fault at a time ---------------------------------------------------------------------


Mutation = Callable[[dict[str, Any]], None]


def _nothing(packs: dict[str, Any]) -> None:
    pass


@dataclass(frozen=True)
class Case:
    """One mutation of the base and the problem it must produce."""

    id: str
    mutate: Mutation
    file: str
    path: str
    reason: str
    line: tuple[str, ...] | None = None  # needles located in the file's generated YAML
    edit_text: Callable[[str], str] | None = None  # applied to `file`'s YAML after dumping
    count: int = 1  # how many problems the mutation produces in all


def permit(packs: dict[str, Any], file: str, index: int) -> dict[str, Any]:
    return packs[file]["permits"][index]


def question(packs: dict[str, Any], file: str, index: int) -> dict[str, Any]:
    return packs[file]["questions"][index]


def set_(file: str, *path: str | int, value: Any) -> Mutation:
    """A mutation that sets one key (the last part of `path`) to `value`."""

    def mutate(packs: dict[str, Any]) -> None:
        node = packs[file]
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = value

    return mutate


def delete(file: str, *path: str | int) -> Mutation:
    def mutate(packs: dict[str, Any]) -> None:
        node = packs[file]
        for part in path[:-1]:
            node = node[part]
        del node[path[-1]]

    return mutate


def second_municipality(prefixes: list[str], code: str = "3506008") -> Mutation:
    """Add Ottawa, a second Ontario municipality, with the given postal prefixes."""

    def mutate(packs: dict[str, Any]) -> None:
        packs["ottawa.yaml"] = {
            "format": 1,
            "jurisdiction": {
                "code": code,
                "level": "municipal",
                "parent": "CA-ON",
                "name": text("Ottawa"),
                "postal_prefixes": prefixes,
            },
        }

    return mutate


def _duplicate_processing_days(yaml_text: str) -> str:
    return yaml_text.replace("  processing_days: 30\n", "  processing_days: 30\n  processing_days: 31\n")


def _seats_without_max(packs: dict[str, Any]) -> None:
    del question(packs, ON, 1)["max"]


def _dear_permits(packs: dict[str, Any]) -> None:
    """22 permits at the most one fee may be: more together than one invoice can hold."""
    for number in range(22):
        dear = copy.deepcopy(permit(packs, TO, 1))
        dear.update(code=f"TO-DEAR{number}", fee={"kind": "flat", "amount_cents": MAX_FEE_CENTS})
        dear.pop("prerequisite_of", None)
        packs[TO]["permits"].append(dear)


def _cycle_depends_on(packs: dict[str, Any]) -> None:
    permit(packs, TO, 0)["depends_on"] = ["CA-BN", "TO-PATIO"]


def _cycle_across_levels(packs: dict[str, Any]) -> None:
    permit(packs, TO, 0)["depends_on"] = ["CA-BN", "ON-LIQ"]
    permit(packs, TO, 0)["prerequisite_of"] = ["ON-LIQ"]


def _cycle_rules(packs: dict[str, Any]) -> None:
    permit(packs, TO, 0)["applies_if"] = {
        "any": [{"permit": "TO-PATIO"}, {"question": "patio", "equals": True}]
    }


def _duplicate_permit_code(packs: dict[str, Any]) -> None:
    permit(packs, TO, 1)["code"] = "ON-LIQ"
    permit(packs, TO, 1)["depends_on"] = ["TO-EAT"]


def _duplicate_agency(packs: dict[str, Any]) -> None:
    packs[TO]["agencies"].append({"code": "CRA", "name": text("Another CRA"), "gl_account": "GL-TO-9"})


def _redeclare_federal_question(packs: dict[str, Any]) -> None:
    packs[TO]["questions"].append({"id": "hires_staff", "type": "yes_no", "text": text("Staff?")})


def _duplicate_jurisdiction(packs: dict[str, Any]) -> None:
    packs["ontario-copy.yaml"] = {
        "format": 1,
        "jurisdiction": {"code": "CA-ON", "level": "provincial", "parent": "CA", "name": text("Ontario 2")},
    }


def _show_if_later_question(packs: dict[str, Any]) -> None:
    question(packs, ON, 1)["show_if"] = {"question": "serves_alcohol", "equals": True}


def _depend_on_descendant(packs: dict[str, Any]) -> None:
    permit(packs, ON, 0)["depends_on"] = ["CA-BN", "TO-EAT"]


def _choices_on_number(packs: dict[str, Any]) -> None:
    question(packs, ON, 1)["choices"] = [
        {"value": "few", "label": text("Few")},
        {"value": "many", "label": text("Many")},
    ]


def _duplicate_choice(packs: dict[str, Any]) -> None:
    question(packs, ON, 0)["choices"][2]["value"] = "bar"


def _two_kinds(packs: dict[str, Any]) -> None:
    permit(packs, TO, 1)["applies_if"] = {
        "all": [{"permit": "TO-EAT"}],
        "any": [{"question": "patio", "equals": True}],
    }


def _both_kinds_of_band_fault(packs: dict[str, Any]) -> None:
    permit(packs, TO, 0)["fee"]["bands"] = [
        {"up_to": 50, "amount_cents": 30000},
        {"amount_cents": 60000},
        {"up_to": 150, "amount_cents": 90000},
    ]


# -- pack workflows (Toronto's patio_review, Ontario's site_check) --------------------------


def patio_review(packs: dict[str, Any]) -> dict[str, Any]:
    return packs[TO]["workflows"][0]


def _unreachable_state(packs: dict[str, Any]) -> None:
    patio_review(packs)["states"].append("on_hold")
    patio_review(packs)["transitions"].append({"trigger": "reject", "from": ["on_hold"], "to": "rejected"})


def _automatic_without_guard(packs: dict[str, Any]) -> None:
    patio_review(packs)["transitions"].append({"trigger": "complete", "from": ["issuing"], "to": "approved"})


def _automatic_cycle(packs: dict[str, Any]) -> None:
    patio_review(packs)["states"].append("recheck")
    patio_review(packs)["transitions"] += [
        {"trigger": "start", "from": ["issuing"], "to": "recheck", "guards": ["fee_paid"]},
        {"trigger": "start", "from": ["recheck"], "to": "issuing", "guards": ["fee_paid"]},
    ]


def _rename_workflow(name: str) -> Mutation:
    """Rename Toronto's workflow, and its permit's reference with it."""

    def mutate(packs: dict[str, Any]) -> None:
        patio_review(packs)["name"] = name
        permit(packs, TO, 1)["workflow"] = name

    return mutate


def _workflow_defined_twice(packs: dict[str, Any]) -> None:
    packs[TO]["workflows"].append(copy.deepcopy(patio_review(packs)))


def _second_way_out_of_paid(packs: dict[str, Any]) -> None:
    patio_review(packs)["transitions"].append(
        {
            "trigger": "complete",
            "from": ["paid"],
            "to": "approved",
            "guards": ["fee_paid", "prerequisites_approved"],
        }
    )


def _sibling_uses_toronto_workflow(packs: dict[str, Any]) -> None:
    second_municipality(["K1"])(packs)
    packs["ottawa.yaml"]["agencies"] = [
        {"code": "OTT-BL", "name": text("Ottawa By-law"), "gl_account": "OTT-4000"}
    ]
    packs["ottawa.yaml"]["permits"] = [
        {
            "code": "OTT-PATIO",
            "name": text("Patio permit"),
            "description": text("Put tables outside."),
            "agency": "OTT-BL",
            "applies_if": {"always": True},
            "fee": {"kind": "flat", "amount_cents": 0},
            "processing_days": 5,
            "workflow": "patio_review",
            "refundable": False,
        }
    ]


KNOWN_WORKFLOWS = (
    "known: certification, inspection, plan_review_inspection, registration, review; "
    "defined by this pack or its ancestors: site_check (CA-ON)"
)


CASES = [
    # -- reading the YAML ---------------------------------------------------------------------
    Case(
        "yaml-syntax-error",
        _nothing,
        ON,
        "(whole file)",
        "not valid YAML: mapping values are not allowed here",
        line=("processing_days: 30: 31",),
        edit_text=lambda t: t.replace("  processing_days: 30\n", "  processing_days: 30: 31\n"),
    ),
    Case(
        "yaml-duplicate-key",
        _nothing,
        ON,
        "permits[0].processing_days",
        "the key 'processing_days' appears twice",
        line=("processing_days: 30", "processing_days: 31"),
        edit_text=_duplicate_processing_days,
    ),
    Case(
        "yaml-alias",  # nine aliases of nine aliases would read a tiny file as millions of values
        _nothing,
        ON,
        "permits[0].review_days",
        "aliases are not accepted in packs: write the value out in full",
        line=("  review_days: *days",),
        edit_text=lambda t: t.replace(
            "  processing_days: 30\n", "  processing_days: &days 30\n  review_days: *days\n"
        ),
    ),
    Case(
        "yaml-nested-too-deep",
        _nothing,
        ON,
        "notes" + "[0]" * 100,
        "nested more than 100 levels deep",
        line=("notes: ",),
        edit_text=lambda t: t + "notes: " + "[" * 101 + "]" * 101 + "\n",
    ),
    Case(
        "yaml-nested-past-the-parser",
        _nothing,
        ON,
        "(whole file)",
        "nested more than 100 levels deep",
        edit_text=lambda t: t + "notes: " + "[" * 50_000 + "]" * 50_000 + "\n",
    ),
    Case(
        "yaml-key-not-text",
        _nothing,
        ON,
        "(whole file)",
        "keys in a pack are plain text",
        line=("? [a, b]",),
        edit_text=lambda t: t + "? [a, b]\n: c\n",
    ),
    Case(
        "root-not-a-mapping",
        _nothing,
        TO,
        "(whole file)",
        "a pack must be a YAML mapping",
        line=("- format",),
        edit_text=lambda t: "- format: 1\n- permits: []\n",
    ),
    Case(
        "empty-file",
        _nothing,
        TO,
        "(whole file)",
        "a pack must be a YAML mapping",
        line=("# nothing here yet",),
        edit_text=lambda t: "# nothing here yet\n",
    ),
    # -- the JSON Schema ----------------------------------------------------------------------
    Case("wrong-format-version", set_(TO, "format", value=2), TO, "format", "must be 1", line=("format: 2",)),
    Case(
        "unknown-top-level-key",
        set_(ON, "permit", value=[]),
        ON,
        "(whole file)",
        "unknown key 'permit'; allowed keys: agencies, fields, format",
        line=("format: 1",),
    ),
    Case(
        "missing-french-in-permit-name",
        delete(TO, "permits", 1, "name", "fr"),
        TO,
        "permits[1].name",
        "missing French text (key 'fr')",
        line=("code: TO-PATIO", "name:"),
    ),
    Case(
        "empty-french-text",
        set_(ON, "permits", 0, "name", "fr", value="  "),
        ON,
        "permits[0].name.fr",
        "must not be empty",
        line=("code: ON-LIQ", "name:"),
    ),
    Case(
        "unquoted-municipal-code",
        _nothing,
        TO,
        "jurisdiction.code",
        "must be of type string, not int (3520005); to write it as text, put it in quotes",
        line=("code: 3520005",),
        edit_text=lambda t: t.replace("code: '3520005'", "code: 3520005"),
    ),
    Case(
        "yes-no-word-read-as-boolean",
        _nothing,
        ON,
        "questions[0].choices[1].label.en",
        "must be of type string, not bool (False); to write it as text, put it in quotes",
        line=("value: bar", "label"),
        edit_text=lambda t: t.replace("label: {en: Bar,", "label: {en: No,"),
    ),
    Case(
        "missing-required-permit-key",
        delete(TO, "permits", 0, "refundable"),
        TO,
        "permits[0]",
        "missing required key 'refundable'",
        line=("code: TO-EAT",),
    ),
    Case(
        "negative-fee",
        set_(TO, "permits", 1, "fee", "amount_cents", value=-500),
        TO,
        "permits[1].fee.amount_cents",
        "-500 is below the minimum 0",
        line=("amount_cents: -500",),
    ),
    Case(
        "fee-above-the-most-one-fee-may-be",
        set_(TO, "permits", 1, "fee", "amount_cents", value=MAX_FEE_CENTS + 1),
        TO,
        "permits[1].fee.amount_cents",
        f"{MAX_FEE_CENTS + 1} is above the maximum {MAX_FEE_CENTS}",
        line=(f"amount_cents: {MAX_FEE_CENTS + 1}",),
    ),
    Case(
        "per-unit-fee-could-pass-the-most-one-fee-may-be",
        set_(ON, "permits", 0, "fee", "unit_cents", value=60_000),  # x 2,000 seats = $1,200,000
        ON,
        "permits[0].fee.unit_cents",
        "question seats allows up to 2000 units, so this fee could exceed the most one fee may be "
        "($1,000,000.00): give it a max of at most 1666",
        line=("unit_cents: 60000",),
    ),
    Case(
        "per-unit-fee-on-a-question-without-max",
        _seats_without_max,
        ON,
        "permits[0].fee.unit_cents",
        "question seats allows any number of units (it has no max)",
        line=("unit_cents: 500",),
    ),
    Case(
        "permits-could-cost-more-than-an-invoice-holds",
        _dear_permits,
        TO,
        "permits",
        "more than one invoice can hold ($21,474,836.47)",
        line=("permits:", "- "),
    ),
    Case(
        "fee-in-dollars-not-cents",
        set_(TO, "permits", 1, "fee", "amount_cents", value=250.50),
        TO,
        "permits[1].fee.amount_cents",
        "whole cents",
        line=("amount_cents: 250.5",),
    ),
    Case(
        "unknown-fee-kind",
        set_(TO, "permits", 1, "fee", "kind", value="hourly"),
        TO,
        "permits[1].fee.kind",
        "'hourly' is not one of: flat, per_unit, tiered",
        line=("kind: hourly",),
    ),
    Case(
        "choices-on-number-question",
        _choices_on_number,
        ON,
        "questions[1]",
        "'choices' is only allowed on questions and fields of type choice",
        line=("id: seats",),
    ),
    Case(
        "choice-question-without-choices",
        delete(ON, "questions", 0, "choices"),
        ON,
        "questions[0]",
        "missing required key 'choices'",
        line=("id: activity",),
    ),
    Case(
        "bad-postal-prefix-form",
        set_(TO, "jurisdiction", "postal_prefixes", value=["m5v"]),
        TO,
        "jurisdiction.postal_prefixes[0]",
        "'m5v' is not in the expected form (a postal-code prefix",
        line=("postal_prefixes",),
    ),
    Case(
        "url-not-https",
        set_(TO, "agencies", 0, "url", value="http://www.toronto.ca/mls"),
        TO,
        "agencies[0].url",
        "a web address beginning with https://",
        line=("url: http://",),
    ),
    Case(
        "always-false",
        set_(TO, "permits", 0, "applies_if", value={"always": False}),
        TO,
        "permits[0].applies_if.always",
        "must be true",
        line=("always: false",),
    ),
    # -- jurisdictions ------------------------------------------------------------------------
    Case(
        "duplicate-jurisdiction",
        _duplicate_jurisdiction,
        "ontario-copy.yaml",
        "jurisdiction.code",
        "jurisdiction CA-ON is already defined in on.yaml",
        line=("code: CA-ON",),
    ),
    Case(
        "unknown-parent",
        set_(TO, "jurisdiction", "parent", value="CA-QB"),
        TO,
        "jurisdiction.parent",
        "parent jurisdiction CA-QB is not among the loaded packs",
        line=("parent: CA-QB",),
    ),
    Case(
        "municipality-under-federal",
        set_(TO, "jurisdiction", "parent", value="CA"),
        TO,
        "jurisdiction.parent",
        "the parent of a municipal jurisdiction must be provincial, but CA is federal",
        line=("parent: CA",),
    ),
    Case(
        "province-without-parent",
        delete(ON, "jurisdiction", "parent"),
        ON,
        "jurisdiction",
        "a provincial jurisdiction needs a parent",
        line=("jurisdiction:", "code: CA-ON"),  # a mapping's line is that of its first key
    ),
    Case(
        "census-code-outside-province",
        set_(TO, "jurisdiction", "code", value="5915022"),
        TO,
        "jurisdiction.code",
        "census subdivision 5915022 is not in CA-ON, whose codes begin with 35",
        line=("code: '5915022'",),
    ),
    Case(
        "municipality-without-postal-prefixes",
        delete(TO, "jurisdiction", "postal_prefixes"),
        TO,
        "jurisdiction",
        "a municipality must list the postal-code prefixes it covers",
        line=("jurisdiction:", "code: '3520005'"),
    ),
    Case(
        "overlapping-postal-prefixes",
        second_municipality(["K1", "M5V"]),
        "ottawa.yaml",
        "jurisdiction.postal_prefixes[1]",
        "postal prefix M5V overlaps M, already covered by 3520005",
        line=("postal_prefixes",),
    ),
    Case(
        "postal-letter-not-in-province",
        set_(TO, "jurisdiction", "postal_prefixes", value=["M", "V6B"]),
        TO,
        "jurisdiction.postal_prefixes[1]",
        "postal codes in CA-ON begin with K or L or M or N or P, not V",
        line=("postal_prefixes",),
    ),
    # -- codes unique across the country, ids unique along a chain -----------------------------
    Case(
        "duplicate-permit-code-across-files",
        _duplicate_permit_code,
        TO,
        "permits[1].code",
        "duplicate code ON-LIQ: already used in on.yaml",
        line=("code: ON-LIQ",),
    ),
    Case(
        "duplicate-agency-code",
        _duplicate_agency,
        TO,
        "agencies[1].code",
        "duplicate code CRA: already used in ca.yaml",
        line=("code: CRA",),
    ),
    Case(
        "municipality-redeclares-federal-question",
        _redeclare_federal_question,
        TO,
        "questions[1].id",
        "question hires_staff is already asked (by this pack or a parent)",
        line=("id: hires_staff",),
    ),
    Case(
        "municipality-redeclares-federal-field",
        lambda p: p[TO]["fields"].append({"id": "legal_name", "type": "text", "label": text("Name")}),
        TO,
        "fields[1].id",
        "field legal_name is already in the catalogue",
        line=("id: legal_name",),
    ),
    # -- references -------------------------------------------------------------------------
    Case(
        "unknown-question-in-applies-if",
        set_(TO, "permits", 0, "applies_if", "question", value="cuisine"),
        TO,
        "permits[0].applies_if.question",
        "unknown question cuisine",
        line=("question: cuisine",),
    ),
    Case(
        "unknown-question-in-show-if",
        set_(TO, "questions", 0, "show_if", value={"question": "has_kitchen", "equals": True}),
        TO,
        "questions[0].show_if.question",
        "unknown question has_kitchen",
        line=("show_if",),
    ),
    Case(
        "show-if-on-a-later-question",
        _show_if_later_question,
        ON,
        "questions[1].show_if.question",
        "question serves_alcohol is not asked before this one",
        line=("id: seats", "show_if"),
    ),
    Case(
        "show-if-on-a-permit",
        set_(TO, "questions", 0, "show_if", value={"permit": "TO-EAT"}),
        TO,
        "questions[0].show_if.permit",
        "show_if can only depend on answers, not on permits",
        line=("show_if: {permit",),
    ),
    Case(
        "unknown-field",
        set_(TO, "permits", 0, "fields", value=["legal_name", "premises_adress"]),
        TO,
        "permits[0].fields[1]",
        "unknown field premises_adress",
        line=("premises_adress",),
    ),
    Case(
        "unknown-agency",
        set_(ON, "permits", 0, "agency", value="ON-AGCOO"),
        ON,
        "permits[0].agency",
        "unknown agency ON-AGCOO",
        line=("agency: ON-AGCOO",),
    ),
    Case(
        "agency-of-a-sibling-level",
        set_(ON, "permits", 0, "agency", value="TO-MLS"),
        ON,
        "permits[0].agency",
        "unknown agency TO-MLS",
        line=("agency: TO-MLS",),
    ),
    Case(
        "unknown-workflow-template",
        set_(TO, "permits", 1, "workflow", value="plan-review"),
        TO,
        "permits[1].workflow",
        "unknown workflow template plan-review; known: certification, inspection, plan_review_inspection, "
        "registration, review; defined by this pack or its ancestors: "
        "patio_review (3520005), site_check (CA-ON)",
        line=("workflow: plan-review",),
    ),
    Case(
        "program-account-outside-federal-pack",
        set_(ON, "permits", 0, "program_account", value="RT"),
        ON,
        "permits[0].program_account",
        "only a federal permit can open a program account on the Business Number",
        line=("program_account: RT",),
    ),
    Case(
        "unknown-program-account",
        set_(CA, "permits", 0, "program_account", value="RX"),
        CA,
        "permits[0].program_account",
        "RX",
        line=("program_account: RX",),
    ),
    Case(
        "depends-on-unknown-permit",
        set_(TO, "permits", 1, "depends_on", value=["TO-EAT", "ON-LIQUOR"]),
        TO,
        "permits[1].depends_on[1]",
        "unknown prerequisite permit ON-LIQUOR",
        line=("depends_on: [TO-EAT, ON-LIQUOR]",),
    ),
    Case(
        "depends-on-a-descendant",
        _depend_on_descendant,
        ON,
        "permits[0].depends_on[1]",
        "unknown prerequisite permit TO-EAT",
        line=("depends_on: [CA-BN, TO-EAT]",),
    ),
    Case(
        "depends-on-itself",
        set_(TO, "permits", 1, "depends_on", value=["TO-EAT", "TO-PATIO"]),
        TO,
        "permits[1].depends_on[1]",
        "a permit cannot depend on itself",
        line=("depends_on: [TO-EAT, TO-PATIO]",),
    ),
    Case(
        "cyclic-depends-on",
        _cycle_depends_on,
        TO,
        "permits[0].depends_on",
        "cyclic prerequisites: TO-EAT -> TO-PATIO -> TO-EAT",
        line=("depends_on: [CA-BN, TO-PATIO]",),
    ),
    Case(
        "prerequisite-of-unknown-permit",
        set_(TO, "permits", 0, "prerequisite_of", value=["ON-LIQUOR"]),
        TO,
        "permits[0].prerequisite_of[0]",
        "unknown permit ON-LIQUOR",
        line=("prerequisite_of: [ON-LIQUOR]",),
    ),
    Case(
        "prerequisite-of-itself",
        set_(TO, "permits", 0, "prerequisite_of", value=["TO-EAT"]),
        TO,
        "permits[0].prerequisite_of[0]",
        "a permit cannot be a prerequisite of itself",
        line=("prerequisite_of: [TO-EAT]",),
    ),
    Case(
        "cyclic-prerequisites-across-levels",
        _cycle_across_levels,
        TO,
        "permits[0].depends_on",
        "cyclic prerequisites: TO-EAT -> ON-LIQ -> TO-EAT",
        line=("code: TO-EAT", "depends_on:"),
    ),
    Case(
        "cyclic-permit-rules",
        _cycle_rules,
        TO,
        "permits[0].applies_if",
        "cyclic rules (applies_if permit references): TO-EAT -> TO-PATIO -> TO-EAT",
        line=("code: TO-EAT", "applies_if:", "any:"),
    ),
    Case(
        "rule-reads-its-own-permit",
        set_(TO, "permits", 0, "applies_if", value={"not": {"permit": "TO-EAT"}}),
        TO,
        "permits[0].applies_if.not.permit",
        "a permit's rule cannot depend on the permit itself",
        line=("not: {permit: TO-EAT}",),
    ),
    Case(
        "suggestion-reads-unknown-permit",
        set_(ON, "suggestions", 0, "applies_if", value={"permit": "TO-EAT"}),
        ON,
        "suggestions[0].applies_if.permit",
        "unknown permit TO-EAT",
        line=("applies_if: {permit: TO-EAT}",),
    ),
    # -- fees ---------------------------------------------------------------------------------
    Case(
        "bands-not-ascending",
        set_(TO, "permits", 0, "fee", "bands", 1, "up_to", value=40),
        TO,
        "permits[0].fee.bands[1]",
        "bands must ascend: up_to 40 is not above the previous 50",
        line=("up_to: 40",),
    ),
    Case(
        "last-band-not-open-ended",
        set_(TO, "permits", 0, "fee", "bands", 2, "up_to", value=500),
        TO,
        "permits[0].fee.bands[2]",
        "the last band must be open-ended: remove its up_to",
        line=("up_to: 500",),
    ),
    Case(
        "open-ended-band-in-the-middle",
        _both_kinds_of_band_fault,
        TO,
        "permits[0].fee.bands[1]",
        "only the last band may be open-ended (no up_to)",
        line=("amount_cents: 60000",),
        count=2,  # and the last band, which has an up_to
    ),
    Case(
        "per-unit-fee-on-yes-no-question",
        set_(ON, "permits", 0, "fee", "question", value="serves_alcohol"),
        ON,
        "permits[0].fee.question",
        "a per_unit fee needs a number question, and serves_alcohol is yes_no",
        line=("question: serves_alcohol, unit_cents",),
    ),
    Case(
        "per-unit-fee-on-money-question",
        set_(ON, "permits", 0, "fee", "question", value="annual_sales"),
        ON,
        "permits[0].fee.question",
        "a per_unit fee counts units",
        line=("question: annual_sales",),
    ),
    Case(
        "tiered-fee-on-choice-question",
        set_(TO, "permits", 0, "fee", "question", value="activity"),
        TO,
        "permits[0].fee.question",
        "a tiered fee needs a number or money question, and activity is choice",
        line=("code: TO-EAT", "kind: tiered", "question: activity"),
    ),
    Case(
        "unknown-suggestion-kind",
        set_(TO, "suggestions", 0, "kind", value="mentoring"),
        TO,
        "suggestions[0].kind",
        "'mentoring' is not one of: grant, loan, coaching, licence, information",
        line=("kind: mentoring",),
    ),
    Case(
        "duplicate-suggestion-code",
        set_(TO, "suggestions", 0, "code", value="ON-STARTER"),
        TO,
        "suggestions[0].code",
        "duplicate code ON-STARTER: already used in on.yaml",
        line=("code: ON-STARTER",),
    ),
    Case(
        "tiered-fee-on-unknown-question",
        set_(TO, "permits", 0, "fee", "question", value="tables"),
        TO,
        "permits[0].fee.question",
        "unknown question tables",
        line=("question: tables",),
    ),
    # -- conditions ---------------------------------------------------------------------------
    Case(
        "yes-no-compared-with-gt",
        set_(TO, "permits", 1, "applies_if", "all", 1, value={"question": "patio", "gt": 0}),
        TO,
        "permits[1].applies_if.all[1].gt",
        "question patio is yes/no: compare it with equals: true or equals: false",
        line=("question: patio, gt: 0",),
    ),
    Case(
        "choice-compared-with-unknown-value",
        set_(TO, "permits", 0, "applies_if", "in", value=["restaurant", "cafe"]),
        TO,
        "permits[0].applies_if.in",
        "'cafe' is not a choice of question activity; choices: bar, restaurant, retail",
        line=("in: [restaurant, cafe]",),
    ),
    Case(
        "number-compared-with-text",
        set_(ON, "permits", 0, "applies_if", value={"question": "seats", "gte": "fifty"}),
        ON,
        "permits[0].applies_if.gte",
        "must be of type integer",
        line=("gte: fifty",),
    ),
    Case(
        "number-compared-with-text-in-list",
        set_(ON, "permits", 0, "applies_if", value={"question": "seats", "in": ["fifty"]}),
        ON,
        "permits[0].applies_if.in",
        "question seats is a number: compare it with whole numbers",
        line=("in: [fifty]",),
    ),
    Case(
        "at-least-count-too-large",
        set_(ON, "suggestions", 0, "applies_if", "at_least", "count", value=3),
        ON,
        "suggestions[0].applies_if.at_least.count",
        "count 3 is more than the 2 conditions listed",
        line=("count: 3",),
    ),
    Case(
        "condition-with-two-kinds",
        _two_kinds,
        TO,
        "permits[1].applies_if",
        "a condition needs exactly one of always, all, any, not, at_least, permit, question; found all, any",
        line=("code: TO-PATIO", "all:"),
    ),
    Case(
        "question-without-comparison",
        set_(TO, "suggestions", 0, "applies_if", "not", value={"question": "hires_staff"}),
        TO,
        "suggestions[0].applies_if.not",
        "question hires_staff needs exactly one comparison",
        line=("not: {question: hires_staff}",),
    ),
    Case(
        "comparison-without-question",
        set_(TO, "suggestions", 0, "applies_if", "not", value={"equals": True}),
        TO,
        "suggestions[0].applies_if.not",
        "equals needs the question it compares",
        line=("not: {equals: true}",),
    ),
    Case(
        "comparison-on-a-permit",
        set_(TO, "permits", 1, "applies_if", "all", 0, value={"permit": "TO-EAT", "equals": True}),
        TO,
        "permits[1].applies_if.all[0]",
        "equals only goes with question",
        line=("permit: TO-EAT, equals: true",),
    ),
    Case(
        "misspelt-comparison",
        set_(TO, "permits", 1, "applies_if", "all", 1, value={"question": "patio", "equal": True}),
        TO,
        "permits[1].applies_if.all[1]",
        "unknown key 'equal'",
        line=("equal: true",),
    ),
    # -- questions and fields -----------------------------------------------------------------
    Case(
        "min-above-max",
        set_(CA, "questions", 1, "min", value=600),
        CA,
        "questions[1].max",
        "max 500 is below min 600",
        line=("max: 500",),
    ),
    Case(
        "min-on-a-yes-no-question",
        set_(TO, "questions", 0, "min", value=0),
        TO,
        "questions[0]",
        "min and max only apply to numbers, not to type yes_no",
        line=("id: patio",),
    ),
    Case(
        "duplicate-choice",
        _duplicate_choice,
        ON,
        "questions[0].choices[2].value",
        "duplicate choice bar",
        line=("value: bar", "value: bar"),
    ),
    # -- workflows defined by packs -----------------------------------------------------------
    Case(
        "workflow-unknown-trigger",
        set_(TO, "workflows", 0, "transitions", 1, "trigger", value="accept"),
        TO,
        "workflows[0].transitions[1].trigger",
        "unknown trigger accept; a workflow's transitions use "
        "start, complete, approve, request_info, provide_info or reject",
        line=("workflows:", "trigger: accept"),
    ),
    Case(
        "workflow-writes-a-frame-trigger",
        set_(TO, "workflows", 0, "transitions", 1, "trigger", value="pay"),
        TO,
        "workflows[0].transitions[1].trigger",
        "pay is part of every workflow's frame and added for you: do not write it",
        line=("workflows:", "trigger: pay"),
    ),
    Case(
        "workflow-unknown-state-in-from",
        set_(TO, "workflows", 0, "transitions", 4, "from", value=["plan_check", "plan_chek"]),
        TO,
        "workflows[0].transitions[4].from[1]",
        "unknown state plan_chek: list it under states",
        line=("workflows:", "from: [plan_check, plan_chek]"),
    ),
    Case(
        "workflow-unknown-state-in-to",
        set_(TO, "workflows", 0, "transitions", 5, "to", value="aproved"),
        TO,
        "workflows[0].transitions[5].to",
        "unknown state aproved: list it under states",
        line=("workflows:", "to: aproved"),
    ),
    Case(
        "workflow-trigger-leaves-a-state-it-may-not",
        set_(TO, "workflows", 0, "transitions", 2, "from", value=["plan_check", "paid"]),
        TO,
        "workflows[0].transitions[2].from[1]",
        "request_info cannot leave paid: it leaves a step",
        line=("workflows:", "from: [plan_check, paid]"),
    ),
    Case(
        "workflow-unreachable-state",
        _unreachable_state,
        TO,
        "workflows[0].states[3]",
        "state on_hold cannot be reached",
        line=("workflows:", "states: [plan_check"),
    ),
    Case(
        "workflow-automatic-transition-without-guard",
        _automatic_without_guard,
        TO,
        "workflows[0].transitions[6]",
        "an automatic transition needs a guard",
        line=("workflows:", "trigger: complete"),
    ),
    Case(
        "workflow-automatic-cycle",
        _automatic_cycle,
        TO,
        "workflows[0].transitions[6]",
        "automatic transitions go round in a circle (issuing -> recheck -> issuing): "
        "the engine would never stop",
        line=("workflows:", "trigger: start", "trigger: start"),
    ),
    Case(
        "workflow-named-like-a-built-in-template",
        _rename_workflow("review"),
        TO,
        "workflows[0].name",
        "review is a built-in workflow template: choose another name",
        line=("workflows:", "name: review"),
    ),
    Case(
        "workflow-named-like-an-ancestor-s",
        _rename_workflow("site_check"),
        TO,
        "workflows[0].name",
        "workflow site_check is already defined by CA-ON, an ancestor of this pack",
        line=("workflows:", "name: site_check"),
    ),
    Case(
        "workflow-defined-twice-in-a-pack",
        _workflow_defined_twice,
        TO,
        "workflows[1].name",
        "workflow patio_review is already defined by this pack",
        line=("workflows:", "name: patio_review", "name: patio_review"),
    ),
    Case(
        "provide-info-does-not-return-to-the-asking-step",
        set_(TO, "workflows", 0, "transitions", 3, "to", value="issuing"),
        TO,
        "workflows[0].transitions[3].to",
        "provide_info from plan_check_info_requested must lead back to plan_check, the step that asked",
        line=("workflows:", "trigger: provide_info", "to: issuing"),
    ),
    Case(
        "request-info-does-not-lead-to-its-step-s-waiting-state",
        set_(TO, "workflows", 0, "transitions", 2, "from", value=["issuing"]),
        TO,
        "workflows[0].transitions[2].to",
        "request_info from issuing must lead to issuing_info_requested, where the case waits for the answer",
        line=("workflows:", "trigger: request_info", "to: plan_check_info_requested"),
    ),
    Case(
        "waiting-state-that-no-provide-info-leaves",
        delete(TO, "workflows", 0, "transitions", 3),
        TO,
        "workflows[0].states[1]",
        "plan_check_info_requested waits for the applicant's answer, but no provide_info leaves it",
        line=("workflows:", "states:"),
    ),
    Case(
        "workflow-starts-without-the-frame-s-guards",
        set_(TO, "workflows", 0, "transitions", 0, "guards", value=["fee_paid"]),
        TO,
        "workflows[0].transitions[0].guards",
        "leaving paid needs the guards fee_paid and prerequisites_approved, so that a permit starts only "
        "once its fee is paid and the permits it depends on are approved (missing: prerequisites_approved)",
        line=("workflows:", "guards: [fee_paid]"),
    ),
    Case(
        "workflow-leaves-paid-two-ways",
        _second_way_out_of_paid,
        TO,
        "workflows[0].transitions[6].from[0]",
        "transitions[0] already leaves paid: a permit starts one way",
        line=("workflows:", "trigger: complete", "from: [paid]"),
    ),
    Case(
        "workflow-lists-a-frame-state",
        set_(
            TO,
            "workflows",
            0,
            "states",
            value=["plan_check", "plan_check_info_requested", "issuing", "approved"],
        ),
        TO,
        "workflows[0].states[3]",
        "approved is a state of every workflow's frame: it is implied, do not list it",
        line=("workflows:", "states:"),
    ),
    Case(
        "workflow-unknown-guard",
        set_(TO, "workflows", 0, "transitions", 5, "guards", value=["inspected"]),
        TO,
        "workflows[0].transitions[5].guards[0]",
        "unknown guard inspected; known: fee_paid, prerequisites_approved",
        line=("guards: [inspected]",),
    ),
    Case(
        "workflow-clerk-event-marked-automatic",
        set_(TO, "workflows", 0, "transitions", 1, "automatic", value=True),
        TO,
        "workflows[0].transitions[1].automatic",
        "approve is done by the clerk: only start and complete are automatic",
        line=("workflows:", "automatic: true"),
    ),
    Case(
        "workflow-name-not-snake-case",
        _rename_workflow("Patio-Review"),
        TO,
        "workflows[0].name",
        "'Patio-Review' is not in the expected form (lower-case snake_case, at most 32 characters)",
        line=("workflows:", "name: Patio-Review"),
    ),
    Case(
        "permit-names-a-descendant-s-workflow",
        set_(ON, "permits", 0, "workflow", value="patio_review"),
        ON,
        "permits[0].workflow",
        f"unknown workflow template patio_review; {KNOWN_WORKFLOWS}",
        line=("workflow: patio_review",),
    ),
    Case(
        "permit-names-a-sibling-s-workflow",
        _sibling_uses_toronto_workflow,
        "ottawa.yaml",
        "permits[0].workflow",
        f"unknown workflow template patio_review; {KNOWN_WORKFLOWS}",
        line=("workflow: patio_review",),
    ),
]


def case_problems(case: Case) -> tuple[dict[str, str], tuple[PackProblem, ...]]:
    """The YAML texts of the case's packs, and the problems loading them raises."""
    packs = base_packs()
    case.mutate(packs)
    texts = {name: dump(data) for name, data in packs.items()}
    if case.edit_text is not None:
        edited = case.edit_text(texts[case.file])
        assert edited != texts[case.file], "the text edit changed nothing"
        texts[case.file] = edited
    return texts, load_problems([PackSource(name, yaml_text) for name, yaml_text in texts.items()])


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_malformed_pack_is_rejected_with_its_location(case: Case):
    texts, problems = case_problems(case)

    assert len(problems) == case.count, "\n".join(map(str, problems))
    problem = next((p for p in problems if p.file == case.file and p.path == case.path), None)
    assert problem is not None, f"no problem at {case.file} {case.path}:\n" + "\n".join(map(str, problems))
    assert case.reason in problem.reason
    if case.line is not None:
        assert problem.line == locate(texts[case.file], *case.line), str(problem)


def test_there_are_enough_distinct_cases():
    assert len({case.id for case in CASES}) == len(CASES) >= 30


# --- all or nothing ----------------------------------------------------------------------


def test_one_bad_file_of_three_loads_nothing():
    packs = base_packs()
    packs[TO]["permits"][0]["agency"] = "TO-NOBODY"
    loaded = None
    with pytest.raises(PackError) as raised:
        loaded = load_pack_set(sources(packs))
    assert loaded is None
    assert [(p.file, p.path) for p in raised.value.problems] == [(TO, "permits[0].agency")]
    # The two good files alone load fine: it was only the bad one that stopped them.
    load_pack_set(sources({CA: packs[CA], ON: packs[ON]}))


def test_schema_problems_from_several_files_are_reported_together():
    packs = base_packs()
    del packs[CA]["permits"][2]["name"]["fr"]
    packs[TO]["permits"][1]["fee"]["amount_cents"] = -1
    problems = load_problems(sources(packs))
    assert {(p.file, p.path) for p in problems} == {
        (CA, "permits[2].name"),
        (TO, "permits[1].fee.amount_cents"),
    }


def test_reference_problems_from_several_files_are_reported_together():
    packs = base_packs()
    packs[ON]["permits"][0]["workflow"] = "inspect"
    packs[TO]["permits"][0]["applies_if"] = {"question": "cuisine", "equals": "thai"}
    problems = load_problems(sources(packs))
    assert {(p.file, p.path) for p in problems} == {
        (ON, "permits[0].workflow"),
        (TO, "permits[0].applies_if.question"),
    }
    assert str(PackError(problems)).count("\n") == 1  # one line per problem


def test_no_files_at_all():
    (problem,) = load_problems([])
    assert problem.reason == "no pack files were given"


# --- how a problem reads ----------------------------------------------------------------


def test_problem_reads_file_line_path_reason():
    problem = PackProblem("toronto.yaml", "permits[3].fee.bands[1]", "bands must ascend", 42)
    assert str(problem) == "toronto.yaml:42: permits[3].fee.bands[1]: bands must ascend"
    no_line = PackProblem("toronto.yaml", "(whole file)", "no line")
    assert str(no_line) == "toronto.yaml: (whole file): no line"
    assert problem.as_dict() == {
        "file": "toronto.yaml",
        "path": "permits[3].fee.bands[1]",
        "line": 42,
        "reason": "bands must ascend",
    }


def test_error_message_lists_every_problem_in_that_format():
    packs = base_packs()
    packs[TO]["permits"][0]["fee"]["bands"][1]["up_to"] = 40
    yaml_text = dump(packs[TO])
    with pytest.raises(PackError) as raised:
        load_pack_set(sources(packs))
    line = locate(yaml_text, "up_to: 40")
    assert str(raised.value) == (
        f"toronto.yaml:{line}: permits[0].fee.bands[1]: "
        "bands must ascend: up_to 40 is not above the previous 50"
    )
