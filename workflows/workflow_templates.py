"""The workflow templates a permit can follow, by the name packs use for them.

A template is data: its states and its transitions (trigger, sources, destination, guard
names, who acts). The permit state machines in `workflows.permit_workflow` are built
from these definitions, and the documentation's tables and diagrams are drawn from them.
Packs may only name templates listed here, so a typo is caught when the pack loads, not
when a clerk acts.

Every template has the same frame: a permit case starts in `draft`, is submitted with
its application, then paid; it moves on by itself once its fee is paid and the permits
it depends on are approved; it ends `approved`, `rejected` or `withdrawn`. In between,
each step a clerk decides can approve (to the next step, or to `approved` after the
last), reject, or ask the applicant for more information, which brings the case back to
the same step once the applicant answers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any, Literal

from workflows.text import Text

DRAFT = "draft"
SUBMITTED = "submitted"
PAID = "paid"
APPROVED = "approved"
REJECTED = "rejected"
WITHDRAWN = "withdrawn"
FINAL_STATES = frozenset({APPROVED, REJECTED, WITHDRAWN})
INFO_REQUESTED_SUFFIX = "_info_requested"

Actor = Literal["applicant", "clerk", "system"]


@dataclass(frozen=True, slots=True)
class GuardContext:
    """What a guard may look at besides the case: the state of every case of the application."""

    states: Mapping[str, str]  # permit code -> state


@dataclass(frozen=True, slots=True)
class Guard:
    """A named condition a transition needs; `check(case, context)` must be pure (no database)."""

    name: str
    description: Text
    check: Callable[[Any, GuardContext], bool]


def _fee_paid(case: Any, _context: GuardContext) -> bool:
    return case.paid_at is not None


def _prerequisites_approved(case: Any, context: GuardContext) -> bool:
    # Prerequisites are those present in the application; a code with no case there is not required.
    return all(context.states[code] == APPROVED for code in case.prerequisites if code in context.states)


GUARDS: dict[str, Guard] = {
    guard.name: guard
    for guard in (
        Guard("fee_paid", Text("The fee is paid.", "Les droits sont payés."), _fee_paid),
        Guard(
            "prerequisites_approved",
            Text(
                "Every permit this one depends on is approved.",
                "Tous les permis dont celui-ci dépend sont approuvés.",
            ),
            _prerequisites_approved,
        ),
    )
}


@dataclass(frozen=True, slots=True)
class Transition:
    """One arrow of a workflow. `automatic` ones are fired by the engine as soon as their guards hold."""

    trigger: str
    sources: tuple[str, ...]
    dest: str
    by: Actor
    guards: tuple[str, ...] = ()
    automatic: bool = False


@dataclass(frozen=True, slots=True)
class WorkflowTemplate:
    name: str
    description: Text
    clerk_steps: tuple[str, ...]  # steps a licensing clerk decides, in order
    states: tuple[str, ...]
    transitions: tuple[Transition, ...]
    initial: str = DRAFT
    #: Transitions leaving each state, in declaration order (derived).
    leaving: Mapping[str, tuple[Transition, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        leaving: dict[str, list[Transition]] = {state: [] for state in self.states}
        for transition in self.transitions:
            for source in transition.sources:
                leaving.setdefault(source, []).append(transition)
        object.__setattr__(self, "leaving", {state: tuple(ts) for state, ts in leaving.items()})

    @property
    def events(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(transition.trigger for transition in self.transitions))

    @property
    def queued_states(self) -> frozenset[str]:
        """Paid and waiting, or at the first clerk step with nothing decided yet."""
        return frozenset({PAID, *self.clerk_steps[:1]})


def info_requested(step: str) -> str:
    """The state where `step` waits for the applicant's answer."""
    return step + INFO_REQUESTED_SUFFIX


def _template(name: str, description: Text, clerk_steps: tuple[str, ...]) -> WorkflowTemplate:
    """The common frame around `clerk_steps`.

    With no clerk step (a registration) the permit is granted as soon as it may start, so
    nobody can ask for information or refuse it: it has no `rejected` state.
    """
    states = [DRAFT, SUBMITTED, PAID]
    transitions = [
        Transition("submit", (DRAFT,), SUBMITTED, "applicant"),
        Transition("withdraw", (DRAFT, SUBMITTED, PAID), WITHDRAWN, "applicant"),
        Transition("pay", (SUBMITTED,), PAID, "system"),
        Transition(
            "start" if clerk_steps else "complete",
            (PAID,),
            clerk_steps[0] if clerk_steps else APPROVED,
            "system",
            ("fee_paid", "prerequisites_approved"),
            automatic=True,
        ),
    ]
    for step, following in pairwise((*clerk_steps, APPROVED)):
        waiting = info_requested(step)
        states += [step, waiting]
        transitions += [
            Transition("approve", (step,), following, "clerk"),
            Transition("request_info", (step,), waiting, "clerk"),
            Transition("provide_info", (waiting,), step, "applicant"),
            Transition("reject", (step, waiting), REJECTED, "clerk"),
        ]
    states += [APPROVED, REJECTED, WITHDRAWN] if clerk_steps else [APPROVED, WITHDRAWN]
    return WorkflowTemplate(name, description, clerk_steps, tuple(states), tuple(transitions))


def template_problems(template: WorkflowTemplate) -> list[str]:
    """What is wrong with a definition (empty when it is sound): checked before a machine is built."""
    problems = []
    states = set(template.states)
    if len(states) != len(template.states):
        problems.append("a state is listed twice")
    for required in (DRAFT, SUBMITTED, PAID, APPROVED, WITHDRAWN):
        if required not in states:
            problems.append(f"missing state {required}")
    if template.initial != DRAFT:
        problems.append(f"the initial state must be {DRAFT}, not {template.initial}")
    for transition in template.transitions:
        for state in (*transition.sources, transition.dest):
            if state not in states:
                problems.append(f"{transition.trigger}: unknown state {state}")
        for source in transition.sources:
            if source in FINAL_STATES:
                problems.append(f"{transition.trigger}: {source} is final and cannot be left")
        for guard in transition.guards:
            if guard not in GUARDS:
                problems.append(f"{transition.trigger}: unknown guard {guard}")
        if transition.automatic and not transition.guards:
            problems.append(f"{transition.trigger}: an automatic transition needs a guard")
    reached, frontier = {template.initial}, [template.initial]
    while frontier:
        for transition in template.leaving.get(frontier.pop(), ()):
            if transition.dest not in reached:
                reached.add(transition.dest)
                frontier.append(transition.dest)
    problems += [f"state {state} cannot be reached" for state in template.states if state not in reached]
    if _automatic_cycle(template):
        problems.append("automatic transitions go round in a circle: the engine would never stop")
    return problems


def _automatic_cycle(template: WorkflowTemplate) -> bool:
    following: dict[str, set[str]] = {}
    for transition in template.transitions:
        if transition.automatic:
            for source in transition.sources:
                following.setdefault(source, set()).add(transition.dest)
    while following:  # strip states that lead nowhere automatically; a circle never strips
        ends = {state for state, dests in following.items() if not dests & following.keys()}
        if not ends:
            return True
        following = {state: dests for state, dests in following.items() if state not in ends}
    return False


WORKFLOW_TEMPLATES: dict[str, WorkflowTemplate] = {
    template.name: template
    for template in (
        _template(
            "registration",
            Text(
                "Registered as soon as the application is submitted and paid.",
                "Inscription dès que la demande est soumise et payée.",
            ),
            (),
        ),
        _template(
            "review",
            Text(
                "A licensing clerk reviews the application and approves or refuses it.",
                "Un agent des permis examine la demande puis l'approuve ou la refuse.",
            ),
            ("review",),
        ),
        _template(
            "inspection",
            Text(
                "An inspector visits the premises before the permit is approved.",
                "Un inspecteur visite les lieux avant l'approbation du permis.",
            ),
            ("inspection", "final_approval"),
        ),
        _template(
            "plan_review_inspection",
            Text(
                "Plans are reviewed before work starts, then the premises are inspected.",
                "Les plans sont examinés avant les travaux, puis les lieux sont inspectés.",
            ),
            ("plan_review", "inspection", "final_approval"),
        ),
        _template(
            "certification",
            Text(
                "The applicant shows proof of a certification (for example a course).",
                "Le demandeur fournit la preuve d'une certification (par exemple un cours).",
            ),
            ("proof_check",),
        ),
    )
}


def _check_templates() -> None:
    for name, template in WORKFLOW_TEMPLATES.items():
        if problems := template_problems(template):
            raise RuntimeError(f"workflow template {name} is malformed: {'; '.join(problems)}")


_check_templates()
