"""Triage: from one municipality and one set of answers to every permit needed.

The engine looks up the municipality's chain (municipal, provincial, federal packs),
keeps only the questions that apply, checks each answer, evaluates every permit's
rule, orders the permits so that prerequisites come first, and explains each one with
the answers that triggered it. It never raises on bad input: bad answers come back as
field-level errors the caller can show as they are.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from babel.numbers import format_currency, format_decimal

from workflows.conditions import Fact
from workflows.packs.model import Chain, Jurisdiction, PackSet, Permit, Question, Suggestion
from workflows.text import FieldError, Text
from workflows.value_checks import (
    WHOLE_NUMBER,
    bounds_problem,
    choice_problem,
    is_whole_number,
    yes_no_problem,
)

YES_NO = {True: Text("Yes", "Oui"), False: Text("No", "Non")}
BABEL_LOCALES = {"en": "en_CA", "fr": "fr_CA"}


def format_cents(cents: int, language: str) -> str:
    """$1,234.56 in English, 1 234,56 $ in French."""
    return format_currency(Decimal(cents) / 100, "CAD", locale=BABEL_LOCALES.get(language, "en_CA"))


class TriageError(Exception):
    def __init__(self, errors: list[FieldError]):
        self.errors = errors
        super().__init__("; ".join(f"{e.field}: {e.message.en}" for e in errors))


@dataclass(frozen=True, slots=True)
class Reason:
    """One fact behind a permit: an answer the applicant gave, or another permit that needs it."""

    fact: Fact
    chain: Chain
    answers: Mapping[str, Any]

    def text(self, language: str) -> str:
        kind, key = self.fact
        if kind == "permit":
            permit = next(p for p in self.chain.permits if p.code == key)
            return Text(
                f"Needed because you need: {permit.name.en}",
                f"Requis parce qu'il vous faut : {permit.name.fr}",
            ).in_(language)
        question = self.chain.questions_by_id[key]
        separator = " : " if language == "fr" else ": "
        return (
            f"{question.text.in_(language)}{separator}{display_answer(question, self.answers[key], language)}"
        )


ALWAYS = Text(
    "Required for every business of this kind here.", "Requis pour toute entreprise de ce type ici."
)


def display_answer(question: Question, answer: Any, language: str) -> str:
    if question.type == "yes_no":
        return YES_NO[answer].in_(language)
    if question.type == "money":
        return format_cents(answer, language)
    if question.type == "choice":
        label = question.choice_label(answer)
        return label.in_(language) if label else str(answer)
    number = format_decimal(answer, locale=BABEL_LOCALES.get(language, "en_CA"))
    return f"{number} {question.unit.in_(language)}" if question.unit else number


@dataclass(frozen=True, slots=True)
class PermitOutcome:
    permit: Permit
    fee_cents: int
    depends_on: tuple[str, ...]  # prerequisites that also apply, in result order
    reasons: tuple[Reason, ...]
    ready_after_days: int  # earliest day it can be granted, counting its prerequisites

    def reason_texts(self, language: str) -> list[str]:
        return [reason.text(language) for reason in self.reasons] or [ALWAYS.in_(language)]


@dataclass(frozen=True, slots=True)
class SuggestionOutcome:
    suggestion: Suggestion
    reasons: tuple[Reason, ...]


@dataclass(frozen=True, slots=True)
class TriageResult:
    municipality: Jurisdiction
    answers: Mapping[str, Any]
    permits: tuple[PermitOutcome, ...]  # prerequisites first
    suggestions: tuple[SuggestionOutcome, ...]
    total_fee_cents: int
    estimated_days: int  # the longest chain of processing times through the prerequisites


class TriageEngine:
    """Triage over one immutable PackSet. Safe to share between threads."""

    def __init__(self, packs: PackSet):
        self.packs = packs

    def chain(self, jurisdiction: str) -> Chain:
        """The municipality's chain; raises TriageError naming `jurisdiction` if there is none."""
        chain = self.packs.chains.get(jurisdiction)
        if chain is None:
            if jurisdiction in self.packs.packs:
                message = Text(
                    f"{jurisdiction} is not a municipality: triage needs the municipality "
                    "where the business will operate.",
                    f"{jurisdiction} n'est pas une municipalité : le triage demande la "
                    "municipalité où l'entreprise exercera ses activités.",
                )
            else:
                message = Text(
                    f"Unknown municipality {jurisdiction!r}.", f"Municipalité inconnue : {jurisdiction!r}."
                )
            raise TriageError([FieldError("jurisdiction", message)])
        return chain

    def questions(self, jurisdiction: str, answers: Mapping[str, Any] | None = None) -> list[Question]:
        """Every question of the chain, or with `answers`, only those whose show_if holds."""
        chain = self.chain(jurisdiction)
        if answers is None:
            return list(chain.questions)
        return [
            q for q in chain.questions if q.show_if is None or q.show_if.evaluate(answers, frozenset())[0]
        ]

    def validate_answers(
        self, chain: Chain, answers: Mapping[str, Any], *, require_all: bool = True
    ) -> tuple[dict[str, Any], list[FieldError]]:
        """Keep the answers to questions that apply; report unknown ids, wrong types, bounds, gaps.

        Answers to questions hidden by their show_if are dropped: they cannot affect the result.
        """
        errors = [
            FieldError(
                f"answers.{key}",
                Text(
                    f"Unknown question {key!r} for {chain.municipality.name.en}.",
                    f"Question inconnue {key!r} pour {chain.municipality.name.fr}.",
                ),
            )
            for key in answers
            if key not in chain.questions_by_id
        ]
        clean: dict[str, Any] = {}
        for question in chain.questions:
            if question.show_if is not None and not question.show_if.evaluate(clean, frozenset())[0]:
                continue
            value = answers.get(question.id)
            if value is None:
                if require_all:
                    errors.append(
                        FieldError(
                            f"answers.{question.id}",
                            Text("This question needs an answer.", "Cette question demande une réponse."),
                        )
                    )
                continue
            problem = answer_problem(question, value)
            if problem is None:
                clean[question.id] = value
            else:
                errors.append(FieldError(f"answers.{question.id}", problem))
        return clean, errors

    def triage(self, jurisdiction: str, answers: Mapping[str, Any]) -> TriageResult:
        chain = self.chain(jurisdiction)
        clean, errors = self.validate_answers(chain, answers)
        if errors:
            raise TriageError(errors)
        return evaluate(chain, clean)


def evaluate(chain: Chain, answers: Mapping[str, Any]) -> TriageResult:
    """Apply every rule of the chain to answers already validated."""
    applied: set[str] = set()
    matched: dict[str, tuple[Permit, tuple[Fact, ...]]] = {}
    rank: dict[str, int] = {}  # the chain's permit_rank of the permits that apply
    for index, permit in enumerate(chain.permits):  # rule order: a rule may read permits before it
        holds, facts = permit.applies_if.evaluate(answers, applied)
        if holds:
            applied.add(permit.code)
            matched[permit.code] = (permit, facts)
            rank[permit.code] = index
    before = {
        code: tuple(sorted((d for d in chain.prerequisites(permit) if d in matched), key=rank.__getitem__))
        for code, (permit, _facts) in matched.items()
    }
    outcomes: list[PermitOutcome] = []
    ready: dict[str, int] = {}
    for code in _prerequisites_first(before, rank):
        permit, facts = matched[code]
        prerequisites = before[code]
        ready[code] = permit.processing_days + max((ready[d] for d in prerequisites), default=0)
        outcomes.append(
            PermitOutcome(
                permit,
                permit.fee.amount_cents(answers),
                prerequisites,
                _reasons(chain, answers, facts, applied),
                ready[code],
            )
        )
    suggestions = []
    for suggestion in chain.suggestions:
        holds, facts = suggestion.applies_if.evaluate(answers, applied)
        if holds:
            suggestions.append(SuggestionOutcome(suggestion, _reasons(chain, answers, facts, applied)))
    return TriageResult(
        municipality=chain.municipality,
        answers=answers,
        permits=tuple(outcomes),
        suggestions=tuple(suggestions),
        total_fee_cents=sum(outcome.fee_cents for outcome in outcomes),
        estimated_days=max(ready.values(), default=0),
    )


def _prerequisites_first(before: Mapping[str, tuple[str, ...]], rank: Mapping[str, int]) -> list[str]:
    """Kahn's algorithm; among permits that are ready, federal and earlier-declared ones first."""
    waiting = {code: set(prerequisites) for code, prerequisites in before.items()}
    dependants: dict[str, list[str]] = {code: [] for code in before}
    for code, prerequisites in waiting.items():
        for prerequisite in prerequisites:
            dependants[prerequisite].append(code)
    heap = [(rank[code], code) for code, prerequisites in waiting.items() if not prerequisites]
    heapq.heapify(heap)
    order = []
    while heap:
        _, code = heapq.heappop(heap)
        order.append(code)
        for dependant in dependants[code]:
            waiting[dependant].discard(code)
            if not waiting[dependant]:
                heapq.heappush(heap, (rank[dependant], dependant))
    return order


def _reasons(
    chain: Chain, answers: Mapping[str, Any], facts: tuple[Fact, ...], applied: set[str]
) -> tuple[Reason, ...]:
    """One reason per distinct fact, skipping questions left unanswered and permits that do
    not apply (a `not: {permit: X}` rule rests on X, but "you need X" would be false)."""
    seen = dict.fromkeys(fact for fact in facts if fact[1] in (applied if fact[0] == "permit" else answers))
    return tuple(Reason(fact, chain, answers) for fact in seen)


def answer_problem(question: Question, value: Any) -> Text | None:
    """Why `value` is not a valid answer to `question`, or None when it is."""
    if question.type == "yes_no":
        return yes_no_problem(value)
    if question.type == "choice":
        return choice_problem(value, question.choices)
    if not is_whole_number(value):
        if question.type == "money":
            return Text(
                "Enter an amount in whole cents (for example 3000000 for $30,000).",
                "Entrez un montant en cents entiers (par exemple 3000000 pour 30 000 $).",
            )
        return WHOLE_NUMBER
    return bounds_problem(value, question.minimum, question.maximum, lambda bound: _bound(question, bound))


def _bound(question: Question, value: int) -> Text:
    """A bound as the applicant typed it: dollars for money, a plain number otherwise."""
    if question.type == "money":
        return Text(format_cents(value, "en"), format_cents(value, "fr"))
    return Text(format_decimal(value, locale="en_CA"), format_decimal(value, locale="fr_CA"))
