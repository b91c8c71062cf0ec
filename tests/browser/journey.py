"""The entrepreneur's answers and form values, in the form a person types them into the pages.

The values come from the same sets the HTTP tests use (tests/answer_sets.py, tests/factories.py),
turned into what the browser's fields take: "yes"/"no" for yes/no questions, dollars for money.
"""

from __future__ import annotations

import functools
from typing import Any

from tests.answer_sets import TORONTO, TORONTO_FULL
from tests.factories import valid_value
from workflows.packs.loader import bundled_pack_directory, load_pack_set, read_pack_directory
from workflows.packs.model import Chain

#: The Business Number the entrepreneur already has and gives in the form (its check digit holds).
BUSINESS_NUMBER = "123456782"
APPLICANT_NAME = "Ada Lovelace"


@functools.cache
def toronto() -> Chain:
    return load_pack_set(read_pack_directory(bundled_pack_directory())).chains[TORONTO]


def typed(kind: str, value: Any) -> str:
    """How a person enters an engine value of this type into its field."""
    if kind == "yes_no":
        return "yes" if value else "no"
    if kind == "money":
        return f"{value / 100:.2f}"
    return str(value)


def triage_answers(answers: dict[str, Any] | None = None) -> dict[str, str]:
    """The Toronto restaurant with alcohol, staff, a patio and a sign, as typed into the triage pages."""
    chain = toronto()
    chosen = TORONTO_FULL if answers is None else answers
    return {qid: typed(chain.questions_by_id[qid].type, value) for qid, value in chosen.items()}


def form_value(field_id: str) -> tuple[str, str]:
    """The kind of input and the value typed into a field of the application form."""
    definition = toronto().fields[field_id]
    if definition.type == "business_number":
        return "business_number", BUSINESS_NUMBER
    return definition.type, typed(definition.type, valid_value(definition))
