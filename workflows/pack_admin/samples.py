"""The sample businesses a preview triages before and after a change.

A reviewer needs to see what an applicant would get, not only what the YAML says. The
samples are chosen so that every municipality has some, bundled or not:

* two **realistic businesses** answered through the federal questions every municipality
  shares (a small café; a full-service restaurant with staff, alcohol, a patio, renovations
  and a sign), with a few answers to the bundled municipalities' own questions;
* the **plainest business**: every yes/no answered no, every number at its smallest, every
  choice at its first;
* **every answer yes**, numbers at 60 (or the nearest value allowed), money at $450,000;
* for each choice question of the municipality's own pack, **every answer yes with each other
  choice** (at most MAX_CHOICE_VARIANTS), so a new municipality's branches are exercised.

Each sample is then completed against the chain it is triaged with: a question the sample
does not answer (a new question, or one whose type changed) gets the plainest answer, and
the preview names those answers as assumed. The same sample can therefore be run on the
packs in force and on the new ones even when they ask different questions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from workflows.packs.model import Chain, Question
from workflows.text import Text
from workflows.triage import answer_problem

MAX_CHOICE_VARIANTS = 4
TYPICAL_NUMBER = 60
TYPICAL_MONEY_CENTS = 45_000_000  # $450,000: above the GST/HST small-supplier threshold


@dataclass(frozen=True, slots=True)
class SampleAnswers:
    key: str  # stable, for tests and anchors: "cafe", "restaurant", "plain", "all-yes", "choice-<q>-<v>"
    title: Text
    answers: Mapping[str, Any]


_CAFE = {
    "incorporated": False,
    "trades_under_other_name": True,
    "expected_annual_sales": 2_500_000,
    "gst_voluntary_registration": False,
    "hires_staff": False,
    "imports_or_exports": False,
    "prepares_food_for_export_or_interprovincial": False,
    "serves_alcohol": False,
    "seating_capacity": 20,
    "plays_music": True,
    "renovates": False,
    "outdoor_sign": True,
    "has_patio": False,
    "owner_aged_18_to_39": True,
}
_RESTAURANT = {
    **_CAFE,
    "incorporated": True,
    "expected_annual_sales": 45_000_000,
    "hires_staff": True,
    "number_of_employees": 8,
    "serves_alcohol": True,
    "seating_capacity": 60,
    "renovates": True,
    "has_patio": True,
    "patio_area_m2": 20,
    "owner_aged_18_to_39": False,
}
#: Answers to the bundled municipalities' own questions, where the plainest answer would be unrealistic.
_LOCAL: dict[str, dict[str, dict[str, Any]]] = {
    "3520005": {
        "cafe": {"opens_after_11pm": False, "entertainment": False},
        "restaurant": {"patio_type": "curb_lane", "opens_after_11pm": True, "entertainment": False},
    },
    "5915022": {"restaurant": {"patio_type": "sidewalk"}, "cafe": {"sells_taxable_goods": True}},
}
_REALISTIC = (
    SampleAnswers(
        "cafe",
        Text(
            "Small café: 20 seats, no staff, no alcohol, an outdoor sign",
            "Petit café : 20 places, sans personnel, sans alcool, une enseigne extérieure",
        ),
        _CAFE,
    ),
    SampleAnswers(
        "restaurant",
        Text(
            "Full-service restaurant: 60 seats, 8 employees, alcohol, a patio, renovations",
            "Restaurant à service complet : 60 places, 8 employés, alcool, une terrasse, des rénovations",
        ),
        _RESTAURANT,
    ),
)


def plainest_answer(question: Question) -> Any:
    """No, the smallest number allowed, or the first choice."""
    if question.type == "yes_no":
        return False
    if question.type == "choice":
        return question.choices[0].value
    return question.minimum if question.minimum is not None else 0


def _fullest_answer(question: Question) -> Any:
    if question.type == "yes_no":
        return True
    if question.type == "choice":
        return question.choices[0].value
    typical = TYPICAL_MONEY_CENTS if question.type == "money" else TYPICAL_NUMBER
    low = question.minimum if question.minimum is not None else 0
    return max(low, min(typical, question.maximum if question.maximum is not None else typical))


def sample_answer_sets(chain: Chain) -> list[SampleAnswers]:
    """The samples for one municipality's chain (the newer one when a pack changes)."""
    code = chain.municipality.code
    local = _LOCAL.get(code, {})
    samples = [
        SampleAnswers(sample.key, sample.title, {**sample.answers, **local.get(sample.key, {})})
        for sample in _REALISTIC
    ]
    samples.append(
        SampleAnswers(
            "plain",
            Text(
                "Plainest business: every answer no or the smallest",
                "Entreprise la plus simple : chaque réponse non ou la plus petite",
            ),
            {q.id: plainest_answer(q) for q in chain.questions},
        )
    )
    fullest = {q.id: _fullest_answer(q) for q in chain.questions}
    samples.append(
        SampleAnswers(
            "all-yes",
            Text(
                "Every answer yes; numbers 60, money $450,000",
                "Chaque réponse oui; nombres 60, montants 450 000 $",
            ),
            fullest,
        )
    )
    variants = [
        (question, choice)
        for question in chain.questions
        if question.jurisdiction == code and question.type == "choice"
        for choice in question.choices[1:]
    ]
    samples.extend(
        SampleAnswers(
            f"choice-{question.id}-{choice.value}",
            Text(
                f"Every answer yes, with “{question.text.en}” {choice.label.en}",
                f"Chaque réponse oui, avec « {question.text.fr} » {choice.label.fr}",
            ),
            {**fullest, question.id: choice.value},
        )
        for question, choice in variants[:MAX_CHOICE_VARIANTS]
    )
    return samples


def complete_answers(chain: Chain, given: Mapping[str, Any]) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The answers `chain` asks for: the sample's where valid, else the plainest; and which were assumed.

    Questions hidden by their show_if are left out, as triage leaves them out.
    """
    answers: dict[str, Any] = {}
    assumed: list[str] = []
    for question in chain.questions:
        if question.show_if is not None and not question.show_if.evaluate(answers, frozenset())[0]:
            continue
        value = given.get(question.id)
        if value is None or answer_problem(question, value) is not None:
            value = plainest_answer(question)
            assumed.append(question.id)
        answers[question.id] = value
    return answers, tuple(assumed)
