"""CRA Business Numbers (BN) and program accounts ("123456782 RT 0001"); no Flask, no database.

The 9th digit of a BN is a Luhn mod-10 check digit over the first 8 (the SIN algorithm), so most
typing errors are caught here, before an applicant's file reaches the CRA or a licence is issued.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from random import Random

from workflows.text import Text

PROGRAMS: dict[str, Text] = {
    "RT": Text("GST/HST", "TPS/TVH"),
    "RP": Text("Payroll deductions", "Retenues sur la paie"),
    "RC": Text("Corporation income tax", "Impôt sur le revenu des sociétés"),
    "RM": Text("Import/export", "Importation-exportation"),
    "RZ": Text("Information returns", "Déclarations de renseignements"),
    "RR": Text("Registered charity", "Organisme de bienfaisance enregistré"),
}

_SEPARATORS = re.compile(r"[\s-]")  # people type and paste BNs as "123 456 782" or "123-456-782"
_NINE_DIGITS = re.compile(r"[0-9]{9}")  # ASCII only: str.isdigit() also takes other scripts' digits
_PROGRAM_ACCOUNT = re.compile(r"([0-9]{9})([A-Za-z]{2})([0-9]{4})")
_SYSTEM_RANDOM = secrets.SystemRandom()

_MESSAGES: dict[str, Text] = {  # error code -> plain reason; never says what the check digit should be
    "length": Text(
        "A Business Number has 9 digits (spaces and hyphens are ignored).",
        "Un numéro d'entreprise compte 9 chiffres (les espaces et les traits d'union sont ignorés).",
    ),
    "all_zeros": Text(
        "A Business Number cannot be all zeros.",
        "Un numéro d'entreprise ne peut pas être composé uniquement de zéros.",
    ),
    "check_digit": Text(
        "The check digit (the 9th digit) is wrong. Check the number for a typing error.",
        "Le chiffre de contrôle (le 9e chiffre) est erroné. Vérifiez s'il y a une erreur de saisie.",
    ),
    "program_account": Text(
        "A program account is written like 123456782 RT 0001 (9 digits, 2 letters, 4 digits).",
        "Un compte de programme s'écrit ainsi : 123456782 RT 0001 (9 chiffres, 2 lettres, 4 chiffres).",
    ),
    "program": Text(
        "The program identifier must be RC, RM, RP, RR, RT or RZ.",
        "L'identificateur de programme doit être RC, RM, RP, RR, RT ou RZ.",
    ),
    "reference": Text(
        "The reference number must be between 0001 and 9999.",
        "Le numéro de référence doit être compris entre 0001 et 9999.",
    ),
}


class BusinessNumberError(ValueError):
    """Why a value is not a BN or program account: `code` for programs, messages for people."""

    def __init__(self, code: str) -> None:
        self.code, self.message = code, _MESSAGES[code]
        self.message_en, self.message_fr = self.message.en, self.message.fr
        super().__init__(self.message_en)


def check_digit(first_eight: str) -> str:
    """The Luhn digit for 8 digits: double every 2nd digit from the left, add the digits, round up to 10."""
    if not re.fullmatch(r"[0-9]{8}", first_eight):
        raise ValueError("check_digit needs exactly 8 ASCII digits")
    total = 0
    for position, char in enumerate(first_eight):
        digit = int(char) * (2 if position % 2 else 1)
        total += digit - 9 if digit > 9 else digit
    return str(-total % 10)


def parse_business_number(value: str) -> str:
    """The BN as 9 bare digits; raises BusinessNumberError saying, in plain words, what is wrong."""
    digits = _SEPARATORS.sub("", value)
    if not _NINE_DIGITS.fullmatch(digits):
        raise BusinessNumberError("length")
    if digits == "000000000":  # passes Luhn (its check digit is 0) but is never issued
        raise BusinessNumberError("all_zeros")
    if check_digit(digits[:8]) != digits[8]:
        raise BusinessNumberError("check_digit")
    return digits


def is_valid_business_number(value: str) -> bool:
    """True when `parse_business_number` would accept the value; for filters and quick checks."""
    try:
        parse_business_number(value)
    except BusinessNumberError:
        return False
    return True


@dataclass(frozen=True, slots=True)
class ProgramAccount:
    """A CRA program account, normalised and validated on construction so an invalid one cannot exist."""

    business_number: str
    program: str
    reference: int

    def __post_init__(self) -> None:
        # Normalised here, through object.__setattr__ as the class is frozen, so equal accounts compare equal.
        object.__setattr__(self, "business_number", parse_business_number(self.business_number))
        object.__setattr__(self, "program", self.program.upper())
        if self.program not in PROGRAMS:
            raise BusinessNumberError("program")
        if type(self.reference) is not int or not 1 <= self.reference <= 9999:
            raise BusinessNumberError("reference")

    def __str__(self) -> str:
        return f"{self.business_number} {self.program} {self.reference:04d}"


def parse_program_account(value: str) -> ProgramAccount:
    """Reads "123456782 RT 0001" or "123456782rt0001"; raises BusinessNumberError otherwise."""
    match = _PROGRAM_ACCOUNT.fullmatch(_SEPARATORS.sub("", value))
    if not match:
        raise BusinessNumberError("program_account")
    digits, program, reference = match.groups()
    return ProgramAccount(digits, program, int(reference))


def new_business_number(
    random: Random = _SYSTEM_RANDOM, *, taken: Callable[[str], bool], attempts: int = 100
) -> str:
    """A fresh valid BN that `taken` reports unused; RuntimeError after `attempts` collisions.

    First digit 1-9 so the BN keeps 9 digits even stored as an integer. The default source is the OS's
    secure one so issued numbers cannot be predicted; tests pass random.Random(seed).
    """
    for _ in range(attempts):
        first_eight = str(random.randrange(10_000_000, 100_000_000))
        candidate = first_eight + check_digit(first_eight)
        if not taken(candidate):
            return candidate
    raise RuntimeError(f"no unused Business Number found in {attempts} attempts")
