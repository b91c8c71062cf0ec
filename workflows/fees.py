"""Fee schedules, chosen in a pack by their `kind`: flat, per unit, or tiered bands.

Every amount is integer cents. A registry maps each kind to its class, so a new kind
of schedule is one class and one registry entry, and packs refer to it by name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from workflows.text import Text

#: The most one fee may be ($1,000,000.00), as the pack schema's `cents` says: far above any
#: licence fee, far below what the ledger's columns hold.
MAX_FEE_CENTS = 100_000_000

#: The most one application's invoice may total: the ledger's amounts are 32-bit integer
#: columns on PostgreSQL. A pack set whose permits could together cost more is refused, so
#: no visitor's answers can make an invoice the database cannot store.
MAX_INVOICE_CENTS = 2**31 - 1


@dataclass(frozen=True, slots=True)
class Charge:
    """How a fee was worked out, for an invoice line: `quantity` x `unit_cents`, or a band, or a minimum.

    `basis` is "flat", "per_unit", "minimum" (the per-unit total fell below it) or "band";
    `band_up_to` is the band's upper bound (None for the open-ended last band).
    """

    basis: str
    quantity: int
    unit_cents: int
    amount_cents: int
    question: str | None = None
    band_up_to: int | None = None


class FeeSchedule:
    """How much a permit costs for a set of answers."""

    __slots__ = ()
    kind: ClassVar[str]
    illustrative: bool

    def amount_cents(self, answers: Mapping[str, Any]) -> int:
        return self.charge(answers).amount_cents

    def charge(self, answers: Mapping[str, Any]) -> Charge:
        raise NotImplementedError

    @property
    def question(self) -> str | None:
        """The question whose answer the amount depends on, if any."""
        return None


@dataclass(frozen=True, slots=True)
class FlatFee(FeeSchedule):
    kind: ClassVar[str] = "flat"
    cents: int
    illustrative: bool = False

    def charge(self, answers):
        return Charge("flat", 1, self.cents, self.cents)


@dataclass(frozen=True, slots=True)
class PerUnitFee(FeeSchedule):
    """So much per seat or per square metre, never below a minimum. No answer counts as zero units."""

    kind: ClassVar[str] = "per_unit"
    unit_question: str
    unit_cents: int
    minimum_cents: int = 0
    illustrative: bool = False

    def charge(self, answers):
        units = answers.get(self.unit_question) or 0
        if units * self.unit_cents < self.minimum_cents:
            return Charge("minimum", 1, self.minimum_cents, self.minimum_cents, self.unit_question)
        return Charge("per_unit", units, self.unit_cents, units * self.unit_cents, self.unit_question)

    @property
    def question(self):
        return self.unit_question


@dataclass(frozen=True, slots=True)
class Band:
    up_to: int | None  # inclusive upper bound; None for the last, open-ended band
    cents: int


@dataclass(frozen=True, slots=True)
class TieredFee(FeeSchedule):
    """One amount per band of an answer (seats, sales); bands ascend and the last is open-ended."""

    kind: ClassVar[str] = "tiered"
    band_question: str
    bands: tuple[Band, ...]
    illustrative: bool = False

    def charge(self, answers):
        value = answers.get(self.band_question) or 0
        for band in self.bands:
            if band.up_to is None or value <= band.up_to:
                return Charge("band", 1, band.cents, band.cents, self.band_question, band.up_to)
        raise AssertionError("validated bands always end open-ended")

    @property
    def question(self):
        return self.band_question


def _flat(data: Mapping[str, Any]) -> FeeSchedule:
    return FlatFee(data["amount_cents"], data.get("illustrative", False))


def _per_unit(data: Mapping[str, Any]) -> FeeSchedule:
    return PerUnitFee(
        data["question"],
        data["unit_cents"],
        data.get("minimum_cents", 0),
        data.get("illustrative", False),
    )


def _tiered(data: Mapping[str, Any]) -> FeeSchedule:
    bands = tuple(Band(band.get("up_to"), band["amount_cents"]) for band in data["bands"])
    return TieredFee(data["question"], bands, data.get("illustrative", False))


FEE_KINDS = {"flat": _flat, "per_unit": _per_unit, "tiered": _tiered}


def compile_fee(data: Mapping[str, Any]) -> FeeSchedule:
    """Build the schedule a pack describes (already checked against the schema)."""
    return FEE_KINDS[data["kind"]](data)


def most_cents(fee: Mapping[str, Any], most_units: int) -> int:
    """The most a fee described in a pack can come to, whatever the answers, when a per-unit
    fee's question allows at most `most_units`."""
    if fee["kind"] == "flat":
        return fee["amount_cents"]
    if fee["kind"] == "tiered":
        return max(band["amount_cents"] for band in fee["bands"])
    return max(fee.get("minimum_cents", 0), most_units * fee["unit_cents"])


def band_problems(bands: list[Mapping[str, Any]]) -> list[tuple[int, Text]]:
    """Why a list of tiered bands is unusable: (band index, reason in both languages) for each fault."""
    problems = []
    previous = None
    for index, band in enumerate(bands):
        up_to = band.get("up_to")
        last = index == len(bands) - 1
        if up_to is None and not last:
            problems.append(
                (
                    index,
                    Text(
                        "only the last band may be open-ended (no up_to)",
                        "seule la dernière tranche peut être sans limite (sans up_to)",
                    ),
                )
            )
        elif up_to is not None and last:
            problems.append(
                (
                    index,
                    Text(
                        "the last band must be open-ended: remove its up_to",
                        "la dernière tranche doit être sans limite : retirez son up_to",
                    ),
                )
            )
        if up_to is not None and previous is not None and up_to <= previous:
            problems.append(
                (
                    index,
                    Text(
                        f"bands must ascend: up_to {up_to} is not above the previous {previous}",
                        f"les tranches doivent être croissantes : up_to {up_to} ne dépasse pas le précédent "
                        f"{previous}",
                    ),
                )
            )
        if up_to is not None:
            previous = up_to
    return problems
