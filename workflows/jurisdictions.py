"""Canadian jurisdiction codes and which one lies within which.

Staff scopes are jurisdictions: an administrator of J may act on J and on everything below
it, and a supervisor's dashboard may cover a province. The codes alone say where a
jurisdiction sits (a census-subdivision code begins with its province's two SGC digits, and
the pack checks refuse a municipality placed under another province), so the answer never
depends on which packs happen to be loaded: an administrator of Nova Scotia may publish
Halifax's very first pack.
"""

from __future__ import annotations

import re

from sqlalchemy import ColumnElement, false, or_, true

FEDERAL = "CA"

#: Statistics Canada's two-digit province codes, which begin every census-subdivision code.
SGC_PROVINCE_CODES = {
    "CA-NL": "10",
    "CA-PE": "11",
    "CA-NS": "12",
    "CA-NB": "13",
    "CA-QC": "24",
    "CA-ON": "35",
    "CA-MB": "46",
    "CA-SK": "47",
    "CA-AB": "48",
    "CA-BC": "59",
    "CA-YT": "60",
    "CA-NT": "61",
    "CA-NU": "62",
}
_PROVINCE_OF_SGC = {digits: province for province, digits in SGC_PROVINCE_CODES.items()}
_MUNICIPAL = re.compile(r"[0-9]{7}")


def level_of(code: str) -> str | None:
    """`federal`, `provincial` or `municipal` for a well-formed Canadian code; None for anything else."""
    if code == FEDERAL:
        return "federal"
    if code in SGC_PROVINCE_CODES:
        return "provincial"
    if _MUNICIPAL.fullmatch(code) and code[:2] in _PROVINCE_OF_SGC:
        return "municipal"
    return None


def is_jurisdiction_code(code: object) -> bool:
    """Whether `code` names a real place: CA, a province or territory, or a municipality of one."""
    return isinstance(code, str) and level_of(code) is not None


def province_of(code: str) -> str | None:
    """The province or territory a municipal code lies in (CA-NS for 1209034), else None."""
    return _PROVINCE_OF_SGC.get(code[:2]) if level_of(code) == "municipal" else None


def is_within(code: str, reach: str | None) -> bool:
    """Whether jurisdiction `code` is `reach` itself or lies below it (CA reaches every one).

    A reach of None (an account without one) reaches nothing.
    """
    if reach is None or level_of(code) is None:
        return False
    if reach == FEDERAL or code == reach:
        return True
    return level_of(reach) == "provincial" and province_of(code) == reach


def within_clause(column: ColumnElement[str], reach: str | None) -> ColumnElement[bool]:
    """`is_within(column, reach)` as SQL, for queries that filter rows by a staff member's reach."""
    if reach == FEDERAL:
        return true()
    if reach is None or level_of(reach) is None:
        return false()
    if level_of(reach) == "provincial":
        return or_(column == reach, column.like(f"{SGC_PROVINCE_CODES[reach]}_____"))
    return column == reach
