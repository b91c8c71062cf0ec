"""Validating and loading permit packs, all together and all-or-nothing.

Three passes: each file is parsed (YAML, duplicate keys) and checked against the JSON
Schema; then every cross-reference is checked over all packs at once (`checks.py`);
only when nothing at all is wrong are the packs compiled into a new PackSet. A caller
therefore either gets a complete, consistent PackSet or a PackError listing every
fault with its file, path and line: never a half-loaded set.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

from workflows.conditions import compile_condition
from workflows.fees import compile_fee
from workflows.packs.checks import check_packs, parents_first, rule_order
from workflows.packs.errors import PackError, PackProblem, format_path
from workflows.packs.model import (
    Agency,
    Chain,
    Choice,
    FieldDefinition,
    Jurisdiction,
    Pack,
    PackSet,
    Permit,
    Question,
    Suggestion,
)
from workflows.packs.workflow_checks import compile_workflow
from workflows.packs.yaml_source import ParsedYaml, YamlFault, parse_yaml
from workflows.text import Text
from workflows.workflow_templates import WorkflowTemplate, register_template, template_key

PACK_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True, slots=True)
class PackSource:
    """A pack's YAML text and the name to report problems under."""

    filename: str
    text: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class ParsedPack:
    source: PackSource
    yaml: ParsedYaml

    @property
    def data(self) -> dict[str, Any]:
        return self.yaml.data

    @property
    def code(self) -> str:
        return self.data["jurisdiction"]["code"]

    def problem(self, path: Sequence[str | int], reason: Text) -> PackProblem:
        return PackProblem.said(self.source.filename, format_path(path), reason, self.yaml.line_of(path))


def read_pack_sources(paths: Iterable[Path]) -> list[PackSource]:
    """Read pack files, and every *.yaml / *.yml in the directories among `paths`."""
    sources = []
    for path in paths:
        files = sorted(p for p in path.iterdir() if p.suffix in PACK_SUFFIXES) if path.is_dir() else [path]
        sources.extend(PackSource(file.name, file.read_text(encoding="utf-8")) for file in files)
    return sources


def read_pack_directory(path: Path) -> list[PackSource]:
    return read_pack_sources([path])


def bundled_pack_directory() -> Path:
    """The demo packs shipped with Guichet (federal, Ontario, Toronto, BC, Vancouver)."""
    return Path(str(resources.files("workflows") / "bundled_packs"))


@cache
def _schema_validator() -> jsonschema.Draft202012Validator:
    schema = json.loads((resources.files("workflows.packs") / "pack.schema.json").read_text())
    return jsonschema.Draft202012Validator(_inline_refs(schema, schema["$defs"], ()))


def _inline_refs(node: Any, definitions: dict[str, Any], within: tuple[str, ...]) -> Any:
    """The schema with each `{"$ref": "#/$defs/x"}` replaced by x itself, except where x refers
    to itself (a condition inside a condition). Validation is the same, and a third faster:
    jsonschema looks a $ref up anew every time it meets one, thousands of times per pack."""
    if isinstance(node, list):
        return [_inline_refs(item, definitions, within) for item in node]
    if not isinstance(node, dict):
        return node
    name = node.get("$ref", "").removeprefix("#/$defs/")
    if len(node) == 1 and name in definitions and name not in within:
        return _inline_refs(definitions[name], definitions, (*within, name))
    return {key: _inline_refs(value, definitions, within) for key, value in node.items()}


def parse_pack(source: PackSource) -> tuple[ParsedPack | None, list[PackProblem]]:
    """Parse one file and check it against the schema."""
    try:
        parsed = parse_yaml(source.text)
    except YamlFault as fault:
        return None, [PackProblem.said(source.filename, format_path(fault.path), fault.reason, fault.line)]
    if not isinstance(parsed.data, dict):
        return None, [
            PackProblem.said(
                source.filename,
                format_path(()),
                Text(
                    "a pack must be a YAML mapping with format, jurisdiction, ...",
                    "un paquet doit être un tableau associatif YAML (mapping) avec format, jurisdiction, ...",
                ),
                1,
            )
        ]
    pack = ParsedPack(source, parsed)
    errors = sorted(
        _schema_validator().iter_errors(parsed.data), key=lambda e: list(map(str, e.absolute_path))
    )
    return pack, [pack.problem(list(error.absolute_path), plain_reason(error)) for error in errors]


#: The schema's patterns that have no description, said in words.
PATTERN_WORDS = {
    "^(CA|CA-[A-Z]{2}|[0-9]{7})$": Text(
        "CA, a province such as CA-ON, or a 7-digit census-subdivision code",
        "CA, une province comme CA-ON, ou un code de subdivision de recensement à 7 chiffres",
    ),
    "^[ABCEGHJ-NPRSTVXY]([0-9][A-Z]?)?$": Text(
        "a postal-code prefix in capitals, such as M, M5 or M5V",
        "un préfixe de code postal en majuscules, comme M, M5 ou M5V",
    ),
    "^[A-Z0-9][A-Z0-9-]{1,39}$": Text(
        "capital letters, digits and dashes, such as GL-4100",
        "des majuscules, des chiffres et des traits d'union, comme GL-4100",
    ),
    "^https://\\S+$": Text(
        "a web address beginning with https://", "une adresse Web commençant par https://"
    ),
}

#: The French of the schema's descriptions that say a pattern in words.
DESCRIPTIONS_FR = {
    "A code for an agency, permit or suggestion: letters, digits, dots, dashes, underscores.": (
        "un code d'organisme, de permis ou de suggestion : lettres, chiffres, points, traits d'union, "
        "traits de soulignement"
    ),
    "A question, field or choice identifier: lower-case snake_case.": (
        "un identifiant de question, de champ ou de choix : en minuscules et en snake_case, les mots liés "
        "par des traits de soulignement"
    ),
    "a workflow state: lower-case snake_case, at most 64 characters": (
        "un état de processus : en minuscules et en snake_case, les mots liés par des traits de "
        "soulignement, au plus 64 caractères"
    ),
    "lower-case snake_case, at most 32 characters": (
        "en minuscules et en snake_case, les mots liés par des traits de soulignement, au plus 32 caractères"
    ),
}


def plain_reason(error: jsonschema.ValidationError) -> Text:
    """Say a schema violation in words a pack author understands, in English and French."""
    validator, value = error.validator, error.validator_value
    if validator == "required":
        missing = [key for key in value if key not in error.instance]
        if missing and missing[0] in ("en", "fr"):
            key = missing[0]
            return Text(
                f"missing {'French' if key == 'fr' else 'English'} text (key '{key}')",
                f"texte {'français' if key == 'fr' else 'anglais'} manquant (clé '{key}')",
            )
        keys = ", ".join(f"'{key}'" for key in missing)
        several = len(missing) > 1
        return Text(
            "missing required key " + keys,
            ("clés obligatoires manquantes : " if several else "clé obligatoire manquante : ") + keys,
        )
    if validator == "additionalProperties":
        allowed = ", ".join(sorted(error.schema.get("properties", {})))
        extra = sorted(str(key) for key in error.instance if key not in error.schema.get("properties", {}))
        keys = ", ".join(f"'{key}'" for key in extra)
        return Text(
            f"unknown key {keys}" + (f"; allowed keys: {allowed}" if allowed else ""),
            f"{'clés inconnues' if len(extra) > 1 else 'clé inconnue'} {keys}"
            + (f"; clés permises : {allowed}" if allowed else ""),
        )
    if validator == "pattern":
        if value == "\\S":
            return Text("must not be empty", "ne doit pas être vide")
        description = error.schema.get("description")
        if description:
            expected = Text(description, DESCRIPTIONS_FR.get(description, description))
        else:
            expected = PATTERN_WORDS.get(value, Text(value, value))
        return Text(
            f"{error.instance!r} is not in the expected form ({expected.en})",
            f"{error.instance!r} n'est pas dans la forme attendue ({expected.fr})",
        )
    if validator == "enum":
        values = ", ".join(map(str, value))
        return Text(
            f"{error.instance!r} is not one of: {values}",
            f"{error.instance!r} ne fait pas partie des valeurs permises : {values}",
        )
    if validator == "const":
        return Text(f"must be {json.dumps(value)}", f"doit valoir {json.dumps(value)}")
    if validator == "type":
        return _type_reason(error)
    if validator in ("minimum", "maximum"):
        if validator == "minimum":
            return Text(
                f"{error.instance} is below the minimum {value}",
                f"{error.instance} est inférieur au minimum {value}",
            )
        return Text(
            f"{error.instance} is above the maximum {value}",
            f"{error.instance} est supérieur au maximum {value}",
        )
    if validator == "minItems":
        return Text(
            f"needs at least {value} item{'s' if value != 1 else ''}",
            f"doit compter au moins {value} élément{'s' if value > 1 else ''}",
        )
    if validator == "uniqueItems":
        return Text("lists the same item more than once", "contient le même élément plus d'une fois")
    if validator == "minProperties":
        return Text("must not be empty", "ne doit pas être vide")
    if validator == "not" and error.schema.get("not", {}).get("required") == ["choices"]:
        return Text(
            "'choices' is only allowed on questions and fields of type choice",
            "'choices' n'est permis que pour les questions et les champs de type choice",
        )
    # A rule of the schema without words of its own: jsonschema's message, which is English.
    return Text(error.message, f"non conforme au format des paquets : {error.message}")


def _type_reason(error: jsonschema.ValidationError) -> Text:
    value = error.validator_value
    expected = " or ".join(value) if isinstance(value, list) else value
    expected_fr = " ou ".join(value) if isinstance(value, list) else value
    found = f"{type(error.instance).__name__} ({error.instance!r})"
    en, fr = f"must be of type {expected}, not {found}", f"doit être de type {expected_fr}, et non {found}"
    if str(error.absolute_path[-1] if error.absolute_path else "").endswith("_cents"):
        en += "; money is written in whole cents ($12.50 is 1250)"
        fr += "; les montants s'écrivent en cents entiers (12,50 $ s'écrit 1250)"
    elif value == "string" and type(error.instance) in (int, float, bool):
        en += "; to write it as text, put it in quotes"
        fr += "; pour l'écrire comme du texte, mettez-le entre guillemets"
    return Text(en, fr)


def load_pack_set(sources: Sequence[PackSource]) -> PackSet:
    """Validate every pack together and compile them, or raise PackError listing every problem."""
    parsed_packs: list[ParsedPack] = []
    problems: list[PackProblem] = []
    for source in sources:
        parsed, file_problems = parse_pack(source)
        problems.extend(file_problems)
        if parsed is not None and not file_problems:
            parsed_packs.append(parsed)
    if problems:
        raise PackError(problems)
    if not parsed_packs:
        nothing = Text("no pack files were given", "aucun fichier de paquet n'a été fourni")
        raise PackError([PackProblem.said("(no files)", format_path(()), nothing)])
    problems = check_packs(parsed_packs)
    if problems:
        raise PackError(problems)
    return _compile(parsed_packs)


def _text(data: dict[str, str] | None) -> Text | None:
    return Text.from_data(data) if data is not None else None


def _choices(data: list[dict[str, Any]] | None) -> tuple[Choice, ...]:
    return tuple(Choice(choice["value"], Text.from_data(choice["label"])) for choice in data or ())


def _compile(parsed_packs: list[ParsedPack]) -> PackSet:
    packs: dict[str, Pack] = {}
    agencies: dict[str, Agency] = {}
    permits: dict[str, Permit] = {}
    templates: dict[str, WorkflowTemplate] = {}
    visible_workflows: dict[str, dict[str, str]] = {}  # jurisdiction -> workflow name -> key, along its chain
    for parsed in parents_first(parsed_packs):
        own = _compile_workflows(parsed, templates)
        parent = parsed.data["jurisdiction"].get("parent")
        visible_workflows[parsed.code] = {**visible_workflows.get(parent, {}), **own}
        pack = _compile_pack(parsed, agencies, visible_workflows[parsed.code], own)
        packs[pack.jurisdiction.code] = pack
        permits.update((permit.code, permit) for permit in pack.permits)
    chains = {
        code: _chain(pack, packs) for code, pack in packs.items() if pack.jurisdiction.level == "municipal"
    }
    return PackSet(packs=packs, chains=chains, agencies=agencies, permits=permits, workflows=templates)


def _compile_workflows(parsed: ParsedPack, templates: dict[str, WorkflowTemplate]) -> dict[str, str]:
    """Build and register the pack's own workflows; returns name -> key.

    Registering makes them known to the engine in this process. The key holds a digest of the
    whole definition, so a changed workflow never replaces the one earlier cases follow.
    """
    own = {}
    for data in parsed.data.get("workflows", ()):
        template = compile_workflow(data)
        key = template_key(parsed.code, template)
        templates[key] = register_template(key, template)
        own[template.name] = key
    return own


def _compile_pack(
    parsed: ParsedPack, agencies: dict[str, Agency], workflows: dict[str, str], own_workflows: dict[str, str]
) -> Pack:
    """One pack; `workflows` maps the workflow names its permits may use (its chain's) to keys."""
    data = parsed.data
    raw = data["jurisdiction"]
    jurisdiction = Jurisdiction(
        raw["code"],
        raw["level"],
        Text.from_data(raw["name"]),
        raw.get("parent"),
        tuple(raw.get("postal_prefixes", ())),
    )
    own_agencies = tuple(
        Agency(a["code"], Text.from_data(a["name"]), a["gl_account"], jurisdiction.code, a.get("url"))
        for a in data.get("agencies", ())
    )
    agencies.update((agency.code, agency) for agency in own_agencies)
    questions = tuple(
        Question(
            q["id"],
            q["type"],
            Text.from_data(q["text"]),
            jurisdiction.code,
            help=_text(q.get("help")),
            unit=_text(q.get("unit")),
            minimum=q.get("min"),
            maximum=q.get("max"),
            choices=_choices(q.get("choices")),
            show_if=compile_condition(q["show_if"]) if "show_if" in q else None,
            show_if_data=q.get("show_if"),
        )
        for q in data.get("questions", ())
    )
    fields = tuple(
        FieldDefinition(
            f["id"],
            f["type"],
            Text.from_data(f["label"]),
            jurisdiction.code,
            help=_text(f.get("help")),
            max_length=f.get("max_length"),
            minimum=f.get("min"),
            maximum=f.get("max"),
            personal=f.get("personal", False),
            choices=_choices(f.get("choices")),
        )
        for f in data.get("fields", ())
    )
    permits = tuple(
        Permit(
            code=p["code"],
            name=Text.from_data(p["name"]),
            description=Text.from_data(p["description"]),
            agency=agencies[p["agency"]],
            jurisdiction=jurisdiction,
            applies_if=compile_condition(p["applies_if"]),
            fee=compile_fee(p["fee"]),
            processing_days=p["processing_days"],
            workflow=workflows.get(p["workflow"], p["workflow"]),
            refundable=p["refundable"],
            fields=tuple(p.get("fields", ())),
            depends_on=tuple(p.get("depends_on", ())),
            prerequisite_of=tuple(p.get("prerequisite_of", ())),
            renewal_fee=compile_fee(p["renewal_fee"]) if "renewal_fee" in p else None,
            validity_months=p.get("validity_months"),
            program_account=p.get("program_account"),
            url=p.get("url"),
        )
        for p in rule_order(data.get("permits", ()))
    )
    suggestions = tuple(
        Suggestion(
            s["code"],
            s["kind"],
            Text.from_data(s["name"]),
            Text.from_data(s["description"]),
            compile_condition(s["applies_if"]),
            jurisdiction,
            provider=_text(s.get("provider")),
            url=s.get("url"),
        )
        for s in data.get("suggestions", ())
    )
    return Pack(
        jurisdiction,
        own_agencies,
        questions,
        fields,
        permits,
        suggestions,
        parsed.source.filename,
        parsed.source.sha256,
        own_workflows,
    )


def _chain(municipal: Pack, packs: dict[str, Pack]) -> Chain:
    lineage = [municipal]
    while lineage[-1].jurisdiction.parent:
        lineage.append(packs[lineage[-1].jurisdiction.parent])
    lineage.reverse()  # federal, provincial, municipal
    questions = tuple(q for pack in lineage for q in pack.questions)
    permits = tuple(p for pack in lineage for p in pack.permits)
    added: dict[str, list[str]] = {}
    for permit in permits:
        for later in permit.prerequisite_of:
            added.setdefault(later, []).append(permit.code)
    return Chain(
        municipality=municipal.jurisdiction,
        jurisdictions=tuple(pack.jurisdiction for pack in lineage),
        questions=questions,
        questions_by_id={q.id: q for q in questions},
        permits=permits,
        permit_rank={p.code: rank for rank, p in enumerate(permits)},
        suggestions=tuple(s for pack in lineage for s in pack.suggestions),
        fields={f.id: f for pack in lineage for f in pack.fields},
        added_prerequisites={code: tuple(before) for code, before in added.items()},
    )
