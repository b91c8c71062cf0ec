"""The compiled, immutable form of loaded packs, shaped for fast triage.

A PackSet is built once from validated packs and never changed; loading new packs
builds a new PackSet. Each municipality's chain (municipality, province, federal)
is resolved at build time, so triage cost does not grow with the number of
municipalities loaded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from workflows.conditions import Condition
from workflows.fees import FeeSchedule
from workflows.text import Text
from workflows.workflow_templates import WorkflowTemplate

Level = Literal["federal", "provincial", "municipal"]
LEVELS: tuple[Level, ...] = ("federal", "provincial", "municipal")


@dataclass(frozen=True, slots=True)
class Jurisdiction:
    code: str
    level: Level
    name: Text
    parent: str | None
    postal_prefixes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Agency:
    code: str
    name: Text
    gl_account: str
    jurisdiction: str
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Choice:
    value: str
    label: Text


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    type: Literal["yes_no", "number", "choice", "money"]
    text: Text
    jurisdiction: str
    help: Text | None = None
    unit: Text | None = None
    minimum: int | None = None
    maximum: int | None = None
    choices: tuple[Choice, ...] = ()
    show_if: Condition | None = None
    show_if_data: dict | None = None  # as written in the pack, for API clients

    def choice_label(self, value: str) -> Text | None:
        return next((choice.label for choice in self.choices if choice.value == value), None)


@dataclass(frozen=True, slots=True)
class FieldDefinition:
    """One entry of the shared field catalogue: asked once, reused by every permit needing it."""

    id: str
    type: str
    label: Text
    jurisdiction: str
    help: Text | None = None
    max_length: int | None = None
    minimum: int | None = None
    maximum: int | None = None
    personal: bool = False
    choices: tuple[Choice, ...] = ()


@dataclass(frozen=True, slots=True)
class Permit:
    code: str
    name: Text
    description: Text
    agency: Agency
    jurisdiction: Jurisdiction
    applies_if: Condition
    fee: FeeSchedule
    processing_days: int
    #: A built-in template's name, or the key (`<jurisdiction>:<name>:<digest>`) of a workflow its
    #: pack or an ancestor defines: what its permit case stores, so the case keeps that definition.
    workflow: str
    refundable: bool
    fields: tuple[str, ...] = ()
    depends_on: tuple[str, ...] = ()
    prerequisite_of: tuple[str, ...] = ()
    renewal_fee: FeeSchedule | None = None
    validity_months: int | None = None
    program_account: str | None = None  # the CRA program ("RT", "RP" ...) it opens on the BN
    url: str | None = None

    @property
    def level(self) -> Level:
        return self.jurisdiction.level


@dataclass(frozen=True, slots=True)
class Suggestion:
    code: str
    kind: str
    name: Text
    description: Text
    applies_if: Condition
    jurisdiction: Jurisdiction
    provider: Text | None = None
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Pack:
    """One jurisdiction's compiled pack, with the digest of the YAML it came from."""

    jurisdiction: Jurisdiction
    agencies: tuple[Agency, ...]
    questions: tuple[Question, ...]
    fields: tuple[FieldDefinition, ...]
    permits: tuple[Permit, ...]  # in rule order: a permit comes after those its rule reads
    suggestions: tuple[Suggestion, ...]
    filename: str
    sha256: str
    workflows: dict[str, str] = field(default_factory=dict)  # own workflows: name -> key


@dataclass(frozen=True, slots=True)
class Chain:
    """Everything that applies in one municipality: its pack, its province's and the federal one."""

    municipality: Jurisdiction
    jurisdictions: tuple[Jurisdiction, ...]  # federal, provincial, municipal
    questions: tuple[Question, ...]  # federal first, so show_if only looks backwards
    questions_by_id: dict[str, Question]
    permits: tuple[Permit, ...]  # in rule order
    suggestions: tuple[Suggestion, ...]
    field_catalogue: tuple[FieldDefinition, ...]  # federal first, as the packs declare them
    #: Prerequisites a permit gained from `prerequisite_of` in this chain (usually none).
    added_prerequisites: dict[str, tuple[str, ...]] = field(default_factory=dict)

    # The two mappings below are made on each call rather than kept: kept, they took 4 MB of
    # every worker with 3,500 municipalities. Hold one in a variable rather than ask in a loop.

    @property
    def permit_rank(self) -> dict[str, int]:
        """Display order: federal first, then rule (mostly declaration) order, i.e. each permit's
        place in `permits`."""
        return {permit.code: rank for rank, permit in enumerate(self.permits)}

    @property
    def fields(self) -> dict[str, FieldDefinition]:
        """The field catalogue by id, in catalogue order."""
        return {definition.id: definition for definition in self.field_catalogue}

    def prerequisites(self, permit: Permit) -> tuple[str, ...]:
        """Every permit that must come before `permit` here, when it applies too."""
        return permit.depends_on + self.added_prerequisites.get(permit.code, ())


@dataclass(frozen=True)
class PackSet:
    """All loaded packs, validated together. Immutable: loading builds a new one."""

    packs: dict[str, Pack]
    chains: dict[str, Chain] = field(repr=False)
    agencies: dict[str, Agency] = field(repr=False)
    permits: dict[str, Permit] = field(repr=False)
    #: The workflows packs define, by key (also registered for the engine: see `template_for`).
    workflows: dict[str, WorkflowTemplate] = field(default_factory=dict, repr=False)

    def jurisdictions(self) -> list[Jurisdiction]:
        """Every jurisdiction, federal first, then each province followed by its municipalities."""
        order = {level: rank for rank, level in enumerate(LEVELS)}
        return sorted(
            (pack.jurisdiction for pack in self.packs.values()),
            key=lambda j: (order[j.level], j.code),
        )

    def municipalities(self) -> list[Jurisdiction]:
        return sorted((chain.municipality for chain in self.chains.values()), key=lambda j: j.name.en)
