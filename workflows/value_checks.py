"""Rules shared by triage answers and application form fields, each with its message once.

A yes/no, a choice or a whole number within bounds is checked the same way whether it
answers a triage question or fills a form field; only how a bound is displayed differs
(triage shows dollars for money), so callers pass that in.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from workflows.packs.model import Choice
from workflows.text import Text

YES_OR_NO = Text("Answer yes or no (true or false).", "Répondez oui ou non (true ou false).")
WHOLE_NUMBER = Text("Enter a whole number.", "Entrez un nombre entier.")
#: The largest whole number every JSON reader keeps exact (2**53 - 1, as I-JSON advises). A
#: number or an amount with no maximum of its own stays at or below it, so a value accepted
#: here can always be formatted, stored and sent back: 10**30 cents once crashed the results.
LARGEST_WHOLE_NUMBER = 2**53 - 1


def is_whole_number(value: Any) -> bool:
    """JSON integers only: true/false are not numbers, and 2.5 is not whole."""
    return isinstance(value, int) and not isinstance(value, bool)


def yes_no_problem(value: Any) -> Text | None:
    return None if isinstance(value, bool) else YES_OR_NO


def choice_problem(value: Any, choices: Sequence[Choice]) -> Text | None:
    if isinstance(value, str) and any(choice.value == value for choice in choices):
        return None
    options = ", ".join(choice.value for choice in choices)
    return Text(f"Choose one of: {options}.", f"Choisissez parmi : {options}.")


def bounds_problem(
    value: int, minimum: int | None, maximum: int | None, shown: Callable[[int], Text]
) -> Text | None:
    """Whole numbers are never negative unless a minimum says so, nor beyond LARGEST_WHOLE_NUMBER
    unless a maximum says so."""
    low = minimum if minimum is not None else 0
    high = maximum if maximum is not None else LARGEST_WHOLE_NUMBER
    if value < low:
        bound = shown(low)
        return Text(f"Enter {bound.en} or more.", f"Entrez {bound.fr} ou plus.")
    if value > high:
        bound = shown(high)
        return Text(f"Enter {bound.en} or less.", f"Entrez {bound.fr} ou moins.")
    return None
