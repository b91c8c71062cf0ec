"""Licence and permit numbers.

A licence number is a random code (Crockford base32, no I, L, O or U to misread) kept by every
version of one application's licence, then the version: GL-7K3M9QXD2H-1, GL-7K3M9QXD2H-2.
Random, so numbers cannot be walked through to list every business; each version has a number
of its own, so a superseded version can still be checked and is shown as superseded.
A permit's number is its code and its case's id: TO-EATING-000123, the same on every version.
"""

from __future__ import annotations

import re
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
PREFIX = "GL"
CODE_LENGTH = 10
_NUMBER = re.compile(rf"{PREFIX}-[{ALPHABET}]{{{CODE_LENGTH}}}-[1-9][0-9]{{0,3}}")


def new_licence_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def licence_number(code: str, version: int) -> str:
    return f"{PREFIX}-{code}-{version}"


def code_of(number: str) -> str:
    """The application's part of a licence number (GL-7K3M9QXD2H-2 -> 7K3M9QXD2H)."""
    return number.split("-")[1]


def normalized_number(text: str) -> str | None:
    """A licence number as typed (any case, spaces around) in its stored form; None if it cannot be one."""
    number = text.strip().upper()
    return number if _NUMBER.fullmatch(number) else None


def permit_number(permit_code: str, case_id: int) -> str:
    return f"{permit_code}-{case_id:06d}"
