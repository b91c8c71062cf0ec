"""Every reason a pack is rejected for exists in French too, for the upload page read in French.

The malformed cases of test_malformed_packs.py are walked again, every problem of each (not
only the one that case checks); then each way `plain_reason` words a schema violation, and
every pattern of the real schema.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import jsonschema
import pytest

from tests.engine.test_malformed_packs import CASES, Case, case_problems, load_problems
from workflows.packs import PackProblem, PackSource
from workflows.packs.loader import plain_reason
from workflows.text import Text


def assert_french(problem: PackProblem) -> None:
    assert problem.reason_fr.strip(), f"no French for: {problem}"
    assert problem.reason_fr != problem.reason, f"the French is the English: {problem}"
    assert problem.reason_in("fr") == problem.reason_fr and problem.reason_language("fr") == "fr"
    assert problem.reason_in("en") == problem.reason and problem.reason_language("en") == "en"


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_every_problem_of_a_malformed_pack_is_said_in_french(case: Case):
    _texts, problems = case_problems(case)
    assert problems
    for problem in problems:
        assert_french(problem)


@pytest.mark.parametrize(
    "text",
    [
        "format: 1\njurisdiction: [unclosed\n",  # not YAML at all
        "format: 1\nformat: 1\n",  # a key twice
        "- format: 1\n",  # a list, not a mapping
        "format: !!python/name:os.system\n",  # a tag the safe loader refuses
    ],
)
def test_a_file_that_is_not_a_pack_mapping_is_said_in_french(text: str):
    (problem,) = load_problems([PackSource("bad.yaml", text)])
    assert_french(problem)


def test_no_files_is_said_in_french():
    (problem,) = load_problems([])
    assert problem.reason_fr == "aucun fichier de paquet n'a été fourni"


def reasons(schema: dict[str, Any], instance: Any) -> list[Text]:
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(instance))
    assert errors, f"{instance!r} is valid against {schema}"
    return [plain_reason(error) for error in errors]


TEXT = {"type": "object", "required": ["en", "fr"], "properties": {"en": {}, "fr": {}}}
CHOICES_ONLY_FOR_CHOICE = {
    "if": {"properties": {"type": {"const": "choice"}}},
    "then": {"required": ["choices"]},
    "else": {"not": {"required": ["choices"]}},
}

#: One schema and instance per way plain_reason words a violation, with a piece of its French.
SCHEMA_FAULTS = [
    (TEXT, {"en": "Hi"}, "texte français manquant (clé 'fr')"),
    (TEXT, {"fr": "Salut"}, "texte anglais manquant (clé 'en')"),
    ({"required": ["code"]}, {}, "clé obligatoire manquante : 'code'"),
    ({"required": ["code", "name"]}, {}, "clés obligatoires manquantes : 'code', 'name'"),
    (
        TEXT | {"additionalProperties": False},
        {"en": "a", "fr": "b", "de": "c"},
        "clé inconnue 'de'; clés permises : en, fr",
    ),
    ({"additionalProperties": False}, {"x": 1, "y": 2}, "clés inconnues 'x', 'y'"),
    ({"pattern": "\\S"}, " ", "ne doit pas être vide"),
    ({"pattern": "^[0-9]+$"}, "abc", "'abc' n'est pas dans la forme attendue (^[0-9]+$)"),
    (
        {"enum": ["flat", "per_unit"]},
        "banded",
        "'banded' ne fait pas partie des valeurs permises : flat, per_unit",
    ),
    ({"const": 1}, 2, "doit valoir 1"),
    ({"properties": {"amount_cents": {"type": "integer"}}}, {"amount_cents": 12.5}, "en cents entiers"),
    ({"type": "string"}, 12, "mettez-le entre guillemets"),
    ({"type": ["string", "null"]}, [], "doit être de type string ou null, et non list ([])"),
    ({"minimum": 0}, -1, "-1 est inférieur au minimum 0"),
    ({"maximum": 10}, 11, "11 est supérieur au maximum 10"),
    ({"minItems": 1}, [], "doit compter au moins 1 élément"),
    ({"minItems": 2}, [1], "doit compter au moins 2 éléments"),
    ({"uniqueItems": True}, [1, 1], "contient le même élément plus d'une fois"),
    ({"minProperties": 1}, {}, "ne doit pas être vide"),
    (CHOICES_ONLY_FOR_CHOICE, {"type": "text", "choices": []}, "'choices' n'est permis que pour"),
    ({"maxLength": 2}, "abc", "non conforme au format des paquets : 'abc' is too long"),
]


@pytest.mark.parametrize(
    ("schema", "instance", "french"), SCHEMA_FAULTS, ids=[f[2][:40] for f in SCHEMA_FAULTS]
)
def test_each_kind_of_schema_violation_is_said_in_french(schema, instance, french):
    for reason in reasons(schema, instance):  # jsonschema reports each missing key apart
        assert french in reason.fr
        assert reason.fr != reason.en and reason.en


def pattern_nodes(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, list):
        return [found for item in node for found in pattern_nodes(item)]
    if not isinstance(node, dict):
        return []
    own = [node] if "pattern" in node else []
    return own + [found for value in node.values() for found in pattern_nodes(value)]


def test_every_pattern_of_the_schema_is_explained_in_french():
    schema = json.loads((resources.files("workflows.packs") / "pack.schema.json").read_text())
    nodes = pattern_nodes(schema)
    assert len(nodes) >= 8
    for node in nodes:
        pattern = {key: node[key] for key in ("pattern", "description") if key in node}
        (reason,) = reasons(pattern, "" if node["pattern"] == "\\S" else "!!")
        assert reason.fr != reason.en
        # The French explains the form in French: neither the English description nor the raw pattern.
        assert node.get("description", "\0") not in reason.fr and node["pattern"] not in reason.fr, reason
