"""Triage benchmark: does triage stay fast, and flat, as municipalities are added?

Generates a synthetic country in memory (one federal pack, the 13 provinces and
territories, and by default 3,500 municipalities with ~15 permits each), loads it with
`load_pack_set` exactly as the application does, then times `TriageEngine.triage` for
a restaurant's answers in one municipality (and a few others picked at random). The
same municipalities are also timed with only their own chain loaded (municipality,
province, federal), in the same run and interleaved, to show that the cost of a triage
does not depend on how many municipalities are loaded.

    .venv/bin/python bench/triage.py                   # the full benchmark (about 5 minutes)
    .venv/bin/python bench/triage.py --no-tracemalloc  # without the traced load (about a minute)
    .venv/bin/python bench/triage.py --quick           # a smoke run (500 municipalities, seconds)

Targets: a median triage under 2 ms with 3,500 municipalities loaded, and at most 1.2 times
the median with only the municipality's chain loaded. Prints every figure, then PASS/FAIL
for each target, and exits 1 if a target fails. Everything is generated from a fixed seed,
so two runs triage the same packs. See docs/performance.md.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import statistics
import string
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from workflows.jurisdictions import SGC_PROVINCE_CODES  # noqa: E402
from workflows.packs.checks import POSTAL_LETTERS  # noqa: E402
from workflows.packs.loader import PackSource, load_pack_set  # noqa: E402
from workflows.packs.model import PackSet  # noqa: E402
from workflows.triage import TriageEngine  # noqa: E402
from workflows.workflow_templates import WORKFLOW_TEMPLATES  # noqa: E402

#: The targets this benchmark checks (see docs/performance.md).
TARGET_MEDIAN_US = 2_000.0
TARGET_RATIO = 1.2

# ---------------------------------------------------------------------------------------------
# The synthetic country
# ---------------------------------------------------------------------------------------------

#: Provinces and territories: ISO code, names, and a weight for spreading municipalities
#: (roughly the real number of census subdivisions, capped by the postal codes available).
PROVINCES: tuple[tuple[str, str, str, int], ...] = (
    ("CA-NL", "Newfoundland and Labrador", "Terre-Neuve-et-Labrador", 390),
    ("CA-PE", "Prince Edward Island", "Île-du-Prince-Édouard", 110),
    ("CA-NS", "Nova Scotia", "Nouvelle-Écosse", 100),
    ("CA-NB", "New Brunswick", "Nouveau-Brunswick", 270),
    ("CA-QC", "Quebec", "Québec", 1130),
    ("CA-ON", "Ontario", "Ontario", 575),
    ("CA-MB", "Manitoba", "Manitoba", 290),
    ("CA-SK", "Saskatchewan", "Saskatchewan", 950),
    ("CA-AB", "Alberta", "Alberta", 420),
    ("CA-BC", "British Columbia", "Colombie-Britannique", 750),
    ("CA-YT", "Yukon", "Yukon", 40),
    ("CA-NT", "Northwest Territories", "Territoires du Nord-Ouest", 40),
    ("CA-NU", "Nunavut", "Nunavut", 25),
)
#: Forward sortation areas (letter, digit, letter) available per first letter.
FSAS_PER_LETTER = 10 * 26


def text(en: str, fr: str) -> dict[str, str]:
    return {"en": en, "fr": fr}


@dataclass(frozen=True)
class QuestionSpec:
    """A question as a pack declares it, plus the range its rules and fees compare it with."""

    data: dict[str, Any]
    low: int = 0
    high: int = 0

    @property
    def id(self) -> str:
        return self.data["id"]

    @property
    def type(self) -> str:
        return self.data["type"]


BUSINESS_TYPES = ("restaurant", "bar", "food_truck", "retail", "salon", "home_office", "manufacturing")
FOOD_TYPES = ["restaurant", "bar", "food_truck"]


def _choice_question(qid: str, en: str, fr: str, values: Sequence[str], **extra: Any) -> QuestionSpec:
    choices = [
        {"value": v, "label": text(v.replace("_", " ").capitalize(), v.replace("_", " "))} for v in values
    ]
    return QuestionSpec({"id": qid, "type": "choice", "text": text(en, fr), "choices": choices, **extra})


FEDERAL_QUESTIONS = (
    _choice_question(
        "business_type", "What kind of business is it?", "Quel type d'entreprise?", BUSINESS_TYPES
    ),
    QuestionSpec(
        {"id": "hires_staff", "type": "yes_no", "text": text("Will you hire staff?", "Embaucherez-vous?")}
    ),
    QuestionSpec(
        {
            "id": "staff_count",
            "type": "number",
            "min": 1,
            "max": 5000,
            "text": text("How many employees?", "Combien d'employés?"),
            "unit": text("employees", "employés"),
            "show_if": {"question": "hires_staff", "equals": True},
        },
        1,
        100,
    ),
    QuestionSpec(
        {"id": "sales", "type": "money", "text": text("Expected yearly sales", "Ventes annuelles prévues")},
        0,
        500_000_000,
    ),
    QuestionSpec(
        {"id": "imports", "type": "yes_no", "text": text("Will you import goods?", "Importerez-vous?")}
    ),
    QuestionSpec(
        {
            "id": "seats",
            "type": "number",
            "min": 0,
            "max": 2000,
            "text": text("How many seats?", "Combien de places assises?"),
            "unit": text("seats", "places"),
            "show_if": {"question": "business_type", "in": ["restaurant", "bar"]},
        },
        0,
        200,
    ),
    QuestionSpec(
        {
            "id": "serves_alcohol",
            "type": "yes_no",
            "text": text("Will you serve alcohol?", "Servirez-vous de l'alcool?"),
            "show_if": {"question": "business_type", "in": ["restaurant", "bar"]},
        }
    ),
    QuestionSpec(
        {
            "id": "floor_area_m2",
            "type": "number",
            "min": 0,
            "max": 100_000,
            "text": text("Floor area", "Superficie"),
            "unit": text("m²", "m²"),
        },
        10,
        2000,
    ),
)
PROVINCIAL_QUESTIONS = (
    QuestionSpec(
        {"id": "incorporated", "type": "yes_no", "text": text("Is it incorporated?", "Est-elle constituée?")}
    ),
    QuestionSpec(
        {
            "id": "liquor_capacity",
            "type": "number",
            "min": 1,
            "max": 5000,
            "text": text("Licensed capacity", "Capacité autorisée"),
            "unit": text("persons", "personnes"),
            "show_if": {"question": "serves_alcohol", "equals": True},
        },
        10,
        400,
    ),
)
#: Municipal questions come in small groups whose show_if only looks backwards.
MUNICIPAL_QUESTION_GROUPS: tuple[tuple[QuestionSpec, ...], ...] = (
    (
        QuestionSpec(
            {
                "id": "patio",
                "type": "yes_no",
                "text": text("Will you have a patio?", "Aurez-vous une terrasse?"),
                "show_if": {"question": "business_type", "in": ["restaurant", "bar"]},
            }
        ),
        QuestionSpec(
            {
                "id": "patio_seats",
                "type": "number",
                "min": 1,
                "max": 500,
                "text": text("Patio seats", "Places en terrasse"),
                "show_if": {"all": [{"question": "patio", "equals": True}, {"question": "seats", "gt": 0}]},
            },
            1,
            100,
        ),
    ),
    (
        QuestionSpec(
            {"id": "sign", "type": "yes_no", "text": text("Will you put up a sign?", "Une enseigne?")}
        ),
        QuestionSpec(
            {
                "id": "sign_area_m2",
                "type": "number",
                "min": 1,
                "max": 200,
                "text": text("Sign area", "Superficie de l'enseigne"),
                "show_if": {"question": "sign", "equals": True},
            },
            1,
            20,
        ),
    ),
    (
        QuestionSpec(
            {
                "id": "late_hours",
                "type": "yes_no",
                "text": text("Open after midnight?", "Ouvert après minuit?"),
                "show_if": {
                    "any": [{"question": "serves_alcohol", "equals": True}, {"question": "seats", "gte": 50}]
                },
            }
        ),
    ),
    (
        _choice_question(
            "zone",
            "Zoning of the premises",
            "Zonage des lieux",
            ("commercial", "mixed", "industrial", "residential"),
            show_if={"not": {"question": "business_type", "equals": "home_office"}},
        ),
    ),
    (
        QuestionSpec(
            {
                "id": "home_based",
                "type": "yes_no",
                "text": text("Run from your home?", "Exploitée à domicile?"),
                "show_if": {"question": "business_type", "in": ["home_office", "salon", "retail"]},
            }
        ),
    ),
    (
        QuestionSpec(
            {
                "id": "vehicles",
                "type": "number",
                "min": 1,
                "max": 50,
                "text": text("How many vehicles?", "Combien de véhicules?"),
                "show_if": {"question": "business_type", "equals": "food_truck"},
            },
            1,
            5,
        ),
    ),
)
#: A restaurant's answers to every question any pack asks; each triage sends the chain's subset.
RESTAURANT_ANSWERS: dict[str, Any] = {
    "business_type": "restaurant",
    "hires_staff": True,
    "staff_count": 14,
    "sales": 95_000_000,
    "imports": True,
    "seats": 64,
    "serves_alcohol": True,
    "floor_area_m2": 220,
    "incorporated": True,
    "liquor_capacity": 80,
    "patio": True,
    "patio_seats": 24,
    "sign": True,
    "sign_area_m2": 3,
    "late_hours": True,
    "zone": "commercial",
    "home_based": False,
    "vehicles": 1,
}
MUNICIPAL_PERMIT_NAMES = (
    ("BL", "Business licence", "Licence d'entreprise"),
    ("FOOD", "Food premises licence", "Permis d'établissement alimentaire"),
    ("PATIO", "Patio permit", "Permis de terrasse"),
    ("SIGN", "Sign permit", "Permis d'enseigne"),
    ("FIRE", "Fire safety inspection", "Inspection de sécurité incendie"),
    ("BLDG", "Building permit", "Permis de construire"),
    ("ZONE", "Zoning certificate", "Certificat de zonage"),
    ("OCC", "Occupancy permit", "Permis d'occupation"),
    ("NOISE", "Noise exemption", "Dérogation au règlement sur le bruit"),
    ("WASTE", "Commercial waste registration", "Inscription à la collecte commerciale"),
    ("CAFE", "Sidewalk café permit", "Permis de café-trottoir"),
    ("LATE", "Late-night operation permit", "Permis d'exploitation de nuit"),
    ("HOME", "Home-based business permit", "Permis d'entreprise à domicile"),
    ("TRUCK", "Food truck permit", "Permis de camion-restaurant"),
    ("GREASE", "Grease interceptor permit", "Permis de séparateur de graisse"),
    ("BACKFLOW", "Backflow prevention certificate", "Certificat antirefoulement"),
    ("PARK", "Parking variance", "Dérogation de stationnement"),
    ("WATER", "Water meter permit", "Permis de compteur d'eau"),
    ("EVENT", "Special event permit", "Permis d'événement spécial"),
    ("ALARM", "Alarm system registration", "Inscription du système d'alarme"),
)
FEDERAL_FIELDS = (
    {"id": "legal_name", "type": "text", "label": text("Legal name", "Nom légal"), "max_length": 200},
    {"id": "contact_email", "type": "email", "label": text("Email", "Courriel"), "personal": True},
    {"id": "phone", "type": "phone", "label": text("Phone", "Téléphone"), "personal": True},
    {"id": "business_number", "type": "business_number", "label": text("Business Number", "NE")},
    {"id": "opening_date", "type": "date", "label": text("Opening date", "Date d'ouverture")},
)
PROVINCIAL_FIELDS = (
    {"id": "corporation_number", "type": "text", "label": text("Corporation number", "Numéro de société")},
)
MUNICIPAL_FIELDS = (
    {"id": "premises_address", "type": "long_text", "label": text("Premises address", "Adresse des lieux")},
    {"id": "premises_postal_code", "type": "postal_code", "label": text("Postal code", "Code postal")},
)
WORKFLOWS = sorted(WORKFLOW_TEMPLATES)


class Generator:
    """Builds the packs as data, from one seeded random source (same seed, same packs)."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)

    # -- conditions and fees -------------------------------------------------------------------

    def leaf(self, question: QuestionSpec) -> dict[str, Any]:
        rng, qid = self.rng, question.id
        if question.type == "yes_no":
            return {"question": qid, "equals": rng.random() < 0.75}
        if question.type == "choice":
            values = [choice["value"] for choice in question.data["choices"]]
            roll = rng.random()
            if roll < 0.4:
                return {"question": qid, "equals": rng.choice(values)}
            if roll < 0.6:
                return {"question": qid, "not_equals": rng.choice(values)}
            return {"question": qid, "in": rng.sample(values, rng.randint(2, len(values) - 1))}
        op = rng.choice(("gt", "gte", "lt", "lte", "gt", "gte", "not_equals", "in"))
        if op == "in":
            return {"question": qid, "in": sorted(rng.sample(range(question.low, question.high + 1), 3))}
        return {"question": qid, op: rng.randint(question.low, question.high)}

    def condition(
        self, questions: Sequence[QuestionSpec], permits: Sequence[str], depth: int = 0
    ) -> dict[str, Any]:
        """A random rule over `questions` and earlier `permits` (so rules never form a cycle)."""
        rng = self.rng
        roll = rng.random()
        if depth >= 2 or roll < 0.35:
            if permits and rng.random() < 0.2:
                return {"permit": rng.choice(permits)}
            return self.leaf(rng.choice(questions))
        width = rng.randint(2, 3)
        parts = [self.condition(questions, permits, depth + 1) for _ in range(width)]
        if roll < 0.55:
            return {"all": parts}
        if roll < 0.75:
            return {"any": parts}
        if roll < 0.85:
            return {"not": parts[0]}
        return {
            "at_least": {
                "count": 2,
                "of": parts if width == 3 else [*parts, self.leaf(rng.choice(questions))],
            }
        }

    def fee(self, questions: Sequence[QuestionSpec]) -> dict[str, Any]:
        rng = self.rng
        kind = rng.choice(("flat", "flat", "per_unit", "tiered"))
        counted = [q for q in questions if q.type == "number"]
        if kind == "per_unit" and counted:
            question = rng.choice(counted)
            fee = {"kind": "per_unit", "question": question.id, "unit_cents": rng.randrange(100, 5_000, 25)}
            if rng.random() < 0.5:
                fee["minimum_cents"] = rng.randrange(1_000, 20_000, 500)
            return fee
        measured = [q for q in questions if q.type in ("number", "money")]
        if kind == "tiered" and measured:
            question = rng.choice(measured)
            limits = sorted(rng.sample(range(question.low + 1, question.high + 1), rng.randint(1, 3)))
            amounts = sorted(rng.sample(range(5_000, 500_000, 500), len(limits) + 1))
            bands: list[dict[str, int]] = [
                {"up_to": up_to, "amount_cents": cents} for up_to, cents in zip(limits, amounts, strict=False)
            ]
            bands.append({"amount_cents": amounts[-1]})
            return {"kind": "tiered", "question": question.id, "bands": bands}
        return {"kind": "flat", "amount_cents": rng.randrange(0, 200_000, 500)}

    def permit(
        self,
        code: str,
        names: tuple[str, str],
        agency: str,
        applies_if: dict[str, Any],
        questions: Sequence[QuestionSpec],
        fields: Sequence[str],
        depends_on: Sequence[str] = (),
    ) -> dict[str, Any]:
        rng = self.rng
        permit: dict[str, Any] = {
            "code": code,
            "name": text(*names),
            "description": text(f"{names[0]}, as the by-law requires.", f"{names[1]}, tel que requis."),
            "agency": agency,
            "applies_if": applies_if,
            "fields": rng.sample(list(fields), rng.randint(1, min(3, len(fields)))),
            "fee": self.fee(questions),
            "processing_days": rng.randint(0, 45),
            "workflow": rng.choice(WORKFLOWS),
            "refundable": rng.random() < 0.3,
        }
        if depends_on:
            permit["depends_on"] = list(depends_on)
        if rng.random() < 0.4:
            permit["renewal_fee"] = self.fee(questions)
            permit["validity_months"] = rng.choice((12, 24, 36))
        if rng.random() < 0.3:
            permit["url"] = f"https://example.ca/permits/{code.lower()}"
        return permit

    # -- packs ---------------------------------------------------------------------------------

    def federal(self) -> dict[str, Any]:
        q = {spec.id: spec for spec in FEDERAL_QUESTIONS}
        fields = [f["id"] for f in FEDERAL_FIELDS]
        return {
            "format": 1,
            "jurisdiction": {"code": "CA", "level": "federal", "name": text("Canada", "Canada")},
            "agencies": [
                {"code": "CRA", "name": text("Canada Revenue Agency", "ARC"), "gl_account": "GL-CA-CRA"},
                {"code": "CFIA", "name": text("Food Inspection Agency", "ACIA"), "gl_account": "GL-CA-CFIA"},
                {"code": "CBSA", "name": text("Border Services Agency", "ASFC"), "gl_account": "GL-CA-CBSA"},
            ],
            "questions": [spec.data for spec in FEDERAL_QUESTIONS],
            "fields": list(FEDERAL_FIELDS),
            "permits": [
                self.permit(
                    "CA-BN",
                    ("Business Number", "Numéro d'entreprise"),
                    "CRA",
                    {"any": [{"permit": "CA-RT"}, {"permit": "CA-RP"}, {"permit": "CA-RM"}]},
                    [],
                    fields,
                ),
                self.permit(
                    "CA-RT",
                    ("GST/HST account", "Compte de TPS/TVH"),
                    "CRA",
                    {"question": "sales", "gt": 3_000_000},
                    [q["sales"]],
                    fields,
                    ["CA-BN"],
                ),
                self.permit(
                    "CA-RP",
                    ("Payroll account", "Compte de retenues sur la paie"),
                    "CRA",
                    {"question": "hires_staff", "equals": True},
                    [q["staff_count"]],
                    fields,
                    ["CA-BN"],
                ),
                self.permit(
                    "CA-RM",
                    ("Import-export account", "Compte d'importation-exportation"),
                    "CBSA",
                    {"question": "imports", "equals": True},
                    [q["sales"]],
                    fields,
                    ["CA-BN"],
                ),
                self.permit(
                    "CA-SFC",
                    ("Safe food licence", "Licence pour la salubrité des aliments"),
                    "CFIA",
                    {
                        "all": [
                            {"permit": "CA-RM"},
                            {"question": "business_type", "in": [*FOOD_TYPES, "retail"]},
                        ]
                    },
                    [q["sales"], q["floor_area_m2"]],
                    fields,
                    ["CA-RM"],
                ),
                self.permit(
                    "CA-EA",
                    ("Large employer account", "Compte de grand employeur"),
                    "CRA",
                    {
                        "at_least": {
                            "count": 2,
                            "of": [
                                {"question": "hires_staff", "equals": True},
                                {"question": "staff_count", "gte": 50},
                                {"question": "sales", "gt": 100_000_000},
                            ],
                        }
                    },
                    [q["staff_count"]],
                    fields,
                    ["CA-RP"],
                ),
            ],
            "suggestions": [
                {
                    "code": "CA-SUG-CSBFP",
                    "kind": "loan",
                    "name": text("Small business financing", "Financement des petites entreprises"),
                    "description": text("Loans for equipment.", "Prêts pour l'équipement."),
                    "applies_if": {"question": "sales", "lt": 1_000_000_000},
                },
                {
                    "code": "CA-SUG-HIRE",
                    "kind": "grant",
                    "name": text("Hiring grant", "Subvention à l'embauche"),
                    "description": text("Help hiring young people.", "Aide à l'embauche de jeunes."),
                    "applies_if": {"permit": "CA-RP"},
                },
            ],
        }

    def provincial(self, iso: str, name_en: str, name_fr: str) -> dict[str, Any]:
        short = iso[3:]
        federal = list(FEDERAL_QUESTIONS)
        q = {spec.id: spec for spec in (*FEDERAL_QUESTIONS, *PROVINCIAL_QUESTIONS)}
        questions = [*federal, *PROVINCIAL_QUESTIONS]
        fields = [f["id"] for f in (*FEDERAL_FIELDS, *PROVINCIAL_FIELDS)]
        ministry, liquor = f"{short}-MIN", f"{short}-LIQ"
        return {
            "format": 1,
            "jurisdiction": {
                "code": iso,
                "level": "provincial",
                "parent": "CA",
                "name": text(name_en, name_fr),
            },
            "agencies": [
                {
                    "code": ministry,
                    "name": text("Business registry", "Registre"),
                    "gl_account": f"GL-{short}-MIN",
                },
                {
                    "code": liquor,
                    "name": text("Liquor authority", "Régie des alcools"),
                    "gl_account": f"GL-{short}-LIQ",
                },
            ],
            "questions": [spec.data for spec in PROVINCIAL_QUESTIONS],
            "fields": list(PROVINCIAL_FIELDS),
            "permits": [
                self.permit(
                    f"{short}-BNR",
                    ("Business name registration", "Enregistrement du nom"),
                    ministry,
                    {"question": "incorporated", "equals": False},
                    [],
                    fields,
                ),
                self.permit(
                    f"{short}-PST",
                    ("Sales tax permit", "Permis de taxe de vente"),
                    ministry,
                    {
                        "all": [
                            {"question": "sales", "gt": 1_000_000},
                            {"not": {"question": "business_type", "equals": "home_office"}},
                        ]
                    },
                    [q["sales"]],
                    fields,
                    ["CA-BN"],
                ),
                self.permit(
                    f"{short}-LIQ",
                    ("Liquor licence", "Permis d'alcool"),
                    liquor,
                    {"question": "serves_alcohol", "equals": True},
                    [q["liquor_capacity"]],
                    fields,
                    ["CA-BN"],
                ),
                self.permit(
                    f"{short}-FHC",
                    ("Food handler certificate", "Certificat de manipulateur d'aliments"),
                    ministry,
                    {"question": "business_type", "in": FOOD_TYPES},
                    questions,
                    fields,
                ),
                self.permit(
                    f"{short}-WCB",
                    ("Workers' compensation", "Indemnisation des travailleurs"),
                    ministry,
                    {"any": [{"permit": "CA-RP"}, {"question": "staff_count", "gt": 0}]},
                    [q["staff_count"]],
                    fields,
                    ["CA-RP"],
                ),
            ],
            "suggestions": [
                {
                    "code": f"{short}-SUG-MAIN",
                    "kind": "coaching",
                    "name": text("Main-street coaching", "Accompagnement"),
                    "description": text("Free coaching.", "Accompagnement gratuit."),
                    "applies_if": {"any": [{"permit": f"{short}-FHC"}, {"question": "seats", "gte": 20}]},
                }
            ],
        }

    def municipal(self, code: str, province: str, prefixes: list[str], permit_count: int) -> dict[str, Any]:
        rng = self.rng
        short = province[3:]
        groups = rng.sample(MUNICIPAL_QUESTION_GROUPS, len(MUNICIPAL_QUESTION_GROUPS))
        own_questions: list[QuestionSpec] = []
        for group in groups:
            if len(own_questions) + len(group) <= 3:
                own_questions.extend(group)
            if len(own_questions) >= rng.randint(1, 3):
                break
        questions = [*FEDERAL_QUESTIONS, *PROVINCIAL_QUESTIONS, *own_questions]
        fields = [f["id"] for f in (*FEDERAL_FIELDS, *PROVINCIAL_FIELDS, *MUNICIPAL_FIELDS)]
        upper_permits = [
            "CA-BN",
            "CA-RT",
            "CA-RP",
            "CA-RM",
            "CA-SFC",
            "CA-EA",
            *(f"{short}-{p}" for p in ("BNR", "PST", "LIQ", "FHC", "WCB")),
        ]
        licensing, fire = f"{code}-LIC", f"{code}-FIRE"
        names = rng.sample(MUNICIPAL_PERMIT_NAMES, permit_count)
        permits: list[dict[str, Any]] = []
        for index, (slug, en, fr) in enumerate(names):
            earlier = [p["code"] for p in permits]
            if index == 0:
                applies_if: dict[str, Any] = {"always": True}
            else:
                applies_if = self.condition(questions, upper_permits + earlier)
            depends_on = rng.sample(upper_permits + earlier, rng.choice((0, 0, 1, 1, 2)))
            permits.append(
                self.permit(
                    f"{code}-{slug}",
                    (en, fr),
                    fire if slug in ("FIRE", "ALARM", "OCC") else licensing,
                    applies_if,
                    questions,
                    fields,
                    depends_on,
                )
            )
        rng.shuffle(permits)  # declaration order need not be rule order: the loader sorts it out
        return {
            "format": 1,
            "jurisdiction": {
                "code": code,
                "level": "municipal",
                "parent": province,
                "name": text(f"Municipality {code}", f"Municipalité {code}"),
                "postal_prefixes": prefixes,
            },
            "agencies": [
                {"code": licensing, "name": text("Licensing", "Permis"), "gl_account": f"GL-{code}-LIC"},
                {
                    "code": fire,
                    "name": text("Fire services", "Service des incendies"),
                    "gl_account": f"GL-{code}-FIRE",
                },
            ],
            "questions": [spec.data for spec in own_questions],
            "fields": list(MUNICIPAL_FIELDS),
            "permits": permits,
        }


def fsa_capacity() -> dict[str, int]:
    """How many FSAs each province may hand out; letters two provinces share are split."""
    sharing = {letters: list(POSTAL_LETTERS.values()).count(letters) for letters in POSTAL_LETTERS.values()}
    return {
        iso: len(letters) * FSAS_PER_LETTER // sharing[letters] for iso, letters in POSTAL_LETTERS.items()
    }


def spread(total: int) -> dict[str, int]:
    """How many municipalities each province gets: by weight, within its postal-code capacity."""
    capacity = fsa_capacity()
    if total > sum(capacity.values()):
        raise SystemExit(f"at most {sum(capacity.values())} municipalities fit the postal-code letters")
    counts: dict[str, int] = {}
    weights = {iso: weight for iso, _, _, weight in PROVINCES}
    left = total
    while True:  # give capped provinces their capacity, share the rest by weight
        share = sum(weights.values())
        capped = [iso for iso, w in weights.items() if left * w / share >= capacity[iso]]
        if not capped:
            break
        for iso in capped:
            counts[iso] = capacity[iso]
            left -= capacity[iso]
            del weights[iso]
    share = sum(weights.values())
    exact = {iso: left * w / share for iso, w in weights.items()}
    counts.update({iso: int(value) for iso, value in exact.items()})
    by_remainder = sorted(exact, key=lambda iso: exact[iso] - int(exact[iso]), reverse=True)
    for iso in by_remainder[: total - sum(counts.values())]:
        counts[iso] += 1
    return {iso: counts[iso] for iso, *_ in PROVINCES}


def dump(data: dict[str, Any]) -> str:
    """The pack as block YAML, small leaf mappings in flow style, as a person would write it.

    A minimal emitter for what packs hold (mappings, lists, strings, integers, booleans):
    PyYAML's dumper would take most of the generation time. Strings are written as JSON
    strings, which YAML reads back unchanged; `--verify` checks the round trip.
    """
    lines: list[str] = []
    _block(data, "", lines)
    lines.append("")
    return "\n".join(lines)


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def _flow(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}: {_flow(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(item) for item in value) + "]"
    return _scalar(value)


def _is_leaf(value: Any) -> bool:
    """Empty, a scalar, or a short mapping of scalars (a text, a band): one line."""
    if isinstance(value, list):
        return not value
    if isinstance(value, dict):
        return len(value) <= 3 and not any(isinstance(item, dict | list) for item in value.values())
    return True


def _block(value: dict[str, Any] | list[Any], indent: str, lines: list[str]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if _is_leaf(item) or (
                isinstance(item, list) and all(not isinstance(i, dict | list) for i in item)
            ):
                lines.append(f"{indent}{key}: {_flow(item)}")
            else:
                lines.append(f"{indent}{key}:")
                _block(item, indent + "  ", lines)
        return
    for item in value:
        if _is_leaf(item):
            lines.append(f"{indent}- {_flow(item)}")
        else:
            start = len(lines)
            _block(item, indent + "  ", lines)
            lines[start] = f"{indent}- {lines[start][len(indent) + 2 :]}"


@dataclass
class Country:
    sources: list[PackSource]
    chains: dict[str, list[PackSource]]  # municipality code -> its own chain's sources
    headline: str  # the municipality every report starts with


def generate(municipalities: int, seed: int, verify: bool = False) -> Country:
    """The federal pack, every province and territory, and `municipalities` municipal packs.

    With `verify`, every YAML text is read back and compared with the data it was made from.
    """
    generator = Generator(seed)
    rng = generator.rng

    def source(filename: str, data: dict[str, Any]) -> PackSource:
        text_ = dump(data)
        if verify and yaml.load(text_, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) != data:
            raise AssertionError(f"{filename}: the YAML does not read back as the data it was made from")
        return PackSource(filename, text_)

    federal = source("ca.yaml", generator.federal())
    sources = [federal]
    provincial: dict[str, PackSource] = {}
    for iso, en, fr, _ in PROVINCES:
        provincial[iso] = source(f"{iso[3:].lower()}.yaml", generator.provincial(iso, en, fr))
        sources.append(provincial[iso])
    chains: dict[str, list[PackSource]] = {}
    fsa_pools = {
        letters: [a + d + c for a in letters for d in string.digits for c in string.ascii_uppercase]
        for letters in sorted(set(POSTAL_LETTERS.values()))
    }
    for pool in fsa_pools.values():
        rng.shuffle(pool)
    counts, capacity = spread(municipalities), fsa_capacity()
    for iso, count in counts.items():
        pool = fsa_pools[POSTAL_LETTERS[iso]]
        spare = capacity[iso] - count  # FSAs left for municipalities with several
        numbers = sorted(rng.sample(range(1, 100_000), count))
        for number in numbers:
            code = f"{SGC_PROVINCE_CODES[iso]}{number:05d}"
            extra = min(spare, rng.choice((0, 0, 0, 1, 2)))
            spare -= extra
            prefixes = sorted(pool.pop() for _ in range(1 + extra))
            municipal = source(f"{code}.yaml", generator.municipal(code, iso, prefixes, rng.randint(13, 17)))
            sources.append(municipal)
            chains[code] = [federal, provincial[iso], municipal]
    ontario = [code for code in chains if code.startswith(SGC_PROVINCE_CODES["CA-ON"])]
    headline = (ontario or list(chains))[0]
    return Country(sources, chains, headline)


# ---------------------------------------------------------------------------------------------
# Measuring
# ---------------------------------------------------------------------------------------------


def rss_bytes() -> int:
    """Resident set size of this process, from /proc (0 where there is no /proc)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def timed_load(sources: Sequence[PackSource]) -> tuple[PackSet, float, int]:
    """Load the packs; return them, the seconds load_pack_set took and the growth of RSS."""
    gc.collect()
    rss_before = rss_bytes()
    started = time.perf_counter()
    packs = load_pack_set(sources)
    seconds = time.perf_counter() - started
    gc.collect()
    return packs, seconds, rss_bytes() - rss_before


def traced_load(sources: Sequence[PackSource]) -> tuple[int, int]:
    """Load the packs again under tracemalloc: Python bytes (retained after, peak during).

    tracemalloc makes every allocation several times slower and its own bookkeeping swells
    RSS, so it runs on a separate load, after the timings, never on the timed one.
    """
    gc.collect()
    tracemalloc.start()
    baseline = tracemalloc.get_traced_memory()[0]
    packs = load_pack_set(sources)
    gc.collect()
    retained, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del packs
    gc.collect()
    return retained - baseline, peak - baseline


@dataclass
class Case:
    """One municipality timed under one PackSet."""

    municipality: str
    loaded: int  # municipalities in the PackSet
    applying: int  # permits the restaurant needs there
    call: Callable[[], object]
    means_ns: list[float]
    samples_ns: list[int]

    def median_us(self) -> float:
        return statistics.median(self.means_ns) / 1000

    def p95_us(self) -> float:
        ordered = sorted(self.samples_ns)
        return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))] / 1000


def make_case(engine: TriageEngine, municipality: str) -> Case:
    chain = engine.chain(municipality)
    answers = {key: value for key, value in RESTAURANT_ANSWERS.items() if key in chain.questions_by_id}
    result = engine.triage(municipality, answers)  # raises TriageError if the answers do not fit

    def call() -> object:
        return engine.triage(municipality, answers)

    return Case(municipality, len(engine.packs.chains), len(result.permits), call, [], [])


def run(pairs: Sequence[tuple[Case, Case]], repeat: int, calls: int, block: int = 100) -> None:
    """Time each case `repeat` times, `calls` triages each.

    The two cases of a pair (one municipality with everything loaded, and alone) take turns
    every `block` triages, so that a burst of load on the machine falls on both alike; the
    pairs take turns too, in reverse order every other round.
    """
    clock = time.perf_counter_ns
    for pair in pairs:  # warm up: caches, branch predictors, the adaptive interpreter
        for case in pair:
            for _ in range(min(calls, 500)):
                case.call()
    gc.collect()
    for round_ in range(repeat):
        for pair in pairs if round_ % 2 == 0 else pairs[::-1]:
            totals = [0, 0]
            for start in range(0, calls, block):
                count = min(block, calls - start)
                for index in (0, 1) if start // block % 2 == 0 else (1, 0):
                    call, samples = pair[index].call, pair[index].samples_ns
                    for _ in range(count):
                        started = clock()
                        call()
                        elapsed = clock() - started
                        samples.append(elapsed)
                        totals[index] += elapsed
            for case, total in zip(pair, totals, strict=True):
                case.means_ns.append(total / calls)


def mib(count: int) -> str:
    return f"{count / 2**20:,.1f} MiB"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--municipalities", type=int, default=3500, help="municipal packs (default 3500)")
    parser.add_argument("--repeat", type=int, default=7, help="timed repeats per case (default 7)")
    parser.add_argument("--calls", type=int, default=2000, help="triages per repeat (default 2000)")
    parser.add_argument("--others", type=int, default=4, help="random extra municipalities (default 4)")
    parser.add_argument("--seed", type=int, default=20240601, help="generator seed")
    parser.add_argument(
        "--quick", action="store_true", help="at most 500 municipalities, 5 x 500 calls, no tracemalloc"
    )
    parser.add_argument("--verify", action="store_true", help="check that each YAML reads back as its data")
    parser.add_argument(
        "--no-tracemalloc", action="store_true", help="skip the traced second load (the slowest step)"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.municipalities, args.repeat, args.calls = min(args.municipalities, 500), 5, 500
        args.no_tracemalloc = True
    if args.municipalities < 1 or args.repeat < 1 or args.calls < 1:
        parser.error("--municipalities, --repeat and --calls must be at least 1")

    print("Guichet triage benchmark")
    print(
        f"machine: {platform.platform()}; {platform.processor() or platform.machine()}; "
        f"{os.cpu_count()} CPUs; Python {platform.python_version()} ({platform.python_implementation()})"
    )
    started = time.perf_counter()
    country = generate(args.municipalities, args.seed, verify=args.verify)
    generated = time.perf_counter() - started
    yaml_mib = mib(sum(len(source.text.encode()) for source in country.sources))
    print(f"generated {len(country.sources):,} packs ({yaml_mib} of YAML) in {generated:.1f} s; loading...")
    packs, load_seconds, rss_increase = timed_load(country.sources)

    big = TriageEngine(packs)
    picks = random.Random(args.seed + 1).sample(
        [code for code in country.chains if code != country.headline],
        min(args.others, len(country.chains) - 1),
    )
    pairs: list[tuple[Case, Case]] = []
    for code in [country.headline, *picks]:
        alone = TriageEngine(load_pack_set(country.chains[code]))
        pairs.append((make_case(big, code), make_case(alone, code)))
    chain = big.chain(country.headline)
    print(
        f"timing {len(pairs)} municipalities, each with all and alone: {args.repeat} repeats "
        f"x {args.calls:,} triages per case, interleaved..."
    )
    run(pairs, args.repeat, args.calls)
    traced = None if args.no_tracemalloc else traced_load(country.sources)

    figures = [
        (
            "packs loaded",
            f"{len(packs.packs):,} (1 federal, {len(PROVINCES)} provincial, "
            f"{args.municipalities:,} municipal); {len(packs.permits):,} permits",
        ),
        ("generation (YAML text)", f"{generated:.1f} s, {yaml_mib}"),
        (
            f"load_pack_set at {args.municipalities:,} municipalities",
            f"{load_seconds:.2f} s ({load_seconds / len(packs.packs) * 1000:.2f} ms a pack)",
        ),
        ("RSS increase over the load (VmRSS)", mib(rss_increase)),
        ("Python memory retained (tracemalloc)", mib(traced[0]) if traced else "skipped"),
        ("Python memory peak during load (tracemalloc)", mib(traced[1]) if traced else "skipped"),
        (
            "headline chain",
            f"{country.headline}: {len(chain.questions)} questions, "
            f"{len(chain.permits)} permits, {pairs[0][0].applying} apply to the restaurant",
        ),
    ]
    print()
    width = max(len(name) for name, _ in figures) + 2
    for name, value in figures:
        print(f"{name:<{width}}{value}")

    print()
    header = f"{'municipality':<14}{'loaded':>8}{'median us':>12}{'p95 us':>10}{'ratio':>8}{'range':>16}"
    print(header)
    print("-" * len(header))
    for full, alone in pairs:
        by_repeat = [a / b for a, b in zip(full.means_ns, alone.means_ns, strict=True)]
        ratio_text = f"{full.median_us() / alone.median_us():.3f}"
        range_text = f"{min(by_repeat):.3f}-{max(by_repeat):.3f}"
        name = full.municipality + (" *" if full.municipality == country.headline else "")
        print(
            f"{name:<14}{full.loaded:>8,}{full.median_us():>12.1f}{full.p95_us():>10.1f}"
            f"{ratio_text:>8}{range_text:>16}"
        )
        print(f"{'':<14}{alone.loaded:>8,}{alone.median_us():>12.1f}{alone.p95_us():>10.1f}")
    print("median: of the repeats' mean time per triage; p95: of single triages")
    print("ratio: median with every municipality loaded / median with only the municipality's chain;")
    print("range: lowest and highest ratio of one repeat to its twin (run side by side)")
    print("* headline municipality, checked against the targets")

    headline, headline_alone = pairs[0]
    ratio = headline.median_us() / headline_alone.median_us()
    checks = [
        (
            f"median triage at {headline.loaded:,} municipalities < {TARGET_MEDIAN_US:,.0f} us",
            headline.median_us() < TARGET_MEDIAN_US,
            f"{headline.median_us():.1f} us",
        ),
        (
            f"ratio {headline.loaded:,} / {headline_alone.loaded} municipalities <= {TARGET_RATIO}",
            ratio <= TARGET_RATIO,
            f"{ratio:.3f}",
        ),
    ]
    print()
    for description, passed, figure in checks:
        print(f"{'PASS' if passed else 'FAIL'}  {description}: {figure}")
    return 0 if all(passed for _, passed, _ in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
