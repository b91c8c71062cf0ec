"""The period the service-quality figures cover: whole UTC days, both ends included.

A dashboard is read by people who think in days ("from September 1 to November 30"), so the
last day is included; in the database the period is the half-open interval from midnight
UTC of the first day to midnight UTC after the last.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from workflows.text import FieldError, Text

DEFAULT_DAYS = 90
MAX_DAYS = 3660  # about ten years: enough for any report, not a whole-table scan by accident

_NOT_A_DAY = Text(
    "Give a day in the form YYYY-MM-DD, for example 2026-09-01.",
    "Indiquez un jour au format AAAA-MM-JJ, par exemple 2026-09-01.",
)
_BEFORE_START = Text(
    "The last day comes before the first one.",
    "Le dernier jour précède le premier.",
)
_TOO_LONG = Text(
    f"Choose a period of at most {MAX_DAYS} days.",
    f"Choisissez une période d'au plus {MAX_DAYS} jours.",
)


class PeriodError(ValueError):
    """The period asked for cannot be used; `errors` says why, field by field ("from", "to")."""

    def __init__(self, errors: list[FieldError]):
        super().__init__("; ".join(f"{error.field}: {error.message.en}" for error in errors))
        self.errors = errors


@dataclass(frozen=True, slots=True)
class Period:
    first: date
    last: date  # included

    @property
    def start(self) -> datetime:
        """Midnight UTC at the start of the first day."""
        return datetime(self.first.year, self.first.month, self.first.day, tzinfo=UTC)

    @property
    def end(self) -> datetime:
        """Midnight UTC after the last day: the first moment no longer in the period."""
        after = self.last + timedelta(days=1)
        return datetime(after.year, after.month, after.day, tzinfo=UTC)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


def default_period(today: date) -> Period:
    """The last DEFAULT_DAYS days, today included."""
    return Period(today - timedelta(days=DEFAULT_DAYS - 1), today)


def parse_period(first: str | None, last: str | None, today: date) -> Period:
    """The period from two YYYY-MM-DD days as a form or an address gives them; PeriodError otherwise.

    A missing last day is today; a missing first day is DEFAULT_DAYS before the last.
    """
    errors: list[FieldError] = []
    end = _day("to", last, errors) if last else today
    start = _day("from", first, errors) if first else None
    if errors:
        raise PeriodError(errors)
    if start is None:
        start = end - timedelta(days=DEFAULT_DAYS - 1)
    if end < start:
        raise PeriodError([FieldError("to", _BEFORE_START)])
    if (end - start).days + 1 > MAX_DAYS:
        raise PeriodError([FieldError("from", _TOO_LONG)])
    return Period(start, end)


def _day(name: str, text: str, errors: list[FieldError]) -> date | None:
    text = text.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    errors.append(FieldError(name, _NOT_A_DAY))
    return None
