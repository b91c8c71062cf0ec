"""Declarative conditions over triage answers, compiled once when a pack loads.

Packs say *when* a permit, a suggestion or a follow-up question applies with a small
tree of `all` / `any` / `not` / `at_least` and leaf comparisons on answers or on other
permits. Nothing is ever `eval`-ed: the tree is data, compiled into these objects.

Evaluation also explains itself: `evaluate` returns the facts (answered questions and
applying permits) that decided the result, which become the human-readable reasons.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

Answers = Mapping[str, Any]
#: A fact is ("question", id) or ("permit", code): what a decision rested on.
Fact = tuple[str, str]

COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "equals": operator.eq,
    "not_equals": operator.ne,
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
    "in": lambda answer, allowed: answer in allowed,
}
ORDERED_COMPARISONS = frozenset({"gt", "gte", "lt", "lte"})


class Condition:
    """A compiled condition. `evaluate` returns (holds, facts it rested on)."""

    __slots__ = ()

    def evaluate(self, answers: Answers, applied: frozenset[str] | set[str]) -> tuple[bool, tuple[Fact, ...]]:
        raise NotImplementedError

    def question_ids(self) -> set[str]:
        """Every question this condition reads, for reference checks."""
        raise NotImplementedError

    def permit_codes(self) -> set[str]:
        """Every permit this condition reads, for reference and cycle checks."""
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class Always(Condition):
    def evaluate(self, answers, applied):
        return True, ()

    def question_ids(self):
        return set()

    def permit_codes(self):
        return set()


@dataclass(frozen=True, slots=True)
class Compare(Condition):
    """A comparison of one answer with a value. An unanswered question never matches."""

    question: str
    op: str
    value: Any

    def evaluate(self, answers, applied):
        answer = answers.get(self.question)
        if answer is None:
            return False, ((("question", self.question)),)
        return COMPARISONS[self.op](answer, self.value), (("question", self.question),)

    def question_ids(self):
        return {self.question}

    def permit_codes(self):
        return set()


@dataclass(frozen=True, slots=True)
class PermitApplies(Condition):
    """True when another permit applies: a Business Number is needed once any program account is."""

    permit: str

    def evaluate(self, answers, applied):
        return self.permit in applied, (("permit", self.permit),)

    def question_ids(self):
        return set()

    def permit_codes(self):
        return {self.permit}


@dataclass(frozen=True, slots=True)
class Not(Condition):
    inner: Condition

    def evaluate(self, answers, applied):
        holds, facts = self.inner.evaluate(answers, applied)
        return not holds, facts

    def question_ids(self):
        return self.inner.question_ids()

    def permit_codes(self):
        return self.inner.permit_codes()


@dataclass(frozen=True, slots=True)
class AtLeast(Condition):
    """At least `count` of the parts hold; `all` and `any` are its two extremes."""

    count: int
    parts: tuple[Condition, ...]

    def evaluate(self, answers, applied):
        holding: list[Fact] = []
        failing: list[Fact] = []
        matched = 0
        for part in self.parts:
            holds, facts = part.evaluate(answers, applied)
            if holds:
                matched += 1
                holding.extend(facts)
            else:
                failing.extend(facts)
        if matched >= self.count:
            return True, tuple(holding)
        return False, tuple(failing)

    def question_ids(self):
        return set().union(*(part.question_ids() for part in self.parts))

    def permit_codes(self):
        return set().union(*(part.permit_codes() for part in self.parts))


def _itself(leaf: Condition) -> Condition:
    return leaf


def compile_condition(data: Mapping[str, Any], leaf: Callable[[Condition], Condition] = _itself) -> Condition:
    """Turn a condition as written in a pack (already schema-checked) into a Condition.

    `leaf` is given every leaf built (a comparison, a permit, `always`) and returns the one to
    use: loading thousands of packs passes one that hands back a single object for equal leaves.
    """
    if "always" in data:
        return leaf(Always())
    if "all" in data:
        parts = tuple(compile_condition(part, leaf) for part in data["all"])
        return AtLeast(len(parts), parts)
    if "any" in data:
        return AtLeast(1, tuple(compile_condition(part, leaf) for part in data["any"]))
    if "at_least" in data:
        spec = data["at_least"]
        return AtLeast(spec["count"], tuple(compile_condition(part, leaf) for part in spec["of"]))
    if "not" in data:
        return Not(compile_condition(data["not"], leaf))
    if "permit" in data:
        return leaf(PermitApplies(data["permit"]))
    (op,) = (key for key in data if key in COMPARISONS)
    value = data[op]
    if op == "in":
        value = frozenset(value)
    return leaf(Compare(data["question"], op, value))


def comparison_leaves(data: Mapping[str, Any], path: tuple[Any, ...]):
    """Yield (path, leaf) for every question comparison in a raw condition, for semantic checks."""
    for key in ("all", "any"):
        if key in data:
            for index, part in enumerate(data[key]):
                yield from comparison_leaves(part, (*path, key, index))
            return
    if "at_least" in data:
        for index, part in enumerate(data["at_least"]["of"]):
            yield from comparison_leaves(part, (*path, "at_least", "of", index))
        return
    if "not" in data:
        yield from comparison_leaves(data["not"], (*path, "not"))
        return
    if "question" in data:
        yield path, data
