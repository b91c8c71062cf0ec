"""Licence numbers as people type them, and validity counted in calendar months."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from licences.issuance import add_months
from licences.numbering import licence_number, new_licence_code, normalized_number, permit_number


def test_numbers_are_normalised_and_anything_else_is_refused():
    assert normalized_number(" gl-7k3m9qxd2h-12 ") == "GL-7K3M9QXD2H-12"
    for typed in ("GL-7K3M9QXD2H-0", "GL-7K3M9QXD2H", "GL-ILOU000000-1", "XX-7K3M9QXD2H-1", "' OR 1=1 --"):
        assert normalized_number(typed) is None, typed


def test_new_numbers_are_random_and_well_formed():
    codes = {new_licence_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(normalized_number(licence_number(code, 3)) == f"GL-{code}-3" for code in codes)
    assert permit_number("TO-EATING", 42) == "TO-EATING-000042"


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (datetime(2026, 1, 31, tzinfo=UTC), 1, datetime(2026, 2, 28, tzinfo=UTC)),
        (datetime(2028, 1, 31, tzinfo=UTC), 1, datetime(2028, 2, 29, tzinfo=UTC)),
        (datetime(2026, 11, 26, 15, tzinfo=UTC), 12, datetime(2027, 11, 26, 15, tzinfo=UTC)),
        (datetime(2026, 11, 30, tzinfo=UTC), 3, datetime(2027, 2, 28, tzinfo=UTC)),
        (datetime(2026, 5, 15, tzinfo=UTC), 60, datetime(2031, 5, 15, tzinfo=UTC)),
    ],
)
def test_validity_is_counted_in_calendar_months(start, months, expected):
    assert add_months(start, months) == expected
