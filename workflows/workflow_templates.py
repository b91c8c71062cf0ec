"""The workflow templates a permit can follow: the built-in ones, and those packs define.

A template is data: its states and its transitions (trigger, sources, destination, guard
names, who acts). The permit state machines in `workflows.permit_workflow` are built
from these definitions, and the documentation's tables and diagrams are drawn from them.
A pack names a built-in template or a workflow of its own chain, so a typo is caught when
the pack loads, not when a clerk acts.

Every template has the same frame: a permit case starts in `draft`, is submitted with
its application, then paid; it moves on by itself once its fee is paid and the permits
it depends on are approved; it ends `approved`, `rejected` or `withdrawn`. In between,
each step a clerk decides can approve (to the next step, or to `approved` after the
last), reject, or ask the applicant for more information, which brings the case back to
the same step once the applicant answers.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from threading import Lock
from typing import Any, Literal

from workflows.text import Text

DRAFT = "draft"
SUBMITTED = "submitted"
PAID = "paid"
APPROVED = "approved"
REJECTED = "rejected"
WITHDRAWN = "withdrawn"
FINAL_STATES = frozenset({APPROVED, REJECTED, WITHDRAWN})
#: The states every workflow shares; a pack's workflow lists only its own states between them.
FRAME_STATES = frozenset({DRAFT, SUBMITTED, PAID, APPROVED, REJECTED, WITHDRAWN})
INFO_REQUESTED_SUFFIX = "_info_requested"

Actor = Literal["applicant", "clerk", "system"]

#: The engine's vocabulary of triggers, and who fires each. Every workflow uses only these, so
#: the clerk's actions (approve, request_info, reject) and the applicant's (submit, withdraw,
#: provide_info) mean the same thing whatever workflow a permit follows.
TRIGGER_ACTORS: dict[str, Actor] = {
    "submit": "applicant",
    "withdraw": "applicant",
    "pay": "system",
    "start": "system",
    "complete": "system",
    "approve": "clerk",
    "request_info": "clerk",
    "provide_info": "applicant",
    "reject": "clerk",
}
#: Fired by the engine as soon as their guards hold, never by a person.
AUTOMATIC_TRIGGERS = frozenset({"start", "complete"})
#: The guards of the transition leaving `paid`: nothing starts unpaid or before its prerequisites.
START_GUARDS = ("fee_paid", "prerequisites_approved")


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
        """Paid and waiting, or where the case went by itself from there, with nothing decided yet.

        For the built-in templates: `paid` and the first clerk step.
        """
        queued, frontier = {PAID}, [PAID]
        while frontier:
            for transition in self.leaving.get(frontier.pop(), ()):
                if transition.automatic and transition.dest not in FINAL_STATES | queued:
                    queued.add(transition.dest)
                    frontier.append(transition.dest)
        return frozenset(queued)


def info_requested(step: str) -> str:
    """The state where `step` waits for the applicant's answer."""
    return step + INFO_REQUESTED_SUFFIX


#: submit, withdraw and pay: the same in every workflow, built-in or a pack's, because the
#: engine submits and pays all of an application's permits together.
FRAME_TRANSITIONS = (
    Transition("submit", (DRAFT,), SUBMITTED, "applicant"),
    Transition("withdraw", (DRAFT, SUBMITTED, PAID), WITHDRAWN, "applicant"),
    Transition("pay", (SUBMITTED,), PAID, "system"),
)


def _template(name: str, description: Text, clerk_steps: tuple[str, ...]) -> WorkflowTemplate:
    """The common frame around `clerk_steps`.

    With no clerk step (a registration) the permit is granted as soon as it may start, so
    nobody can ask for information or refuse it: it has no `rejected` state.
    """
    states = [DRAFT, SUBMITTED, PAID]
    transitions = [
        *FRAME_TRANSITIONS,
        Transition(
            "start" if clerk_steps else "complete",
            (PAID,),
            clerk_steps[0] if clerk_steps else APPROVED,
            "system",
            START_GUARDS,
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


def framed_template(
    name: str, description: Text, own_states: Sequence[str], own_transitions: Sequence[Transition]
) -> WorkflowTemplate:
    """A pack's workflow inside the common frame every workflow shares.

    The frame's states (draft, submitted, paid, approved, withdrawn, and rejected when some
    transition can reject) and transitions (submit, withdraw, pay) are added here, never
    written by the pack, so every permit is submitted, paid and withdrawn the same way. The
    clerk steps are the pack's states a clerk acts on, other than those waiting for the
    applicant's answer, in the order the pack lists them.
    """
    rejects = any(transition.dest == REJECTED for transition in own_transitions)
    states = (DRAFT, SUBMITTED, PAID, *own_states, APPROVED, *((REJECTED,) if rejects else ()), WITHDRAWN)
    clerk_steps = tuple(
        state
        for state in own_states
        if not state.endswith(INFO_REQUESTED_SUFFIX)
        and any(t.by == "clerk" and state in t.sources for t in own_transitions)
    )
    return WorkflowTemplate(name, description, clerk_steps, states, (*FRAME_TRANSITIONS, *own_transitions))


@dataclass(frozen=True, slots=True)
class TemplateFault:
    """One thing wrong with a template, and where, so a pack's author can be shown the line.

    `transition` is an index into the template's transitions and `part` the place inside it,
    named as packs write it (`("from", 1)`, `("to",)`, `("guards", 0)`); `state` names a state.
    The reason is in both languages: a pack's author may read it on the French upload page.
    """

    reason: Text
    transition: int | None = None
    part: tuple[str | int, ...] = ()
    state: str | None = None


def template_faults(template: WorkflowTemplate) -> list[TemplateFault]:
    """What is wrong with a definition, and where (empty when it is sound)."""
    faults = []
    states = set(template.states)
    if len(states) != len(template.states):
        faults.append(TemplateFault(Text("a state is listed twice", "un état est énuméré deux fois")))
    for required in (DRAFT, SUBMITTED, PAID, APPROVED, WITHDRAWN):
        if required not in states:
            faults.append(TemplateFault(Text(f"missing state {required}", f"état manquant {required}")))
    if template.initial != DRAFT:
        faults.append(
            TemplateFault(
                Text(
                    f"the initial state must be {DRAFT}, not {template.initial}",
                    f"l'état initial doit être {DRAFT}, et non {template.initial}",
                )
            )
        )
    for index, transition in enumerate(template.transitions):
        faults += _transition_faults(index, transition, states)
    reached, frontier = {template.initial}, [template.initial]
    while frontier:
        for transition in template.leaving.get(frontier.pop(), ()):
            if transition.dest not in reached:
                reached.add(transition.dest)
                frontier.append(transition.dest)
    for state in template.states:
        if state not in reached:
            faults.append(
                TemplateFault(
                    Text(f"state {state} cannot be reached", f"l'état {state} est inatteignable"), state=state
                )
            )
        elif state not in FINAL_STATES and not template.leaving.get(state):
            faults.append(
                TemplateFault(
                    Text(
                        f"nothing leaves state {state}: a case there would wait forever",
                        f"rien ne sort de l'état {state} : un dossier y attendrait indéfiniment",
                    ),
                    state=state,
                )
            )
    if ring := _automatic_cycle(template):
        arrows = set(pairwise(ring))
        index = next(
            index
            for index, transition in enumerate(template.transitions)
            if transition.automatic
            and any((source, transition.dest) in arrows for source in transition.sources)
        )
        faults.append(
            TemplateFault(
                Text(
                    f"automatic transitions go round in a circle ({' -> '.join(ring)}): "
                    "the engine would never stop",
                    f"des transitions automatiques tournent en rond ({' -> '.join(ring)}) : "
                    "le moteur ne s'arrêterait jamais",
                ),
                index,
            )
        )
    return faults


def _transition_faults(index: int, transition: Transition, states: set[str]) -> list[TemplateFault]:
    places = [(("from", n), source) for n, source in enumerate(transition.sources)]
    places.append((("to",), transition.dest))
    faults = [
        TemplateFault(Text(f"unknown state {state}", f"état inconnu {state}"), index, part)
        for part, state in places
        if state not in states
    ]
    faults += [
        TemplateFault(
            Text(f"{source} is final and cannot be left", f"{source} est final : on ne peut pas en sortir"),
            index,
            ("from", n),
        )
        for n, source in enumerate(transition.sources)
        if source in FINAL_STATES
    ]
    faults += [
        TemplateFault(Text(f"unknown guard {guard}", f"garde inconnue {guard}"), index, ("guards", n))
        for n, guard in enumerate(transition.guards)
        if guard not in GUARDS
    ]
    if transition.automatic and not transition.guards:
        faults.append(
            TemplateFault(
                Text("an automatic transition needs a guard", "une transition automatique exige une garde"),
                index,
            )
        )
    return faults


def template_problems(template: WorkflowTemplate) -> list[str]:
    """What is wrong with a definition (empty when it is sound): checked before a machine is built."""
    return [
        f"{template.transitions[fault.transition].trigger}: {fault.reason.en}"
        if fault.transition is not None
        else fault.reason.en
        for fault in template_faults(template)
    ]


def _automatic_cycle(template: WorkflowTemplate) -> tuple[str, ...]:
    """A circle of automatic transitions, as states ending where they began; () when there is none."""
    following: dict[str, set[str]] = {}
    for transition in template.transitions:
        if transition.automatic:
            for source in transition.sources:
                following.setdefault(source, set()).add(transition.dest)
    while following:  # strip states that lead nowhere automatically; a circle never strips
        ends = {state for state, dests in following.items() if not dests & following.keys()}
        if not ends:
            break
        following = {state: dests for state, dests in following.items() if state not in ends}
    if not following:
        return ()
    order = {state: rank for rank, state in enumerate(template.states)}
    walk = [min(following, key=lambda state: order.get(state, len(order)))]
    while walk.count(walk[-1]) < 2:  # every state left leads on to another one left
        walk.append(
            min(following[walk[-1]] & following.keys(), key=lambda state: order.get(state, len(order)))
        )
    return tuple(walk[walk.index(walk[-1]) :])


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


# -- workflows defined by packs ----------------------------------------------------------------

#: The longest workflow key: permit_cases.workflow is a String(64).
MAX_KEY_LENGTH = 64
DEFINITION_FORMAT = 1


def template_definition(template: WorkflowTemplate) -> dict[str, Any]:
    """The whole template as plain JSON data: what is hashed into its key and stored for restarts.

    Frame included: a case keeps exactly the states and transitions it was opened with, even
    if a later version of the engine draws the frame differently.
    """
    return {
        "format": DEFINITION_FORMAT,
        "name": template.name,
        "description": {"en": template.description.en, "fr": template.description.fr},
        "initial": template.initial,
        "clerk_steps": list(template.clerk_steps),
        "states": list(template.states),
        "transitions": [
            {
                "trigger": t.trigger,
                "from": list(t.sources),
                "to": t.dest,
                "by": t.by,
                "guards": list(t.guards),
                "automatic": t.automatic,
            }
            for t in template.transitions
        ],
    }


def template_from_definition(data: Mapping[str, Any]) -> WorkflowTemplate:
    """The template `template_definition` wrote, as it was (for a case opened before a restart)."""
    if data.get("format") != DEFINITION_FORMAT:
        raise ValueError(f"unknown workflow definition format {data.get('format')!r}")
    return WorkflowTemplate(
        name=data["name"],
        description=Text.from_data(data["description"]),
        clerk_steps=tuple(data["clerk_steps"]),
        states=tuple(data["states"]),
        transitions=tuple(
            Transition(t["trigger"], tuple(t["from"]), t["to"], t["by"], tuple(t["guards"]), t["automatic"])
            for t in data["transitions"]
        ),
        initial=data["initial"],
    )


def template_key(jurisdiction: str, template: WorkflowTemplate) -> str:
    """`<jurisdiction>:<name>:<digest>`: who defined the workflow, its name, and a digest of the
    whole definition, so a changed workflow of the same name is a different key and a case keeps
    the one it was opened with. Built-in templates are known by their bare name instead."""
    canonical = json.dumps(template_definition(template), sort_keys=True, separators=(",", ":"))
    key = f"{jurisdiction}:{template.name}:{hashlib.sha256(canonical.encode()).hexdigest()[:16]}"
    if len(key) > MAX_KEY_LENGTH:
        raise ValueError(f"workflow key {key} is longer than {MAX_KEY_LENGTH} characters")
    return key


def is_pack_key(workflow: str) -> bool:
    """Whether `workflow` names a pack's workflow (a key) rather than a built-in template."""
    return ":" in workflow


#: Pack-defined templates by key. Filled when packs are compiled (and when a stored definition is
#: read back); entries are never replaced or removed, and a key names one content, so threads
#: share them safely.
_PACK_TEMPLATES: dict[str, WorkflowTemplate] = {}
_registry_lock = Lock()


def register_template(key: str, template: WorkflowTemplate) -> WorkflowTemplate:
    """Make a pack's template known by `key`; returns the registered one (the same object for the
    same key, however many times packs are compiled). A malformed template is refused."""
    with _registry_lock:
        known = _PACK_TEMPLATES.get(key)
        if known is not None:
            if known != template:
                raise ValueError(f"workflow key {key} already names a different definition")
            return known
        if problems := template_problems(template):
            raise ValueError(f"workflow {key} is malformed: {'; '.join(problems)}")
        _PACK_TEMPLATES[key] = template
        return template


def registered_template(key: str) -> WorkflowTemplate | None:
    return _PACK_TEMPLATES.get(key)


def forget_registered_templates() -> dict[str, WorkflowTemplate]:
    """Empty the registry, as in a freshly started process, and return what it held (for tests
    of restarts, which register it again afterwards)."""
    with _registry_lock:
        forgotten = dict(_PACK_TEMPLATES)
        _PACK_TEMPLATES.clear()
    return forgotten
