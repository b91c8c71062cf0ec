"""Cross-reference checks over all packs together, after each passed the JSON Schema.

A pack may refer to its own questions, fields, agencies, permits and workflows and to
those of its ancestors (a Toronto permit may depend on a federal one, or follow Ontario's
workflow), never to a sibling's or a descendant's. Each check reports the file, the path
and a plain reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from graphlib import CycleError, TopologicalSorter
from typing import TYPE_CHECKING, Any

from workflows.conditions import COMPARISONS, ORDERED_COMPARISONS
from workflows.fees import band_problems
from workflows.jurisdictions import SGC_PROVINCE_CODES
from workflows.packs.errors import PackProblem
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
    WORKFLOW_TEMPLATES,
    Transition,
    WorkflowTemplate,
    framed_template,
    info_requested,
    template_faults,
)

if TYPE_CHECKING:
    from workflows.packs.loader import ParsedPack

Path = tuple[str | int, ...]

#: Canada Post's first letters of postal codes, by province or territory.
POSTAL_LETTERS = {
    "CA-NL": "A",
    "CA-NS": "B",
    "CA-PE": "C",
    "CA-NB": "E",
    "CA-QC": "GHJ",
    "CA-ON": "KLMNP",
    "CA-MB": "R",
    "CA-SK": "S",
    "CA-AB": "T",
    "CA-BC": "V",
    "CA-NT": "X",
    "CA-NU": "X",
    "CA-YT": "Y",
}
LEVEL_PARENT = {"federal": None, "provincial": "federal", "municipal": "provincial"}
CONDITION_KINDS = ("always", "all", "any", "not", "at_least", "permit", "question")


@dataclass
class Scope:
    """What a pack may refer to: its own declarations and its ancestors'."""

    questions: dict[str, dict[str, Any]] = field(default_factory=dict)
    fields: set[str] = field(default_factory=set)
    agencies: set[str] = field(default_factory=set)
    permits: set[str] = field(default_factory=set)
    #: While checking a show_if: this question and those after it, which it may not read.
    asked_later: set[str] = field(default_factory=set)
    #: Permit code -> the permits that must come before it, along the whole chain.
    prerequisites: dict[str, set[str]] = field(default_factory=dict)
    #: Workflow name -> the jurisdiction whose pack defines it, along the chain.
    workflows: dict[str, str] = field(default_factory=dict)

    def extended(self) -> Scope:
        return Scope(
            dict(self.questions),
            set(self.fields),
            set(self.agencies),
            set(self.permits),
            prerequisites={code: set(before) for code, before in self.prerequisites.items()},
            workflows=dict(self.workflows),
        )


def link_prerequisites(
    graph: dict[str, set[str]], code: str, depends_on: Iterable[str], prerequisite_of: Iterable[str]
) -> None:
    """Record both ways of saying "before": `depends_on` (mine) and `prerequisite_of` (theirs).

    `prerequisite_of` lets a municipality put its own clearance before a provincial licence
    (Toronto's building permit before Ontario's liquor licence) while references still only
    point towards ancestors.
    """
    graph.setdefault(code, set()).update(depends_on)
    for later in prerequisite_of:
        graph.setdefault(later, set()).add(code)


def parents_first(packs: Iterable[ParsedPack]) -> list[ParsedPack]:
    order = {"federal": 0, "provincial": 1, "municipal": 2}
    return sorted(packs, key=lambda p: order[p.data["jurisdiction"]["level"]])


def check_packs(packs: Sequence[ParsedPack]) -> list[PackProblem]:
    problems: list[PackProblem] = []
    by_code = _check_jurisdictions(packs, problems)
    _check_postal_prefixes(packs, problems)
    _check_global_codes(packs, problems)
    scopes: dict[str, Scope] = {}
    for pack in parents_first(by_code.values()):
        raw = pack.data["jurisdiction"]
        parent, parent_level = raw.get("parent"), LEVEL_PARENT[raw["level"]]
        if parent_level is not None and (
            parent not in scopes or by_code[parent].data["jurisdiction"]["level"] != parent_level
        ):
            # A missing or wrong parent is already reported; judging this pack's references
            # against the wrong ancestors would only add misleading problems.
            continue
        scope = scopes[parent].extended() if parent_level else Scope()
        _check_pack(pack, scope, problems)
        scopes[pack.code] = scope
    return problems


def _check_jurisdictions(packs: Sequence[ParsedPack], problems: list[PackProblem]) -> dict[str, ParsedPack]:
    by_code: dict[str, ParsedPack] = {}
    for pack in packs:
        if pack.code in by_code:
            problems.append(
                pack.problem(
                    ("jurisdiction", "code"),
                    f"jurisdiction {pack.code} is already defined in {by_code[pack.code].source.filename}",
                )
            )
        else:
            by_code[pack.code] = pack
    for pack in by_code.values():
        raw = pack.data["jurisdiction"]
        code, level, parent = raw["code"], raw["level"], raw.get("parent")
        expected_form = {
            "federal": code == "CA",
            "provincial": code.startswith("CA-"),
            "municipal": code.isdigit(),
        }[level]
        if not expected_form:
            problems.append(
                pack.problem(
                    ("jurisdiction", "code"),
                    {
                        "federal": "the federal jurisdiction's code is CA",
                        "provincial": "a province's code is its ISO 3166-2 code, such as CA-ON",
                        "municipal": "a municipality's code is its 7-digit census-subdivision code, "
                        "such as 3520005",
                    }[level],
                )
            )
            continue
        if level == "federal":
            if parent is not None:
                problems.append(
                    pack.problem(("jurisdiction", "parent"), "the federal jurisdiction has no parent")
                )
            continue
        if parent is None:
            problems.append(pack.problem(("jurisdiction",), f"a {level} jurisdiction needs a parent"))
        elif parent not in by_code:
            problems.append(
                pack.problem(
                    ("jurisdiction", "parent"), f"parent jurisdiction {parent} is not among the loaded packs"
                )
            )
        elif by_code[parent].data["jurisdiction"]["level"] != LEVEL_PARENT[level]:
            problems.append(
                pack.problem(
                    ("jurisdiction", "parent"),
                    f"the parent of a {level} jurisdiction must be {LEVEL_PARENT[level]}, "
                    f"but {parent} is {by_code[parent].data['jurisdiction']['level']}",
                )
            )
        elif level == "municipal" and SGC_PROVINCE_CODES.get(parent, code[:2]) != code[:2]:
            problems.append(
                pack.problem(
                    ("jurisdiction", "code"),
                    f"census subdivision {code} is not in {parent}, whose codes begin "
                    f"with {SGC_PROVINCE_CODES[parent]}",
                )
            )
        if level == "municipal" and not raw.get("postal_prefixes"):
            problems.append(
                pack.problem(
                    ("jurisdiction",),
                    "a municipality must list the postal-code prefixes it covers (postal_prefixes)",
                )
            )
        if level != "municipal" and raw.get("postal_prefixes"):
            problems.append(
                pack.problem(
                    ("jurisdiction", "postal_prefixes"), "only municipalities list postal-code prefixes"
                )
            )
    return by_code


def _check_postal_prefixes(packs: Sequence[ParsedPack], problems: list[PackProblem]) -> None:
    """Each postal prefix belongs to one municipality: no prefix may equal or contain another's."""
    owners: dict[str, ParsedPack] = {}
    for pack in packs:
        for prefix in pack.data["jurisdiction"].get("postal_prefixes", ()):
            owners.setdefault(prefix, pack)
    for pack in packs:
        raw = pack.data["jurisdiction"]
        letters = POSTAL_LETTERS.get(raw.get("parent") or "", "")
        for index, prefix in enumerate(raw.get("postal_prefixes", ())):
            path = ("jurisdiction", "postal_prefixes", index)
            if letters and prefix[0] not in letters:
                problems.append(
                    pack.problem(
                        path,
                        f"postal codes in {raw['parent']} begin with {' or '.join(letters)}, not {prefix[0]}",
                    )
                )
            for shorter in (prefix[:n] for n in range(1, len(prefix) + 1)):
                owner = owners.get(shorter)
                if owner is not None and owner is not pack:
                    problems.append(
                        pack.problem(
                            path,
                            f"postal prefix {prefix} overlaps {shorter}, already covered by {owner.code}",
                        )
                    )
                    break


def _check_global_codes(packs: Sequence[ParsedPack], problems: list[PackProblem]) -> None:
    """Agency, permit and suggestion codes name one thing across the whole country."""
    for section in ("agencies", "permits", "suggestions"):
        seen: dict[str, str] = {}
        for pack in packs:
            for index, item in enumerate(pack.data.get(section, ())):
                code = item["code"]
                if code in seen:
                    problems.append(
                        pack.problem(
                            (section, index, "code"), f"duplicate code {code}: already used in {seen[code]}"
                        )
                    )
                else:
                    seen[code] = pack.source.filename


def _check_pack(pack: ParsedPack, scope: Scope, problems: list[PackProblem]) -> None:
    data = pack.data
    scope.agencies.update(agency["code"] for agency in data.get("agencies", ()))
    _check_workflows(pack, scope, problems)
    for index, definition in enumerate(data.get("fields", ())):
        path = ("fields", index)
        if definition["id"] in scope.fields:
            problems.append(
                pack.problem((*path, "id"), f"field {definition['id']} is already in the catalogue")
            )
        scope.fields.add(definition["id"])
        _check_bounds(pack, path, definition, problems)
        _check_unique_choices(pack, path, definition, problems)
    questions = data.get("questions", ())
    for index, question in enumerate(questions):
        path = ("questions", index)
        if question["id"] in scope.questions:
            problems.append(
                pack.problem(
                    (*path, "id"), f"question {question['id']} is already asked (by this pack or a parent)"
                )
            )
        _check_bounds(pack, path, question, problems)
        _check_unique_choices(pack, path, question, problems)
        if "show_if" in question:
            # Only questions asked before this one: keeps the order of asking well-defined.
            earlier = replace(scope, asked_later={q["id"] for q in questions[index:]})
            _check_condition(
                pack, (*path, "show_if"), question["show_if"], earlier, set(), problems, allow_permits=False
            )
        scope.questions[question["id"]] = question
    permits = data.get("permits", ())
    own_permits = {permit["code"] for permit in permits}
    visible_permits = scope.permits | own_permits
    for index, permit in enumerate(permits):
        path = ("permits", index)
        if permit["agency"] not in scope.agencies:
            problems.append(pack.problem((*path, "agency"), f"unknown agency {permit['agency']}"))
        for f_index, field_id in enumerate(permit.get("fields", ())):
            if field_id not in scope.fields:
                problems.append(
                    pack.problem(
                        (*path, "fields", f_index),
                        f"unknown field {field_id}: declare it under fields in this pack or a parent's",
                    )
                )
        if permit["workflow"] not in WORKFLOW_TEMPLATES and permit["workflow"] not in scope.workflows:
            problems.append(pack.problem((*path, "workflow"), _unknown_workflow(permit["workflow"], scope)))
        for key, itself, unknown in (
            ("depends_on", "a permit cannot depend on itself", "unknown prerequisite permit"),
            ("prerequisite_of", "a permit cannot be a prerequisite of itself", "unknown permit"),
        ):
            for d_index, code in enumerate(permit.get(key, ())):
                if code == permit["code"]:
                    problems.append(pack.problem((*path, key, d_index), itself))
                elif code not in visible_permits:
                    problems.append(pack.problem((*path, key, d_index), f"{unknown} {code}"))
        _check_condition(
            pack,
            (*path, "applies_if"),
            permit["applies_if"],
            scope,
            visible_permits,
            problems,
            allow_permits=True,
            own_code=permit["code"],
        )
        for key in ("fee", "renewal_fee"):
            if key in permit:
                _check_fee(pack, (*path, key), permit[key], scope, problems)
        if "program_account" in permit and data["jurisdiction"]["level"] != "federal":
            problems.append(
                pack.problem(
                    (*path, "program_account"),
                    "only a federal permit can open a program account on the Business Number",
                )
            )
    for permit in permits:
        link_prerequisites(
            scope.prerequisites,
            permit["code"],
            (code for code in permit.get("depends_on", ()) if code in visible_permits),
            (code for code in permit.get("prerequisite_of", ()) if code in visible_permits),
        )
    _check_cycles(pack, permits, "depends_on", scope.prerequisites, problems)
    rules = {permit["code"]: _permit_refs(permit["applies_if"]) & own_permits for permit in permits}
    _check_cycles(pack, permits, "applies_if", rules, problems)
    scope.permits |= own_permits
    for index, suggestion in enumerate(data.get("suggestions", ())):
        _check_condition(
            pack,
            ("suggestions", index, "applies_if"),
            suggestion["applies_if"],
            scope,
            scope.permits,
            problems,
            allow_permits=True,
        )


def _check_bounds(pack: ParsedPack, path: Path, item: Mapping[str, Any], problems: list[PackProblem]) -> None:
    if "min" in item and "max" in item and item["min"] > item["max"]:
        problems.append(pack.problem((*path, "max"), f"max {item['max']} is below min {item['min']}"))
    if ("min" in item or "max" in item) and item["type"] not in ("number", "money", "integer"):
        problems.append(pack.problem(path, f"min and max only apply to numbers, not to type {item['type']}"))


def _check_unique_choices(
    pack: ParsedPack, path: Path, item: Mapping[str, Any], problems: list[PackProblem]
) -> None:
    seen = set()
    for index, choice in enumerate(item.get("choices", ())):
        if choice["value"] in seen:
            problems.append(
                pack.problem((*path, "choices", index, "value"), f"duplicate choice {choice['value']}")
            )
        seen.add(choice["value"])


def _check_condition(
    pack: ParsedPack,
    path: Path,
    condition: Mapping[str, Any],
    scope: Scope,
    permits: set[str],
    problems: list[PackProblem],
    *,
    allow_permits: bool,
    own_code: str | None = None,
) -> None:
    kinds = [kind for kind in CONDITION_KINDS if kind in condition]
    operators = [op for op in COMPARISONS if op in condition]
    if not kinds and operators:
        problems.append(
            pack.problem(path, f"{operators[0]} needs the question it compares: add question: <id>")
        )
        return
    if len(kinds) != 1:
        found = ", ".join(kinds) or "none"
        problems.append(
            pack.problem(
                path, f"a condition needs exactly one of {', '.join(CONDITION_KINDS)}; found {found}"
            )
        )
        return
    kind = kinds[0]
    if kind != "question" and operators:
        problems.append(pack.problem(path, f"{', '.join(operators)} only goes with question"))
        return
    parts: list[tuple[Path, Mapping[str, Any]]] = []
    if kind in ("all", "any"):
        parts = [((*path, kind, index), part) for index, part in enumerate(condition[kind])]
    elif kind == "at_least":
        of = condition["at_least"]["of"]
        if condition["at_least"]["count"] > len(of):
            problems.append(
                pack.problem(
                    (*path, "at_least", "count"),
                    f"count {condition['at_least']['count']} is more than the {len(of)} conditions listed",
                )
            )
        parts = [((*path, "at_least", "of", index), part) for index, part in enumerate(of)]
    elif kind == "not":
        parts = [((*path, "not"), condition["not"])]
    elif kind == "permit":
        code = condition["permit"]
        if not allow_permits:
            problems.append(
                pack.problem((*path, "permit"), "show_if can only depend on answers, not on permits")
            )
        elif code == own_code:
            problems.append(
                pack.problem((*path, "permit"), "a permit's rule cannot depend on the permit itself")
            )
        elif code not in permits:
            problems.append(pack.problem((*path, "permit"), f"unknown permit {code}"))
    elif kind == "question":
        _check_comparison(pack, path, condition, operators, scope, problems)
    for part_path, part in parts:
        _check_condition(
            pack, part_path, part, scope, permits, problems, allow_permits=allow_permits, own_code=own_code
        )


def _check_comparison(
    pack: ParsedPack,
    path: Path,
    condition: Mapping[str, Any],
    operators: list[str],
    scope: Scope,
    problems: list[PackProblem],
) -> None:
    question_id = condition["question"]
    if len(operators) != 1:
        problems.append(
            pack.problem(
                path,
                f"question {question_id} needs exactly one comparison "
                f"({', '.join(COMPARISONS)}); found {', '.join(operators) or 'none'}",
            )
        )
        return
    op = operators[0]
    question = scope.questions.get(question_id)
    if question is None:
        reason = f"unknown question {question_id}"
        if question_id in scope.asked_later:
            reason = (
                f"question {question_id} is not asked before this one: show_if can only read "
                "questions asked earlier (above it in this pack, or in a parent's pack)"
            )
        problems.append(pack.problem((*path, "question"), reason))
        return
    kind = question["type"]
    values = condition[op] if op == "in" else [condition[op]]
    if kind == "yes_no":
        if op not in ("equals", "not_equals") or not isinstance(condition[op], bool):
            problems.append(
                pack.problem(
                    (*path, op),
                    f"question {question_id} is yes/no: compare it with equals: true or equals: false",
                )
            )
    elif kind == "choice":
        valid = {choice["value"] for choice in question["choices"]}
        if op in ORDERED_COMPARISONS:
            problems.append(
                pack.problem((*path, op), f"question {question_id} is a choice: use equals, not_equals or in")
            )
        for value in values:
            if value not in valid:
                problems.append(
                    pack.problem(
                        (*path, op),
                        f"{value!r} is not a choice of question {question_id}; "
                        f"choices: {', '.join(sorted(valid))}",
                    )
                )
    elif any(isinstance(value, bool) or not isinstance(value, int) for value in values):
        unit = " (money is in cents)" if kind == "money" else ""
        problems.append(
            pack.problem(
                (*path, op), f"question {question_id} is a {kind}: compare it with whole numbers{unit}"
            )
        )


def _check_fee(
    pack: ParsedPack, path: Path, fee: Mapping[str, Any], scope: Scope, problems: list[PackProblem]
) -> None:
    if "question" in fee:
        question = scope.questions.get(fee["question"])
        if question is None:
            problems.append(pack.problem((*path, "question"), f"unknown question {fee['question']}"))
        elif question["type"] not in ("number", "money"):
            wanted = "number" if fee["kind"] == "per_unit" else "number or money"
            problems.append(
                pack.problem(
                    (*path, "question"),
                    f"a {fee['kind']} fee needs a {wanted} question, "
                    f"and {fee['question']} is {question['type']}",
                )
            )
        elif fee["kind"] == "per_unit" and question["type"] == "money":
            problems.append(
                pack.problem(
                    (*path, "question"), "a per_unit fee counts units (seats, square metres), not money"
                )
            )
    for index, reason in band_problems(fee.get("bands", [])):
        problems.append(pack.problem((*path, "bands", index), reason))


def _permit_refs(condition: Mapping[str, Any]) -> set[str]:
    if "permit" in condition:
        return {condition["permit"]}
    parts = condition.get("all") or condition.get("any") or condition.get("at_least", {}).get("of") or []
    if "not" in condition:
        parts = [condition["not"]]
    return set().union(*(_permit_refs(part) for part in parts)) if parts else set()


def _check_cycles(
    pack: ParsedPack,
    permits: Sequence[Mapping[str, Any]],
    key: str,
    graph: Mapping[str, set[str]],
    problems: list[PackProblem],
) -> None:
    """Report a cycle in `graph` (code -> codes that come first); only this pack can have made it."""
    try:
        tuple(TopologicalSorter({code: before - {code} for code, before in graph.items()}).static_order())
    except CycleError as error:
        ring = list(reversed(error.args[1]))[:-1]  # each code waits for the next one
        own = {permit["code"]: index for index, permit in enumerate(permits)}
        first_own = min((own[code] for code in ring if code in own), default=None)
        if first_own is None:
            return  # an ancestor's cycle, reported with the ancestor
        start = ring.index(permits[first_own]["code"])
        ring = ring[start:] + ring[:start] + [ring[start]]
        what = "prerequisites" if key == "depends_on" else "rules (applies_if permit references)"
        problems.append(pack.problem(("permits", first_own, key), f"cyclic {what}: {' -> '.join(ring)}"))


def rule_order(permits: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Permits ordered so that each comes after the permits its rule reads (checked acyclic)."""
    by_code = {permit["code"]: permit for permit in permits}
    declared = {code: index for index, code in enumerate(by_code)}
    placed: dict[str, None] = {}

    def place(permit: Mapping[str, Any]) -> None:
        if permit["code"] in placed:
            return
        for code in sorted(_permit_refs(permit["applies_if"]) & by_code.keys(), key=declared.__getitem__):
            place(by_code[code])
        placed[permit["code"]] = None

    for permit in permits:
        place(permit)
    return [by_code[code] for code in placed]


# -- workflows ---------------------------------------------------------------------------------

#: The triggers a pack writes; submit, withdraw and pay are the frame's, added for it.
PACK_TRIGGERS = ("start", "complete", "approve", "request_info", "provide_info", "reject")
FRAME_TRIGGERS = tuple(transition.trigger for transition in FRAME_TRANSITIONS)
#: What each trigger may leave, in words for a problem.
LEAVES = {
    "start": "paid or a step",
    "complete": "paid or a step",
    "approve": "a step",
    "request_info": "a step",
    "provide_info": "a state waiting for information (<step>_info_requested)",
    "reject": "a step or a state waiting for information",
}
#: Where each trigger may lead, in words; request_info and provide_info are checked in pairs.
LEADS_TO = {"start": "a step", "complete": "approved", "approve": "a step or approved", "reject": "rejected"}


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


def _unknown_workflow(name: str, scope: Scope) -> str:
    reason = f"unknown workflow template {name}; known: {', '.join(sorted(WORKFLOW_TEMPLATES))}"
    if scope.workflows:
        defined = ", ".join(f"{other} ({code})" for other, code in sorted(scope.workflows.items()))
        reason += f"; defined by this pack or its ancestors: {defined}"
    return reason


def _check_workflows(pack: ParsedPack, scope: Scope, problems: list[PackProblem]) -> None:
    """Each workflow's name is new along the chain, and the workflow itself is sound.

    A workflow's name is recorded even when the workflow is faulty, so the permits that name it
    are not also reported as naming an unknown workflow.
    """
    for index, workflow in enumerate(pack.data.get("workflows", ())):
        path = ("workflows", index)
        name = workflow["name"]
        if name in WORKFLOW_TEMPLATES:
            problems.append(
                pack.problem((*path, "name"), f"{name} is a built-in workflow template: choose another name")
            )
        elif name in scope.workflows:
            where = scope.workflows[name]
            by = "this pack" if where == pack.code else f"{where}, an ancestor of this pack"
            problems.append(pack.problem((*path, "name"), f"workflow {name} is already defined by {by}"))
        else:
            scope.workflows[name] = pack.code
        problems.extend(
            pack.problem((*path, *where), reason) for where, reason in workflow_problems(workflow)
        )


def workflow_problems(workflow: Mapping[str, Any]) -> list[tuple[Path, str]]:
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


def _vocabulary_problems(workflow: Mapping[str, Any]) -> list[tuple[Path, str]]:
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
                    f"{state} waits for the applicant's answer, but no provide_info leaves it",
                )
            )
    return problems


def _state_problems(own_states: Sequence[str], shape: WorkflowShape) -> list[tuple[Path, str]]:
    problems: list[tuple[Path, str]] = []
    for index, state in enumerate(own_states):
        if state in FRAME_STATES:
            problems.append(
                (
                    ("states", index),
                    f"{state} is a state of every workflow's frame: it is implied, do not list it",
                )
            )
        elif state in shape.waiting and state.removesuffix(INFO_REQUESTED_SUFFIX) not in shape.steps:
            step = state.removesuffix(INFO_REQUESTED_SUFFIX)
            problems.append(
                (
                    ("states", index),
                    f"{state} waits for information asked at step {step}, which is not listed",
                )
            )
    return problems


def _transition_problems(
    transition: Mapping[str, Any], index: int, shape: WorkflowShape, left_by: dict[tuple[str, str], int]
) -> list[tuple[Path, str]]:
    """One transition's trigger, flag, sources, destination and guards; records what it leaves."""
    trigger = transition["trigger"]
    if trigger in FRAME_TRIGGERS:
        return [
            (("trigger",), f"{trigger} is part of every workflow's frame and added for you: do not write it")
        ]
    if trigger not in PACK_TRIGGERS:
        return [
            (
                ("trigger",),
                f"unknown trigger {trigger}; a workflow's transitions use {', '.join(PACK_TRIGGERS[:-1])} "
                f"or {PACK_TRIGGERS[-1]}",
            )
        ]
    problems: list[tuple[Path, str]] = []
    automatic = trigger in AUTOMATIC_TRIGGERS
    if transition.get("automatic", automatic) != automatic:
        reason = (
            f"{trigger} always happens by itself: write automatic: true, or leave it out"
            if automatic
            else f"{trigger} is done by the {TRIGGER_ACTORS[trigger]}: only start and complete are automatic"
        )
        problems.append((("automatic",), reason))
    sources = transition["from"]
    for n, source in enumerate(sources):
        if source not in shape.known:
            problems.append((("from", n), f"unknown state {source}: list it under states"))
        elif source in FINAL_STATES:
            problems.append((("from", n), f"{source} is final and cannot be left"))
        elif not shape.may_leave(trigger, source):
            problems.append((("from", n), f"{trigger} cannot leave {source}: it leaves {LEAVES[trigger]}"))
        elif (trigger, source) in left_by:
            problems.append(
                (
                    ("from", n),
                    f"{trigger} already leaves {source} in transitions[{left_by[trigger, source]}]: "
                    "an event has one outcome",
                )
            )
        else:
            left_by[trigger, source] = index
    problems += [
        (("to",), reason) for reason in _destination_problems(trigger, sources, transition["to"], shape)
    ]
    problems += [
        (("guards", n), f"unknown guard {guard}; known: {', '.join(GUARDS)}")
        for n, guard in enumerate(transition.get("guards", ()))
        if guard not in GUARDS
    ]
    return problems


def _destination_problems(trigger: str, sources: Sequence[str], dest: str, shape: WorkflowShape) -> list[str]:
    if dest not in shape.known:
        return [f"unknown state {dest}: list it under states"]
    if dest in sources:
        return [f"{trigger} must lead somewhere else than the state it leaves"]
    if trigger == "request_info":
        asked = [s for s in sources if s in shape.steps and dest != info_requested(s)]
        return [
            f"request_info from {s} must lead to {info_requested(s)}, where the case waits for the answer"
            for s in asked[:1]
        ]
    if trigger == "provide_info":
        answered = [
            s for s in sources if s in shape.waiting and dest != s.removesuffix(INFO_REQUESTED_SUFFIX)
        ]
        return [
            f"provide_info from {s} must lead back to {s.removesuffix(INFO_REQUESTED_SUFFIX)}, "
            "the step that asked for the information"
            for s in answered[:1]
        ]
    if not shape.may_lead_to(trigger, dest):
        return [f"{trigger} leads to {LEADS_TO[trigger]}, not to {dest}"]
    return []


def _paid_problems(transitions: Sequence[Mapping[str, Any]]) -> list[tuple[Path, str]]:
    """One start or complete leaves paid (besides the frame's withdraw), and it waits for the fee
    and for the permits this one depends on: the frame's rule for every workflow."""
    if not any(PAID in transition["from"] for transition in transitions):
        return [
            (
                ("transitions",),
                "nothing leaves paid: add a start (to the first step) or a complete (to approved)",
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
    problems: list[tuple[Path, str]] = [
        (
            ("transitions", index, "from", transitions[index]["from"].index(PAID)),
            f"transitions[{starts[0]}] already leaves paid: a permit starts one way",
        )
        for index in starts[1:]
        if transitions[index]["trigger"] != first["trigger"]  # the same trigger twice is reported already
    ]
    missing = [guard for guard in START_GUARDS if guard not in first.get("guards", ())]
    if missing:
        problems.append(
            (
                ("transitions", starts[0], *(("guards",) if "guards" in first else ())),
                f"leaving paid needs the guards {' and '.join(START_GUARDS)}, so that a permit starts "
                "only once its fee is paid and the permits it depends on are approved "
                f"(missing: {', '.join(missing)})",
            )
        )
    return problems
