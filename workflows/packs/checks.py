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
from workflows.fees import MAX_FEE_CENTS, MAX_INVOICE_CENTS, band_problems, most_cents
from workflows.jurisdictions import SGC_PROVINCE_CODES
from workflows.packs.errors import PackProblem
from workflows.packs.workflow_checks import workflow_problems
from workflows.text import Text
from workflows.triage import format_cents
from workflows.value_checks import LARGEST_WHOLE_NUMBER
from workflows.workflow_templates import WORKFLOW_TEMPLATES

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
#: A jurisdiction's level as a French adjective ("de niveau fédéral").
LEVEL_FR = {"federal": "fédéral", "provincial": "provincial", "municipal": "municipal"}
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
    #: The most all the permits along the chain could cost together (each its dearer of fee
    #: and renewal fee): what one invoice could have to hold.
    most_cents: int = 0

    def extended(self) -> Scope:
        return Scope(
            dict(self.questions),
            set(self.fields),
            set(self.agencies),
            set(self.permits),
            prerequisites={code: set(before) for code, before in self.prerequisites.items()},
            workflows=dict(self.workflows),
            most_cents=self.most_cents,
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
        scopes[pack.code], pack_problems = check_pack_alone(pack, scopes[parent] if parent_level else None)
        problems.extend(pack_problems)
    return problems


def check_pack_alone(pack: ParsedPack, parent: Scope | None) -> tuple[Scope, list[PackProblem]]:
    """One pack's checks against its ancestors (`parent`: its parent's scope; None for the federal
    pack), exactly as `check_packs` makes them; returns the pack's own scope, for its children.

    With `check_across_packs`, this lets packs be checked one at a time, parents first, without
    every pack's parsed YAML standing in memory at once.
    """
    scope = parent.extended() if parent is not None else Scope()
    problems: list[PackProblem] = []
    _check_pack(pack, scope, problems)
    return scope, problems


def check_across_packs(packs: Sequence[ParsedPack]) -> list[PackProblem]:
    """The checks `check_packs` makes across packs: jurisdiction codes and parents, postal prefixes,
    and codes of agencies, permits and suggestions unique in the whole country.

    They read only each pack's `jurisdiction` and the `code` of its agencies, permits and
    suggestions, so they can run on those alone.
    """
    problems: list[PackProblem] = []
    _check_jurisdictions(packs, problems)
    _check_postal_prefixes(packs, problems)
    _check_global_codes(packs, problems)
    return problems


def _check_jurisdictions(packs: Sequence[ParsedPack], problems: list[PackProblem]) -> dict[str, ParsedPack]:
    by_code: dict[str, ParsedPack] = {}
    for pack in packs:
        if pack.code in by_code:
            first = by_code[pack.code].source.filename
            problems.append(
                pack.problem(
                    ("jurisdiction", "code"),
                    Text(
                        f"jurisdiction {pack.code} is already defined in {first}",
                        f"l'administration {pack.code} est déjà définie dans {first}",
                    ),
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
                        "federal": Text(
                            "the federal jurisdiction's code is CA",
                            "le code de l'administration fédérale est CA",
                        ),
                        "provincial": Text(
                            "a province's code is its ISO 3166-2 code, such as CA-ON",
                            "le code d'une province est son code ISO 3166-2, comme CA-ON",
                        ),
                        "municipal": Text(
                            "a municipality's code is its 7-digit census-subdivision code, such as 3520005",
                            "le code d'une municipalité est son code de subdivision de recensement "
                            "à 7 chiffres, comme 3520005",
                        ),
                    }[level],
                )
            )
            continue
        if level == "federal":
            if parent is not None:
                problems.append(
                    pack.problem(
                        ("jurisdiction", "parent"),
                        Text(
                            "the federal jurisdiction has no parent",
                            "l'administration fédérale n'a pas d'administration parente",
                        ),
                    )
                )
            continue
        if parent is None:
            problems.append(
                pack.problem(
                    ("jurisdiction",),
                    Text(
                        f"a {level} jurisdiction needs a parent",
                        f"une administration de niveau {LEVEL_FR[level]} doit avoir une administration "
                        "parente (parent)",
                    ),
                )
            )
        elif parent not in by_code:
            problems.append(
                pack.problem(
                    ("jurisdiction", "parent"),
                    Text(
                        f"parent jurisdiction {parent} is not among the loaded packs",
                        f"l'administration parente {parent} ne figure pas parmi les paquets chargés",
                    ),
                )
            )
        elif (parent_level := by_code[parent].data["jurisdiction"]["level"]) != LEVEL_PARENT[level]:
            problems.append(
                pack.problem(
                    ("jurisdiction", "parent"),
                    Text(
                        f"the parent of a {level} jurisdiction must be {LEVEL_PARENT[level]}, "
                        f"but {parent} is {parent_level}",
                        f"l'administration parente d'une administration de niveau {LEVEL_FR[level]} "
                        f"doit être de niveau {LEVEL_FR[LEVEL_PARENT[level] or '']}, mais {parent} est "
                        f"de niveau {LEVEL_FR[parent_level]}",
                    ),
                )
            )
        elif level == "municipal" and SGC_PROVINCE_CODES.get(parent, code[:2]) != code[:2]:
            problems.append(
                pack.problem(
                    ("jurisdiction", "code"),
                    Text(
                        f"census subdivision {code} is not in {parent}, whose codes begin "
                        f"with {SGC_PROVINCE_CODES[parent]}",
                        f"la subdivision de recensement {code} n'est pas dans {parent}, dont les codes "
                        f"commencent par {SGC_PROVINCE_CODES[parent]}",
                    ),
                )
            )
        if level == "municipal" and not raw.get("postal_prefixes"):
            problems.append(
                pack.problem(
                    ("jurisdiction",),
                    Text(
                        "a municipality must list the postal-code prefixes it covers (postal_prefixes)",
                        "une municipalité doit énumérer les préfixes de code postal qu'elle couvre "
                        "(postal_prefixes)",
                    ),
                )
            )
        if level != "municipal" and raw.get("postal_prefixes"):
            problems.append(
                pack.problem(
                    ("jurisdiction", "postal_prefixes"),
                    Text(
                        "only municipalities list postal-code prefixes",
                        "seules les municipalités énumèrent des préfixes de code postal",
                    ),
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
                        Text(
                            f"postal codes in {raw['parent']} begin with {' or '.join(letters)}, "
                            f"not {prefix[0]}",
                            f"les codes postaux de {raw['parent']} commencent par {' ou '.join(letters)}, "
                            f"et non par {prefix[0]}",
                        ),
                    )
                )
            for shorter in (prefix[:n] for n in range(1, len(prefix) + 1)):
                owner = owners.get(shorter)
                if owner is not None and owner is not pack:
                    problems.append(
                        pack.problem(
                            path,
                            Text(
                                f"postal prefix {prefix} overlaps {shorter}, already covered by {owner.code}",
                                f"le préfixe postal {prefix} chevauche {shorter}, "
                                f"déjà couvert par {owner.code}",
                            ),
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
                            (section, index, "code"),
                            Text(
                                f"duplicate code {code}: already used in {seen[code]}",
                                f"code en double {code} : déjà utilisé dans {seen[code]}",
                            ),
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
                pack.problem(
                    (*path, "id"),
                    Text(
                        f"field {definition['id']} is already in the catalogue",
                        f"le champ {definition['id']} figure déjà au catalogue",
                    ),
                )
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
                    (*path, "id"),
                    Text(
                        f"question {question['id']} is already asked (by this pack or a parent)",
                        f"la question {question['id']} est déjà posée (par ce paquet ou un paquet parent)",
                    ),
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
            problems.append(
                pack.problem(
                    (*path, "agency"),
                    Text(f"unknown agency {permit['agency']}", f"organisme inconnu {permit['agency']}"),
                )
            )
        for f_index, field_id in enumerate(permit.get("fields", ())):
            if field_id not in scope.fields:
                problems.append(
                    pack.problem(
                        (*path, "fields", f_index),
                        Text(
                            f"unknown field {field_id}: declare it under fields in this pack or a parent's",
                            f"champ inconnu {field_id} : déclarez-le sous fields dans ce paquet "
                            "ou dans celui d'un parent",
                        ),
                    )
                )
        if permit["workflow"] not in WORKFLOW_TEMPLATES and permit["workflow"] not in scope.workflows:
            problems.append(pack.problem((*path, "workflow"), _unknown_workflow(permit["workflow"], scope)))
        for key, itself, unknown in (
            (
                "depends_on",
                Text("a permit cannot depend on itself", "un permis ne peut pas dépendre de lui-même"),
                Text("unknown prerequisite permit", "permis préalable inconnu"),
            ),
            (
                "prerequisite_of",
                Text(
                    "a permit cannot be a prerequisite of itself",
                    "un permis ne peut pas être son propre préalable",
                ),
                Text("unknown permit", "permis inconnu"),
            ),
        ):
            for d_index, code in enumerate(permit.get(key, ())):
                if code == permit["code"]:
                    problems.append(pack.problem((*path, key, d_index), itself))
                elif code not in visible_permits:
                    problems.append(
                        pack.problem(
                            (*path, key, d_index), Text(f"{unknown.en} {code}", f"{unknown.fr} {code}")
                        )
                    )
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
        scope.most_cents += max(
            _check_fee(pack, (*path, key), permit[key], scope, problems)
            for key in ("fee", "renewal_fee")
            if key in permit
        )
        if "program_account" in permit and data["jurisdiction"]["level"] != "federal":
            problems.append(
                pack.problem(
                    (*path, "program_account"),
                    Text(
                        "only a federal permit can open a program account on the Business Number",
                        "seul un permis fédéral peut ouvrir un compte de programme rattaché "
                        "au numéro d'entreprise",
                    ),
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
    if permits and scope.most_cents > MAX_INVOICE_CENTS:
        most = scope.most_cents
        problems.append(
            pack.problem(
                ("permits",),
                Text(
                    f"the permits of {pack.code} and its parents could together cost up to "
                    f"{format_cents(most, 'en')}, more than one invoice can hold "
                    f"({format_cents(MAX_INVOICE_CENTS, 'en')})",
                    f"les permis de {pack.code} et de ses parents pourraient coûter ensemble jusqu'à "
                    f"{format_cents(most, 'fr')}, plus qu'une facture ne peut contenir "
                    f"({format_cents(MAX_INVOICE_CENTS, 'fr')})",
                ),
            )
        )
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
        problems.append(
            pack.problem(
                (*path, "max"),
                Text(
                    f"max {item['max']} is below min {item['min']}",
                    f"max {item['max']} est inférieur à min {item['min']}",
                ),
            )
        )
    if ("min" in item or "max" in item) and item["type"] not in ("number", "money", "integer"):
        problems.append(
            pack.problem(
                path,
                Text(
                    f"min and max only apply to numbers, not to type {item['type']}",
                    f"min et max ne s'appliquent qu'aux nombres, et non au type {item['type']}",
                ),
            )
        )


def _check_unique_choices(
    pack: ParsedPack, path: Path, item: Mapping[str, Any], problems: list[PackProblem]
) -> None:
    seen = set()
    for index, choice in enumerate(item.get("choices", ())):
        if choice["value"] in seen:
            problems.append(
                pack.problem(
                    (*path, "choices", index, "value"),
                    Text(f"duplicate choice {choice['value']}", f"choix en double {choice['value']}"),
                )
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
            pack.problem(
                path,
                Text(
                    f"{operators[0]} needs the question it compares: add question: <id>",
                    f"{operators[0]} a besoin de la question qu'il compare : ajoutez question: <id>",
                ),
            )
        )
        return
    if len(kinds) != 1:
        kinds_list = ", ".join(CONDITION_KINDS)
        found = ", ".join(kinds)
        problems.append(
            pack.problem(
                path,
                Text(
                    f"a condition needs exactly one of {kinds_list}; found {found or 'none'}",
                    f"une condition exige exactement un élément parmi {kinds_list}; "
                    f"trouvé : {found or 'aucun'}",
                ),
            )
        )
        return
    kind = kinds[0]
    if kind != "question" and operators:
        listed = ", ".join(operators)
        problems.append(
            pack.problem(
                path, Text(f"{listed} only goes with question", f"{listed} ne s'emploie qu'avec question")
            )
        )
        return
    parts: list[tuple[Path, Mapping[str, Any]]] = []
    if kind in ("all", "any"):
        parts = [((*path, kind, index), part) for index, part in enumerate(condition[kind])]
    elif kind == "at_least":
        of, count = condition["at_least"]["of"], condition["at_least"]["count"]
        if count > len(of):
            problems.append(
                pack.problem(
                    (*path, "at_least", "count"),
                    Text(
                        f"count {count} is more than the {len(of)} conditions listed",
                        f"count {count} dépasse le nombre de conditions énumérées ({len(of)})",
                    ),
                )
            )
        parts = [((*path, "at_least", "of", index), part) for index, part in enumerate(of)]
    elif kind == "not":
        parts = [((*path, "not"), condition["not"])]
    elif kind == "permit":
        code = condition["permit"]
        if not allow_permits:
            problems.append(
                pack.problem(
                    (*path, "permit"),
                    Text(
                        "show_if can only depend on answers, not on permits",
                        "show_if ne peut dépendre que des réponses, et non des permis",
                    ),
                )
            )
        elif code == own_code:
            problems.append(
                pack.problem(
                    (*path, "permit"),
                    Text(
                        "a permit's rule cannot depend on the permit itself",
                        "la règle d'un permis ne peut pas dépendre de ce permis lui-même",
                    ),
                )
            )
        elif code not in permits:
            problems.append(
                pack.problem((*path, "permit"), Text(f"unknown permit {code}", f"permis inconnu {code}"))
            )
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
                Text(
                    f"question {question_id} needs exactly one comparison "
                    f"({', '.join(COMPARISONS)}); found {', '.join(operators) or 'none'}",
                    f"la question {question_id} exige exactement une comparaison "
                    f"({', '.join(COMPARISONS)}); trouvé : {', '.join(operators) or 'aucune'}",
                ),
            )
        )
        return
    op = operators[0]
    question = scope.questions.get(question_id)
    if question is None:
        reason = Text(f"unknown question {question_id}", f"question inconnue {question_id}")
        if question_id in scope.asked_later:
            reason = Text(
                f"question {question_id} is not asked before this one: show_if can only read "
                "questions asked earlier (above it in this pack, or in a parent's pack)",
                f"la question {question_id} n'est pas posée avant celle-ci : show_if ne peut lire que "
                "les questions posées plus tôt (plus haut dans ce paquet, ou dans le paquet d'un parent)",
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
                    Text(
                        f"question {question_id} is yes/no: compare it with equals: true or equals: false",
                        f"la question {question_id} se répond par oui ou non : comparez-la avec equals: true "
                        "ou equals: false",
                    ),
                )
            )
    elif kind == "choice":
        valid = {choice["value"] for choice in question["choices"]}
        if op in ORDERED_COMPARISONS:
            problems.append(
                pack.problem(
                    (*path, op),
                    Text(
                        f"question {question_id} is a choice: use equals, not_equals or in",
                        f"la question {question_id} est à choix : employez equals, not_equals ou in",
                    ),
                )
            )
        for value in values:
            if value not in valid:
                problems.append(
                    pack.problem(
                        (*path, op),
                        Text(
                            f"{value!r} is not a choice of question {question_id}; "
                            f"choices: {', '.join(sorted(valid))}",
                            f"{value!r} n'est pas un choix de la question {question_id}; "
                            f"choix : {', '.join(sorted(valid))}",
                        ),
                    )
                )
    elif any(isinstance(value, bool) or not isinstance(value, int) for value in values):
        money = kind == "money"
        problems.append(
            pack.problem(
                (*path, op),
                Text(
                    f"question {question_id} is a {kind}: compare it with whole numbers"
                    + (" (money is in cents)" if money else ""),
                    f"la question {question_id} est de type {kind} : comparez-la avec des nombres entiers"
                    + (" (les montants sont en cents)" if money else ""),
                ),
            )
        )


def _check_fee(
    pack: ParsedPack, path: Path, fee: Mapping[str, Any], scope: Scope, problems: list[PackProblem]
) -> int:
    """Check one fee; return the most it can come to (0 when it cannot be worked out)."""
    question = None
    if "question" in fee:
        question = scope.questions.get(fee["question"])
        if question is None:
            problems.append(
                pack.problem(
                    (*path, "question"),
                    Text(f"unknown question {fee['question']}", f"question inconnue {fee['question']}"),
                )
            )
        elif question["type"] not in ("number", "money"):
            wanted = (
                Text("number", "number")
                if fee["kind"] == "per_unit"
                else Text("number or money", "number ou money")
            )
            problems.append(
                pack.problem(
                    (*path, "question"),
                    Text(
                        f"a {fee['kind']} fee needs a {wanted.en} question, "
                        f"and {fee['question']} is {question['type']}",
                        f"un droit {fee['kind']} exige une question de type {wanted.fr}, "
                        f"et {fee['question']} est de type {question['type']}",
                    ),
                )
            )
        elif fee["kind"] == "per_unit" and question["type"] == "money":
            problems.append(
                pack.problem(
                    (*path, "question"),
                    Text(
                        "a per_unit fee counts units (seats, square metres), not money",
                        "un droit per_unit compte des unités (places, mètres carrés), et non des montants",
                    ),
                )
            )
    for index, reason in band_problems(fee.get("bands", [])):
        problems.append(pack.problem((*path, "bands", index), reason))
    if fee["kind"] != "per_unit":
        return most_cents(fee, 0)
    if question is None or question["type"] != "number":
        return 0  # reported above
    most_units = int(question.get("max", LARGEST_WHOLE_NUMBER))
    if most_units * fee["unit_cents"] > MAX_FEE_CENTS:
        allowed = MAX_FEE_CENTS // fee["unit_cents"]
        reach_en, reach_fr = (
            (f"up to {most_units} units", f"jusqu'à {most_units} unités")
            if "max" in question
            else ("any number of units (it has no max)", "un nombre quelconque d'unités (sans max)")
        )
        problems.append(
            pack.problem(
                (*path, "unit_cents"),
                Text(
                    f"question {fee['question']} allows {reach_en}, so this fee could exceed the most one "
                    f"fee may be ({format_cents(MAX_FEE_CENTS, 'en')}): give it a max of at most {allowed}",
                    f"la question {fee['question']} permet {reach_fr}; ce droit pourrait donc dépasser "
                    f"le maximum d'un droit ({format_cents(MAX_FEE_CENTS, 'fr')}) : donnez-lui un max "
                    f"d'au plus {allowed}",
                ),
            )
        )
        return 0
    return most_cents(fee, most_units)


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
        arrows = " -> ".join(ring)
        reason = (
            Text(f"cyclic prerequisites: {arrows}", f"préalables circulaires : {arrows}")
            if key == "depends_on"
            else Text(
                f"cyclic rules (applies_if permit references): {arrows}",
                f"règles circulaires (renvois à des permis dans applies_if) : {arrows}",
            )
        )
        problems.append(pack.problem(("permits", first_own, key), reason))


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


def _unknown_workflow(name: str, scope: Scope) -> Text:
    known = ", ".join(sorted(WORKFLOW_TEMPLATES))
    en = f"unknown workflow template {name}; known: {known}"
    fr = f"modèle de processus inconnu {name}; modèles connus : {known}"
    if scope.workflows:
        defined = ", ".join(f"{other} ({code})" for other, code in sorted(scope.workflows.items()))
        en += f"; defined by this pack or its ancestors: {defined}"
        fr += f"; définis par ce paquet ou ses ascendants : {defined}"
    return Text(en, fr)


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
                pack.problem(
                    (*path, "name"),
                    Text(
                        f"{name} is a built-in workflow template: choose another name",
                        f"{name} est un modèle de processus intégré : choisissez un autre nom",
                    ),
                )
            )
        elif name in scope.workflows:
            where = scope.workflows[name]
            by = (
                Text("this pack", "ce paquet")
                if where == pack.code
                else Text(f"{where}, an ancestor of this pack", f"{where}, un ascendant de ce paquet")
            )
            problems.append(
                pack.problem(
                    (*path, "name"),
                    Text(
                        f"workflow {name} is already defined by {by.en}",
                        f"le processus {name} est déjà défini par {by.fr}",
                    ),
                )
            )
        else:
            scope.workflows[name] = pack.code
        problems.extend(
            pack.problem((*path, *where), reason) for where, reason in workflow_problems(workflow)
        )
