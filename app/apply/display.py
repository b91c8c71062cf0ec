"""Money, dates and form values as the visitor reads them, in their language.

Templates of this blueprint get these helpers (see `template_helpers`), so a page never
shows a raw cent amount, an ISO timestamp or `True`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from babel.numbers import format_decimal
from flask_babel import format_date, format_datetime
from flask_babel import gettext as _

from app.apply import labels
from app.i18n import current_language
from workflows.packs.model import FieldDefinition
from workflows.triage import BABEL_LOCALES, YES_NO, format_cents


def money(cents: int) -> str:
    """$1,234.56 in English, 1 234,56 $ in French."""
    return format_cents(cents, current_language())


def when(moment: datetime | None) -> str:
    """A date and time with its time zone, as in "November 26, 2026, 3:00:00 PM UTC" or
    "26 novembre 2026, 15:00:00 UTC"."""
    return format_datetime(moment, "long") if moment else ""


def day(moment: date | datetime | None) -> str:
    """A date alone, as in "November 26, 2026" or "26 novembre 2026"."""
    return format_date(moment, "long") if moment else ""


def field_value(definition: FieldDefinition, value: Any) -> str:
    """A saved form value for reading (the form once submitted, the values an answer change erases)."""
    language = current_language()
    if value is None or value == "":
        return _("Not given")
    kind = definition.type
    if kind == "yes_no" and isinstance(value, bool):
        return YES_NO[value].in_(language)
    if kind == "money" and isinstance(value, int):
        return format_cents(value, language)
    if kind == "integer" and isinstance(value, int):
        return format_decimal(value, locale=BABEL_LOCALES.get(language, "en_CA"))
    if kind == "choice":
        label = next((c.label for c in definition.choices if c.value == value), None)
        return label.in_(language) if label else str(value)
    if kind == "date":
        try:
            return day(date.fromisoformat(str(value)))
        except ValueError:
            return str(value)
    return str(value)


def template_helpers() -> dict[str, Any]:
    return {
        "money": money,
        "when": when,
        "day": day,
        "field_value": field_value,
        "state_label": labels.state_label,
        "step_label": labels.step_label,
        "next_step_label": labels.next_step_label,
        "event_label": labels.event_label,
        "actor_label": labels.actor_label,
        "application_state_label": labels.application_state_label,
        "level_label": labels.level_label,
        "licence_status_label": labels.licence_status_label,
    }
