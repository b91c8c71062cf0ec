"""docs/packs.md stays true to the code: its example pack loads and triages as it says.

The guide's complete example pack (the ```yaml block for Ottawa) is loaded with minimal federal and Ontario
packs that declare exactly what the guide says the example borrows from them; the
guide's ```json answers are triaged, and the result table and totals the guide prints
must be the ones the engine produces.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from workflows.packs import PackError, PackSource, load_pack_set
from workflows.triage import TriageEngine, format_cents

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "packs.md"

FEDERAL = """\
format: 1
jurisdiction: {code: CA, level: federal, name: {en: Canada, fr: Canada}}
agencies:
  - {code: CRA, name: {en: Canada Revenue Agency, fr: Agence du revenu du Canada}, gl_account: GL-CRA-1}
questions:
  - id: hires_staff
    type: yes_no
    text: {en: "Will you hire staff?", fr: "Embaucherez-vous du personnel?"}
fields:
  - {id: legal_name, type: text, label: {en: Legal name, fr: Nom légal}}
  - {id: premises_address, type: long_text, label: {en: Premises address, fr: Adresse des lieux}}
permits:
  - code: CA-BN
    name: {en: Business Number, fr: Numéro d'entreprise}
    description: {en: Your number for federal programs., fr: Votre numéro pour les programmes fédéraux.}
    agency: CRA
    applies_if: {question: hires_staff, equals: true}
    fee: {kind: flat, amount_cents: 0}
    processing_days: 1
    workflow: registration
    refundable: false
"""

ONTARIO = """\
format: 1
jurisdiction: {code: CA-ON, level: provincial, parent: CA, name: {en: Ontario, fr: Ontario}}
"""


def fenced_blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```$", GUIDE.read_text(encoding="utf-8"), re.M | re.S)


@pytest.fixture(scope="module")
def guide() -> str:
    return GUIDE.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def example() -> str:
    # Shorter snippets illustrate single keys; exactly one block is the complete example pack.
    (block,) = [block for block in fenced_blocks("yaml") if block.startswith("# ottawa.yaml")]
    return block


@pytest.fixture(scope="module")
def engine(example: str) -> TriageEngine:
    return TriageEngine(
        load_pack_set(
            [
                PackSource("ca.yaml", FEDERAL),
                PackSource("on.yaml", ONTARIO),
                PackSource("ottawa.yaml", example),
            ]
        )
    )


def test_example_is_ottawa_under_ontario(engine: TriageEngine):
    chain = engine.packs.chains["3506008"]
    assert [j.code for j in chain.jurisdictions] == ["CA", "CA-ON", "3506008"]
    assert {p.code for p in engine.packs.packs["3506008"].permits} == {
        "OTT-FOOD",
        "OTT-TRUCK",
        "OTT-HOME",
        "OTT-CERT",
    }


def test_every_key_of_the_example_is_commented(example: str):
    """The guide promises a comment on every key: each line opening a key has one (en/fr aside)."""
    for line in example.splitlines():
        opens_a_key = re.match(r"^\s*(- )?([a-z_]+):", line)
        if opens_a_key and opens_a_key[2] not in ("en", "fr"):
            assert "#" in line, f"no comment on: {line}"


def test_example_triage_gives_what_the_guide_says(engine: TriageEngine, guide: str):
    (answers_block,) = fenced_blocks("json")
    answers = json.loads(answers_block)
    result = engine.triage("3506008", answers)

    assert [outcome.permit.code for outcome in result.permits] == ["OTT-CERT", "OTT-TRUCK"]
    for number, outcome in enumerate(result.permits, 1):
        row = (
            f"| {number} | {outcome.permit.code} | {outcome.permit.name.en} | "
            f"{format_cents(outcome.fee_cents, 'en')} | {'; '.join(outcome.reason_texts('en'))} |"
        )
        assert row in guide, f"the guide's result table lacks: {row}"
    total = f"Total fee: **{format_cents(result.total_fee_cents, 'en')}**; "
    days = f"estimated time to open: **{result.estimated_days} days**."
    assert total + days in guide
    assert (result.total_fee_cents, result.estimated_days) == (70000, 12)
    assert [s.suggestion.code for s in result.suggestions] == ["OTT-COACH"]
    assert "seats" not in [q.id for q in engine.questions("3506008", answers)]


def test_storefront_uses_the_tiered_fee_the_comments_describe(engine: TriageEngine):
    answers = {"hires_staff": True, "premises": "storefront", "sells_food": True, "seats": 51}
    result = engine.triage("3506008", answers)
    assert [o.permit.code for o in result.permits] == ["CA-BN", "OTT-CERT", "OTT-FOOD"]
    assert {o.permit.code: o.fee_cents for o in result.permits}["OTT-FOOD"] == 54000  # 51 to 200 seats
    assert result.estimated_days == 22  # OTT-CERT 2 days, then OTT-FOOD 20 days


def test_example_depends_on_what_the_guide_says_it_borrows(example: str):
    """Without the federal pack the guide names, the example is rejected for those references."""
    with pytest.raises(PackError) as raised:
        load_pack_set(
            [
                PackSource(
                    "ca.yaml", "format: 1\njurisdiction: {code: CA, level: federal, name: {en: C, fr: C}}"
                ),
                PackSource("on.yaml", ONTARIO),
                PackSource("ottawa.yaml", example),
            ]
        )
    reasons = " ".join(problem.reason for problem in raised.value.problems)
    for borrowed in ("hires_staff", "legal_name", "premises_address", "CA-BN"):
        assert borrowed in reasons


def test_error_example_in_the_guide_has_the_real_format(guide: str):
    assert (
        "toronto.yaml:42: permits[3].fee.bands[1]: bands must ascend: up_to 40 is not above the previous 50"
        in guide
    )


def test_example_parses_with_the_pure_python_yaml_parser(example: str):
    """libyaml accepts some text (a "?" inside braces) that the pure-Python parser refuses."""
    data = yaml.safe_load(example)
    assert data["jurisdiction"]["code"] == "3506008"
