"""Whether a pack's own workflow is sound, said where its author wrote each fault.

A pack writes only its states and the transitions between them, in the engine's vocabulary of
triggers; the frame every workflow shares (draft, submitted, paid ... withdrawn) is added for
it. Each fault comes back with its path inside the workflow and a reason in both languages.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from workflows.text import Text
from workflows.workflow_templates import (
    AUTOMATIC_TRIGGERS,
    FINAL_STATES,
    FRAME_STATES,
    FRAME_TRANSITIONS,
    GUARDS,
    INFO_REQUESTED_SUFFIX,
    PAID,
    START_GUARDS,
    TRIGGER_ACTORS,
    Transition,
    WorkflowTemplate,
    framed_template,
    info_requested,
    template_faults,
)

Path = tuple[str | int, ...]

#: The triggers a pack writes; submit, withdraw and pay are the frame's, added for it.
PACK_TRIGGERS = ("start", "complete", "approve", "request_info", "provide_info", "reject")
FRAME_TRIGGERS = tuple(transition.trigger for transition in FRAME_TRANSITIONS)
#: What each trigger may leave, in words for a problem (in French with its preposition: "d'une étape").
LEAVES = {
    "start": Text("paid or a step", "de paid ou d'une étape"),
    "complete": Text("paid or a step", "de paid ou d'une étape"),
    "approve": Text("a step", "d'une étape"),
    "request_info": Text("a step", "d'une étape"),
    "provide_info": Text(
        "a state waiting for information (<step>_info_requested)",
        "d'un état d'attente de renseignements (<étape>_info_requested)",
    ),
    "reject": Text(
        "a step or a state waiting for information", "d'une étape ou d'un état d'attente de renseignements"
    ),
}
#: Who fires a trigger, as the French of "done by the applicant".
ACTORS_FR = {"applicant": "le demandeur", "clerk": "l'agent", "system": "le système"}
#: Where each trigger may lead, in words; request_info and provide_info are checked in pairs.
LEADS_TO = {
    "start": Text("a step", "une étape"),
    "complete": Text("approved", "approved"),
    "approve": Text("a step or approved", "une étape ou approved"),
    "reject": Text("rejected", "rejected"),
}


@dataclass(frozen=True)
class WorkflowShape:
    """A pack workflow's states sorted by kind: the frame's, its steps, and those waiting for the
    applicant's answer (`<step>_info_requested`)."""

    steps: frozenset[str]
    waiting: frozenset[str]

    @classmethod
    def of(cls, own_states: Sequence[str]) -> WorkflowShape:
        own = set(own_states) - FRAME_STATES
        waiting = {state for state in own if state.endswith(INFO_REQUESTED_SUFFIX)}
        return cls(frozenset(own - waiting), frozenset(waiting))

    @property
    def known(self) -> frozenset[str]:
        return self.steps | self.waiting | FRAME_STATES

    def may_leave(self, trigger: str, state: str) -> bool:
        if trigger in AUTOMATIC_TRIGGERS:
            return state == PAID or state in self.steps
        if trigger == "provide_info":
            return state in self.waiting
        if trigger == "reject":
            return state in self.steps or state in self.waiting
        return state in self.steps  # approve, request_info

    def may_lead_to(self, trigger: str, state: str) -> bool:
        return {
            "start": state in self.steps,
            "complete": state == "approved",
            "approve": state in self.steps or state == "approved",
            "reject": state == "rejected",
        }[trigger]


def compile_workflow(data: Mapping[str, Any]) -> WorkflowTemplate:
    """A pack's workflow, as checked, inside the frame; who acts and what is automatic follow
    from each trigger, never from the pack."""
    transitions = tuple(
        Transition(
            t["trigger"],
            tuple(t["from"]),
            t["to"],
            TRIGGER_ACTORS[t["trigger"]],
            tuple(t.get("guards", ())),
            automatic=t["trigger"] in AUTOMATIC_TRIGGERS,
        )
        for t in data["transitions"]
    )
    return framed_template(data["name"], Text.from_data(data["description"]), data["states"], transitions)


def workflow_problems(workflow: Mapping[str, Any]) -> list[tuple[Path, Text]]:
    """What is wrong with one pack workflow (that passed the schema), each with its path inside it.

    The vocabulary comes first (frame, triggers, states, guards, pairs of request_info and
    provide_info); only a workflow whose every transition makes sense is then built and checked
    as a whole (`template_faults`: reachability, automatic cycles ...), whose findings would
    otherwise mostly repeat the first ones.
    """
    problems = _vocabulary_problems(workflow)
    if problems:
        return problems
    template = compile_workflow(workflow)
    offset = len(template.transitions) - len(workflow["transitions"])  # the frame's come first
    own_states = list(workflow["states"])
    for fault in template_faults(template):
        where: Path = ()
        if fault.transition is not None and fault.transition >= offset:
            where = ("transitions", fault.transition - offset, *fault.part)
        elif fault.state in own_states:
            where = ("states", own_states.index(fault.state))
        problems.append((where, fault.reason))
    return problems


def _vocabulary_problems(workflow: Mapping[str, Any]) -> list[tuple[Path, Text]]:
    own_states, transitions = workflow["states"], workflow["transitions"]
    shape = WorkflowShape.of(own_states)
    problems = _state_problems(own_states, shape)
    left_by: dict[tuple[str, str], int] = {}  # (trigger, state) -> the transition that leaves it
    for index, transition in enumerate(transitions):
        problems += [
            (("transitions", index, *where), reason)
            for where, reason in _transition_problems(transition, index, shape, left_by)
        ]
    problems += _paid_problems(transitions)
    for index, state in enumerate(own_states):
        if state in shape.waiting and ("provide_info", state) not in left_by:
            problems.append(
                (
                    ("states", index),
                    Text(
                        f"{state} waits for the applicant's answer, but no provide_info leaves it",
                        f"{state} attend la réponse du demandeur, mais aucun provide_info n'en sort",
                    ),
                )
            )
    return problems


def _state_problems(own_states: Sequence[str], shape: WorkflowShape) -> list[tuple[Path, Text]]:
    problems: list[tuple[Path, Text]] = []
    for index, state in enumerate(own_states):
        if state in FRAME_STATES:
            problems.append(
                (
                    ("states", index),
                    Text(
                        f"{state} is a state of every workflow's frame: it is implied, do not list it",
                        f"{state} est un état du cadre commun à tous les processus : il est implicite, "
                        "ne l'énumérez pas",
                    ),
                )
            )
        elif state in shape.waiting and state.removesuffix(INFO_REQUESTED_SUFFIX) not in shape.steps:
            step = state.removesuffix(INFO_REQUESTED_SUFFIX)
            problems.append(
                (
                    ("states", index),
                    Text(
                        f"{state} waits for information asked at step {step}, which is not listed",
                        f"{state} attend des renseignements demandés à l'étape {step}, "
                        "qui n'est pas énumérée",
                    ),
                )
            )
    return problems


def _transition_problems(
    transition: Mapping[str, Any], index: int, shape: WorkflowShape, left_by: dict[tuple[str, str], int]
) -> list[tuple[Path, Text]]:
    """One transition's trigger, flag, sources, destination and guards; records what it leaves."""
    trigger = transition["trigger"]
    if trigger in FRAME_TRIGGERS:
        return [
            (
                ("trigger",),
                Text(
                    f"{trigger} is part of every workflow's frame and added for you: do not write it",
                    f"{trigger} fait partie du cadre commun à tous les processus et est ajouté pour vous : "
                    "ne l'écrivez pas",
                ),
            )
        ]
    if trigger not in PACK_TRIGGERS:
        others, last = ", ".join(PACK_TRIGGERS[:-1]), PACK_TRIGGERS[-1]
        return [
            (
                ("trigger",),
                Text(
                    f"unknown trigger {trigger}; a workflow's transitions use {others} or {last}",
                    f"déclencheur inconnu {trigger}; les transitions d'un processus emploient "
                    f"{others} ou {last}",
                ),
            )
        ]
    problems: list[tuple[Path, Text]] = []
    automatic = trigger in AUTOMATIC_TRIGGERS
    if transition.get("automatic", automatic) != automatic:
        reason = (
            Text(
                f"{trigger} always happens by itself: write automatic: true, or leave it out",
                f"{trigger} se produit toujours de lui-même : écrivez automatic: true, ou omettez-le",
            )
            if automatic
            else Text(
                f"{trigger} is done by the {TRIGGER_ACTORS[trigger]}: only start and complete are automatic",
                f"{trigger} est déclenché par {ACTORS_FR[TRIGGER_ACTORS[trigger]]} : "
                "seuls start et complete sont automatiques",
            )
        )
        problems.append((("automatic",), reason))
    sources = transition["from"]
    for n, source in enumerate(sources):
        if source not in shape.known:
            problems.append((("from", n), _unknown_state(source)))
        elif source in FINAL_STATES:
            problems.append(
                (
                    ("from", n),
                    Text(
                        f"{source} is final and cannot be left",
                        f"{source} est final : on ne peut pas en sortir",
                    ),
                )
            )
        elif not shape.may_leave(trigger, source):
            problems.append(
                (
                    ("from", n),
                    Text(
                        f"{trigger} cannot leave {source}: it leaves {LEAVES[trigger].en}",
                        f"{trigger} ne peut pas sortir de {source} : il sort {LEAVES[trigger].fr}",
                    ),
                )
            )
        elif (trigger, source) in left_by:
            problems.append(
                (
                    ("from", n),
                    Text(
                        f"{trigger} already leaves {source} in transitions[{left_by[trigger, source]}]: "
                        "an event has one outcome",
                        f"{trigger} sort déjà de {source} dans transitions[{left_by[trigger, source]}] : "
                        "un événement n'a qu'une issue",
                    ),
                )
            )
        else:
            left_by[trigger, source] = index
    problems += [
        (("to",), reason) for reason in _destination_problems(trigger, sources, transition["to"], shape)
    ]
    problems += [
        (
            ("guards", n),
            Text(
                f"unknown guard {guard}; known: {', '.join(GUARDS)}",
                f"garde inconnue {guard}; gardes connues : {', '.join(GUARDS)}",
            ),
        )
        for n, guard in enumerate(transition.get("guards", ()))
        if guard not in GUARDS
    ]
    return problems


def _unknown_state(state: str) -> Text:
    return Text(
        f"unknown state {state}: list it under states", f"état inconnu {state} : énumérez-le sous states"
    )


def _destination_problems(
    trigger: str, sources: Sequence[str], dest: str, shape: WorkflowShape
) -> list[Text]:
    if dest not in shape.known:
        return [_unknown_state(dest)]
    if dest in sources:
        return [
            Text(
                f"{trigger} must lead somewhere else than the state it leaves",
                f"{trigger} doit mener ailleurs qu'à l'état dont il sort",
            )
        ]
    if trigger == "request_info":
        asked = [s for s in sources if s in shape.steps and dest != info_requested(s)]
        return [
            Text(
                f"request_info from {s} must lead to {info_requested(s)}, "
                "where the case waits for the answer",
                f"request_info depuis {s} doit mener à {info_requested(s)}, où le dossier attend la réponse",
            )
            for s in asked[:1]
        ]
    if trigger == "provide_info":
        answered = [
            s for s in sources if s in shape.waiting and dest != s.removesuffix(INFO_REQUESTED_SUFFIX)
        ]
        return [
            Text(
                f"provide_info from {s} must lead back to {s.removesuffix(INFO_REQUESTED_SUFFIX)}, "
                "the step that asked for the information",
                f"provide_info depuis {s} doit ramener à {s.removesuffix(INFO_REQUESTED_SUFFIX)}, "
                "l'étape qui a demandé les renseignements",
            )
            for s in answered[:1]
        ]
    if not shape.may_lead_to(trigger, dest):
        return [
            Text(
                f"{trigger} leads to {LEADS_TO[trigger].en}, not to {dest}",
                f"{trigger} mène à {LEADS_TO[trigger].fr}, et non à {dest}",
            )
        ]
    return []


def _paid_problems(transitions: Sequence[Mapping[str, Any]]) -> list[tuple[Path, Text]]:
    """One start or complete leaves paid (besides the frame's withdraw), and it waits for the fee
    and for the permits this one depends on: the frame's rule for every workflow."""
    if not any(PAID in transition["from"] for transition in transitions):
        return [
            (
                ("transitions",),
                Text(
                    "nothing leaves paid: add a start (to the first step) or a complete (to approved)",
                    "rien ne sort de paid : ajoutez un start (vers la première étape) ou un complete "
                    "(vers approved)",
                ),
            )
        ]
    starts = [
        index
        for index, transition in enumerate(transitions)
        if PAID in transition["from"] and transition["trigger"] in AUTOMATIC_TRIGGERS
    ]
    if not starts:
        return []  # what does leave paid is reported as unable to
    first = transitions[starts[0]]
    problems: list[tuple[Path, Text]] = [
        (
            ("transitions", index, "from", transitions[index]["from"].index(PAID)),
            Text(
                f"transitions[{starts[0]}] already leaves paid: a permit starts one way",
                f"transitions[{starts[0]}] sort déjà de paid : un permis ne démarre que d'une façon",
            ),
        )
        for index in starts[1:]
        if transitions[index]["trigger"] != first["trigger"]  # the same trigger twice is reported already
    ]
    missing = [guard for guard in START_GUARDS if guard not in first.get("guards", ())]
    if missing:
        problems.append(
            (
                ("transitions", starts[0], *(("guards",) if "guards" in first else ())),
                Text(
                    f"leaving paid needs the guards {' and '.join(START_GUARDS)}, so that a permit starts "
                    "only once its fee is paid and the permits it depends on are approved "
                    f"(missing: {', '.join(missing)})",
                    f"sortir de paid exige les gardes {' et '.join(START_GUARDS)}, pour qu'un permis ne "
                    "démarre qu'une fois ses droits payés et les permis dont il dépend approuvés "
                    f"(manquantes : {', '.join(missing)})",
                ),
            )
        )
    return problems
