"""The one application form: every field the permits need, asked once, checked field by field.

A field such as `legal_name` or `seating_capacity` comes from the shared catalogue, so
however many permits need it, the applicant types it once. Fields that share an id with
a triage question start filled with that answer (tell us once). Each agency receives
only the fields its own permits declare, which is what the applicant consents to.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from email_validator import EmailNotValidError, validate_email

from licences.business_number import BusinessNumberError, parse_business_number
from workflows.packs.model import Agency, Chain, FieldDefinition, Permit
from workflows.text import FieldError, Text
from workflows.value_checks import (
    WHOLE_NUMBER,
    bounds_problem,
    choice_problem,
    is_whole_number,
    yes_no_problem,
)

DEFAULT_MAX_LENGTH = {"text": 200, "long_text": 2000}
BUSINESS_NUMBER_FIELD = "business_number"  # the catalogue field holding the BN, assigned if left empty
POSTAL_CODE = re.compile(r"^([ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z]) ?(\d[ABCEGHJ-NPRSTV-Z]\d)$")


@dataclass(frozen=True, slots=True)
class FormField:
    """A field of one application's form, and the permits that need it (the reason it is asked)."""

    definition: FieldDefinition
    permits: tuple[Permit, ...]
    required: bool = True  # at submission; a draft may leave any field empty


@dataclass(frozen=True, slots=True)
class AgencyShare:
    """What one agency would receive: each field with the permits of that agency that need it."""

    agency: Agency
    fields: tuple[FormField, ...]


def form_fields(chain: Chain, permit_codes: Iterable[str]) -> list[FormField]:
    """The union of the fields the permits need, each once, in catalogue order."""
    codes = set(permit_codes)
    needing: dict[str, list[Permit]] = {}
    for permit in chain.permits:
        if permit.code in codes:
            for field_id in permit.fields:
                needing.setdefault(field_id, []).append(permit)
    return [
        FormField(definition, tuple(needing[field_id]))
        for field_id, definition in chain.fields.items()
        if field_id in needing
    ]


def application_fields(chain: Chain, permit_codes: Iterable[str]) -> list[FormField]:
    """The applicant's form: what the permits need, plus the Business Number, first and optional.

    Every business has a BN; one who already has one gives it here, anyone else leaves it
    empty and gets one assigned on submission, which then fills this field for the
    permits that need it.
    """
    fields = form_fields(chain, permit_codes)
    definition = chain.fields.get(BUSINESS_NUMBER_FIELD)
    if definition is None:
        return fields
    needing = next((f.permits for f in fields if f.definition.id == BUSINESS_NUMBER_FIELD), ())
    others = [f for f in fields if f.definition.id != BUSINESS_NUMBER_FIELD]
    return [FormField(definition, needing, required=False), *others]


def agency_shares(chain: Chain, permit_codes: Iterable[str]) -> list[AgencyShare]:
    """Per agency, the fields its permits need: nothing more is ever shared with it."""
    by_agency: dict[str, list[Permit]] = {}
    codes = set(permit_codes)
    for permit in chain.permits:
        if permit.code in codes:
            by_agency.setdefault(permit.agency.code, []).append(permit)
    shares = []
    for permits in by_agency.values():
        fields = form_fields(chain, (permit.code for permit in permits))
        shares.append(AgencyShare(permits[0].agency, tuple(fields)))
    return shares


def prefilled(fields: Iterable[FormField], answers: Mapping[str, Any]) -> dict[str, Any]:
    """Values the triage already gave: a field with a question's id starts with its answer."""
    return {
        f.definition.id: answers[f.definition.id] for f in fields if answers.get(f.definition.id) is not None
    }


def check_form(
    fields: Iterable[FormField], values: Mapping[str, Any], *, complete: bool
) -> tuple[dict[str, Any], list[FieldError]]:
    """Clean every given value; with `complete`, also require every field (for submission).

    A draft may be saved with gaps; unknown fields are always refused so nothing unasked is kept.
    """
    fields = list(fields)
    definitions = {f.definition.id: f.definition for f in fields}
    required = {f.definition.id: f.required for f in fields}
    errors = [
        FieldError(f"fields.{key}", Text("This form has no such field.", "Ce formulaire n'a pas ce champ."))
        for key in values
        if key not in definitions
    ]
    clean: dict[str, Any] = {}
    for field_id, definition in definitions.items():
        value = values.get(field_id)
        if value is None or (isinstance(value, str) and not value.strip()):
            if complete and required[field_id]:
                errors.append(
                    FieldError(
                        f"fields.{field_id}", Text("This field is required.", "Ce champ est obligatoire.")
                    )
                )
            continue
        cleaned, problem = check_value(definition, value)
        if problem is None:
            clean[field_id] = cleaned
        else:
            errors.append(FieldError(f"fields.{field_id}", problem))
    return clean, errors


def check_value(definition: FieldDefinition, value: Any) -> tuple[Any, Text | None]:
    """(the value as stored, None) or (None, why it is refused), by the field's type."""
    kind = definition.type
    if kind in ("text", "long_text"):
        if not isinstance(value, str):
            return None, Text("Enter text.", "Entrez du texte.")
        limit = definition.max_length or DEFAULT_MAX_LENGTH[kind]
        text = value.strip()
        if len(text) > limit:
            return None, Text(f"Use {limit} characters at most.", f"Utilisez au plus {limit} caractères.")
        return text, None
    if kind == "email":
        try:
            return validate_email(str(value), check_deliverability=False).normalized, None
        except EmailNotValidError:
            return None, Text("Enter a valid email address.", "Entrez une adresse courriel valide.")
    if kind == "phone":
        digits = re.sub(r"[\s().+-]", "", str(value))
        digits = digits[1:] if len(digits) == 11 and digits.startswith("1") else digits
        if not (digits.isdigit() and len(digits) == 10):
            return None, Text(
                "Enter a 10-digit phone number, such as 416-555-0123.",
                "Entrez un numéro de téléphone à 10 chiffres, par exemple 416-555-0123.",
            )
        return f"{digits[:3]}-{digits[3:6]}-{digits[6:]}", None
    if kind == "postal_code":
        match = POSTAL_CODE.match(str(value).strip().upper())
        if not match:
            return None, Text(
                "Enter a Canadian postal code, such as M5V 2T6.",
                "Entrez un code postal canadien, par exemple M5V 2T6.",
            )
        return f"{match.group(1)} {match.group(2)}", None
    if kind == "date":
        try:
            return date.fromisoformat(str(value)).isoformat(), None
        except ValueError:
            return None, Text("Enter a date as YYYY-MM-DD.", "Entrez une date au format AAAA-MM-JJ.")
    if kind in ("integer", "money"):
        if not is_whole_number(value):
            if kind == "money":
                return None, Text("Enter an amount in whole cents.", "Entrez un montant en cents entiers.")
            return None, WHOLE_NUMBER
        return _kept(value, bounds_problem(value, definition.minimum, definition.maximum, _plain))
    if kind == "yes_no":
        return _kept(value, yes_no_problem(value))
    if kind == "choice":
        return _kept(value, choice_problem(value, definition.choices))
    if kind == "business_number":
        try:
            return parse_business_number(str(value)), None
        except BusinessNumberError as error:
            return None, error.message
    raise AssertionError(f"the pack schema admits no field type {kind!r}")


def _kept(value: Any, problem: Text | None) -> tuple[Any, Text | None]:
    return (None, problem) if problem else (value, None)


def _plain(bound: int) -> Text:
    return Text(str(bound), str(bound))
