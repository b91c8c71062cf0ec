"""Validating and loading permit packs, all together and all-or-nothing.

Each file is parsed (YAML, duplicate keys) and checked against the JSON Schema; every
cross-reference is checked (`checks.py`); only when nothing at all is wrong is a new
PackSet returned. A caller therefore either gets a complete, consistent PackSet or a
PackError listing every fault with its file, path and line: never a half-loaded set.

Packs are read, checked and compiled one at a time, parents first, keeping only the
compiled form of each (`_load_pack_by_pack`): a country's packs never stand in memory as
parsed YAML all at once. At the first problem, the set is read again and checked all at
once (`_load_all_at_once`), which lists every problem of every pack in one fixed order.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import metadata, resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workflows.conditions import Condition, compile_condition
from workflows.fees import compile_fee
from workflows.packs.checks import (
    LEVEL_PARENT,
    Scope,
    check_across_packs,
    check_pack_alone,
    check_packs,
    parents_first,
    rule_order,
)
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
from workflows.packs.sharing import Sharing
from workflows.packs.workflow_checks import compile_workflow
from workflows.packs.yaml_source import ParsedYaml, YamlFault, parse_yaml
from workflows.text import Text
from workflows.workflow_templates import WorkflowTemplate, register_template, template_key

if TYPE_CHECKING:
    import jsonschema

PACK_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True, slots=True)
class PackSource:
    """A pack's YAML text and the name to report problems under.

    `schema_checked` says that this very text is known to pass the JSON Schema in use: only a
    record made when it was checked can say so (`pack_store` reads it from the text's published
    version, see `schema_stamp`). Its schema check is then skipped; every other check is made.
    """

    filename: str
    text: str
    schema_checked: bool = field(default=False, compare=False)

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
    # Imported here: a worker whose packs all carry their schema stamp never needs jsonschema,
    # which costs a process 3 MB.
    import jsonschema

    schema = json.loads(_schema_text())
    return jsonschema.Draft202012Validator(_inline_refs(schema, schema["$defs"], ()))


def _schema_text() -> str:
    return (resources.files("workflows.packs") / "pack.schema.json").read_text()


#: Raise it when anything else that decides whether a text passes the schema changes (how the
#: schema is prepared, how YAML becomes data): every stamp made before then stops counting.
SCHEMA_CHECK_REVISION = 1


@cache
def _schema_check() -> str:
    """What decides whether a text passes the schema: the schema itself, the versions of the
    libraries that read the YAML and check it, and SCHEMA_CHECK_REVISION."""
    return "\n".join(
        (
            hashlib.sha256(_schema_text().encode()).hexdigest(),
            f"jsonschema {metadata.version('jsonschema')}",
            f"PyYAML {metadata.version('PyYAML')}",
            f"revision {SCHEMA_CHECK_REVISION}",
        )
    )


def schema_stamp(text_sha256: str) -> str:
    """The record that the text of digest `text_sha256` passed the JSON Schema now in use.

    Stored with a published version, it lets a worker skip that text's schema check, about half
    the time of a load. It holds the text's digest: a text changed afterwards (a row edited in
    the database) no longer matches its stamp and is checked in full again, as is every text
    once the schema or the libraries change. Every other check is made on every load.
    """
    return hashlib.sha256(f"{_schema_check()}\n{text_sha256}".encode()).hexdigest()


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
    if source.schema_checked:
        return pack, []
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


def load_pack_set(sources: Iterable[PackSource]) -> PackSet:
    """Validate every pack together and compile them, or raise PackError listing every problem.

    `sources` is read once, or a second time when a pack has a problem: a list, or any iterable
    that can be read twice (`pack_store` streams the texts from the database).
    """
    pack_set = _load_pack_by_pack(sources)
    return pack_set if pack_set is not None else _load_all_at_once(sources)


def _load_all_at_once(sources: Iterable[PackSource]) -> PackSet:
    """Parse every pack, check them all together, then compile: every problem is reported."""
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
    compiler = _Compiler()
    for order, parsed in enumerate(parents_first(parsed_packs)):
        compiler.add(parsed, order)
    return compiler.pack_set()


def _load_pack_by_pack(sources: Iterable[PackSource]) -> PackSet | None:
    """The packs read, checked and compiled one at a time; None at the first problem of any kind.

    A pack is checked against its ancestors' scopes as `check_packs` does, as soon as its
    parent has passed (a pack read before its parent is read again after it); only packs that
    can be parents keep their scope. The checks across packs run at the end, on what the compiled
    packs declare. Whatever fails, or looks out of the ordinary (a parent that never comes, of
    the wrong level, a code seen twice), returns None for `_load_all_at_once` to report.
    """
    compiler = _Compiler()
    scopes: dict[str, Scope] = {}
    levels: dict[str, str] = {}
    waiting: dict[str, list[tuple[int, PackSource]]] = {}  # parent's code -> packs read before it
    for order, source in enumerate(sources):
        parsed, problems = parse_pack(source)
        if parsed is None or problems:
            return None
        parent = parsed.data["jurisdiction"].get("parent")
        if parent is not None and parent not in levels:
            # Read again once its parent has passed, without its schema check, which it passed:
            # holding the parsed YAML of every pack read before its parent is what this avoids.
            checked = PackSource(source.filename, source.text, schema_checked=True)
            waiting.setdefault(parent, []).append((order, checked))
            continue
        ready = [(order, parsed)]
        while ready:
            order_read, pack = ready.pop()
            raw = pack.data["jurisdiction"]
            code, level, parent = pack.code, raw["level"], raw.get("parent")
            if code in levels or LEVEL_PARENT[level] != (levels[parent] if parent is not None else None):
                return None
            scope, problems = check_pack_alone(pack, scopes.get(parent) if parent is not None else None)
            if problems:
                return None
            code = compiler.add(pack, order_read, level).jurisdiction.code  # the shared string
            levels[code] = level
            if level != "municipal":
                scopes[code] = scope
            for order_waiting, source_waiting in waiting.pop(code, ()):
                parsed_again, _ = parse_pack(source_waiting)
                if parsed_again is None:
                    return None
                ready.append((order_waiting, parsed_again))
    if waiting or not levels:
        return None
    if check_across_packs([_declarations(pack) for pack in compiler.finish()]):
        return None
    return compiler.pack_set()


def _declarations(pack: Pack) -> ParsedPack:
    """What `check_across_packs` reads of a pack, taken from the compiled pack, only to know
    whether there is a problem, never to report it."""
    return ParsedPack(PackSource(pack.filename, ""), ParsedYaml(_Declared(pack), ""))


class _Declared(Mapping[str, Any]):
    """A compiled pack's jurisdiction and the codes it declares, in the shape of its YAML's data.

    Each is made when it is read and dropped after: kept for 3,500 packs at once, they would
    add to the load's peak what a pack's whole compiled form costs.
    """

    __slots__ = ("_pack",)
    SECTIONS = ("agencies", "permits", "suggestions")

    def __init__(self, pack: Pack):
        self._pack = pack

    def __getitem__(self, key: str) -> Any:
        if key == "jurisdiction":
            jurisdiction = self._pack.jurisdiction
            return {
                "code": jurisdiction.code,
                "level": jurisdiction.level,
                "parent": jurisdiction.parent,
                "postal_prefixes": jurisdiction.postal_prefixes,
            }
        if key in self.SECTIONS:
            return [{"code": item.code} for item in getattr(self._pack, key)]
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(("jurisdiction", *self.SECTIONS))

    def __len__(self) -> int:
        return 1 + len(self.SECTIONS)


LEVEL_ORDER = {"federal": 0, "provincial": 1, "municipal": 2}


class _Compiler:
    """Compiles checked packs one at a time, each after its parent, into one PackSet.

    Equal values across packs become one object (`Sharing`). The PackSet lists packs, agencies,
    permits and workflows parents first and otherwise in the order the packs were read, however
    they were fed in; workflow templates are registered only when the PackSet is made.
    """

    def __init__(self) -> None:
        self._share: Sharing | None = Sharing()
        self._compiled: list[tuple[int, int, Pack]] = []  # (level's rank, order read, pack)
        self._templates: dict[str, dict[str, WorkflowTemplate]] = {}  # of packs that define some
        self._agencies: dict[str, Agency] = {}
        #: Jurisdiction -> workflow name -> key, along its chain; for packs that can be parents.
        self._visible_workflows: dict[str, dict[str, str]] = {}

    def add(self, parsed: ParsedPack, order: int, level: str | None = None) -> Pack:
        if self._share is None:
            raise RuntimeError("a pack was added after finish()")
        level = level or parsed.data["jurisdiction"]["level"]
        templates = _compile_workflows(parsed)
        own = {template.name: key for key, template in templates.items()}
        parent = parsed.data["jurisdiction"].get("parent")
        visible = {**self._visible_workflows.get(parent, {}), **own}
        pack = _compile_pack(parsed, self._agencies, visible, own, self._share)
        code = pack.jurisdiction.code
        if level != "municipal":
            self._visible_workflows[code] = visible
        if templates:
            self._templates[code] = templates
        self._compiled.append((LEVEL_ORDER[level], order, pack))
        return pack

    def finish(self) -> list[Pack]:
        """The packs compiled, in PackSet order, once the last is added: the table of the values
        they share is let go, before the checks across packs and the PackSet take memory."""
        self._share = None
        return self._ordered()

    def _ordered(self) -> list[Pack]:
        return [pack for _, _, pack in sorted(self._compiled, key=lambda compiled: compiled[:2])]

    def pack_set(self) -> PackSet:
        packs: dict[str, Pack] = {}
        agencies: dict[str, Agency] = {}
        permits: dict[str, Permit] = {}
        templates: dict[str, WorkflowTemplate] = {}
        for pack in self._ordered():
            code = pack.jurisdiction.code
            packs[code] = pack
            agencies.update((agency.code, agency) for agency in pack.agencies)
            permits.update((permit.code, permit) for permit in pack.permits)
            # Registering makes them known to the engine in this process.
            templates.update(
                (key, register_template(key, template))
                for key, template in self._templates.get(code, {}).items()
            )
        chains = _chains(packs)
        return PackSet(packs=packs, chains=chains, agencies=agencies, permits=permits, workflows=templates)


def _compile_workflows(parsed: ParsedPack) -> dict[str, WorkflowTemplate]:
    """The pack's own workflows by key.

    The key holds a digest of the whole definition, so a changed workflow never replaces the one
    earlier cases follow.
    """
    templates = {}
    for data in parsed.data.get("workflows", ()):
        template = compile_workflow(data)
        templates[template_key(parsed.code, template)] = template
    return templates


def _compile_pack(
    parsed: ParsedPack,
    agencies: dict[str, Agency],
    workflows: dict[str, str],
    own_workflows: dict[str, str],
    share: Sharing,
) -> Pack:
    """One pack; `workflows` maps the workflow names its permits may use (its chain's) to keys.

    Its own agencies are added to `agencies`, where its permits and its children's find them.
    """
    data = parsed.data
    raw = data["jurisdiction"]

    def text(data: dict[str, str] | None) -> Text | None:
        return share(Text.from_data(data)) if data is not None else None

    def condition(data: dict[str, Any]) -> Condition:
        # Leaves repeat from pack to pack; whole rules seldom do, and sharing them would cost more.
        return compile_condition(data, share)

    jurisdiction = Jurisdiction(
        share(raw["code"]),
        share(raw["level"]),
        text(raw["name"]),
        share(raw.get("parent")),
        share(tuple(raw.get("postal_prefixes", ()))),
    )
    own_agencies = tuple(
        Agency(
            share(a["code"]), text(a["name"]), share(a["gl_account"]), jurisdiction.code, share(a.get("url"))
        )
        for a in data.get("agencies", ())
    )
    agencies.update((agency.code, agency) for agency in own_agencies)
    questions = tuple(
        Question(
            share(q["id"]),
            share(q["type"]),
            text(q["text"]),
            jurisdiction.code,
            help=text(q.get("help")),
            unit=text(q.get("unit")),
            minimum=share(q.get("min")),
            maximum=share(q.get("max")),
            choices=share(_choices(q.get("choices"))),
            show_if=condition(q["show_if"]) if "show_if" in q else None,
            show_if_data=share(q.get("show_if")),
        )
        for q in data.get("questions", ())
    )
    fields = tuple(
        FieldDefinition(
            share(f["id"]),
            share(f["type"]),
            text(f["label"]),
            jurisdiction.code,
            help=text(f.get("help")),
            max_length=share(f.get("max_length")),
            minimum=share(f.get("min")),
            maximum=share(f.get("max")),
            personal=f.get("personal", False),
            choices=share(_choices(f.get("choices"))),
        )
        for f in data.get("fields", ())
    )
    permits = tuple(
        Permit(
            code=share(p["code"]),
            name=text(p["name"]),
            description=text(p["description"]),
            agency=agencies[p["agency"]],
            jurisdiction=jurisdiction,
            applies_if=condition(p["applies_if"]),
            fee=share(compile_fee(p["fee"])),
            processing_days=share(p["processing_days"]),
            workflow=share(workflows.get(p["workflow"], p["workflow"])),
            refundable=p["refundable"],
            fields=share(tuple(p.get("fields", ()))),
            depends_on=share(tuple(p.get("depends_on", ()))),
            prerequisite_of=share(tuple(p.get("prerequisite_of", ()))),
            renewal_fee=share(compile_fee(p["renewal_fee"])) if "renewal_fee" in p else None,
            validity_months=share(p.get("validity_months")),
            program_account=share(p.get("program_account")),
            url=share(p.get("url")),
        )
        for p in rule_order(data.get("permits", ()))
    )
    suggestions = tuple(
        Suggestion(
            share(s["code"]),
            share(s["kind"]),
            text(s["name"]),
            text(s["description"]),
            condition(s["applies_if"]),
            jurisdiction,
            provider=text(s.get("provider")),
            url=share(s.get("url")),
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
        share(own_workflows),
    )


def _choices(data: list[dict[str, Any]] | None) -> tuple[Choice, ...]:
    return tuple(Choice(choice["value"], Text.from_data(choice["label"])) for choice in data or ())


def _chains(packs: dict[str, Pack]) -> dict[str, Chain]:
    """Every municipality's chain. What a municipality's chain takes from its province and the
    federal pack alone (their suggestions, when it has none of its own; no added prerequisite)
    is one object for all the province's municipalities."""
    upper_suggestions: dict[str, tuple[Suggestion, ...]] = {}
    no_prerequisites_added: dict[str, tuple[str, ...]] = {}
    chains = {}
    for code, municipal in packs.items():
        if municipal.jurisdiction.level != "municipal":
            continue
        lineage = [municipal]
        while lineage[-1].jurisdiction.parent:
            lineage.append(packs[lineage[-1].jurisdiction.parent])
        lineage.reverse()  # federal, provincial, municipal
        permits = tuple(p for pack in lineage for p in pack.permits)
        added: dict[str, list[str]] = {}
        for permit in permits:
            for later in permit.prerequisite_of:
                added.setdefault(later, []).append(permit.code)
        suggestions = tuple(s for pack in lineage for s in pack.suggestions)
        if not municipal.suggestions:
            suggestions = upper_suggestions.setdefault(lineage[-2].jurisdiction.code, suggestions)
        questions = tuple(q for pack in lineage for q in pack.questions)
        chains[code] = Chain(
            municipality=municipal.jurisdiction,
            jurisdictions=tuple(pack.jurisdiction for pack in lineage),
            questions=questions,
            questions_by_id={q.id: q for q in questions},
            permits=permits,
            suggestions=suggestions,
            field_catalogue=tuple(f for pack in lineage for f in pack.fields),
            added_prerequisites=(
                {later: tuple(before) for later, before in added.items()} if added else no_prerequisites_added
            ),
        )
    return chains
