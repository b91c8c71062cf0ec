"""Card processors behind one small interface, chosen by name in the configuration.

The engine only ever calls `charge` and `refund`, always with an idempotency key, so a
retry after a timeout or a crash can never charge twice at a processor that honours keys
(real ones do). A real processor is one more class and one more entry in GATEWAYS.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from threading import Lock
from typing import Literal, Protocol

ChargeStatus = Literal["succeeded", "declined", "failed"]


@dataclass(frozen=True, slots=True)
class ChargeResult:
    """What the processor answered. `failed` means it could not decide (retry later)."""

    status: ChargeStatus
    reference: str | None  # the processor's id for the charge, when it made one
    decline_code: str | None = None


@dataclass(frozen=True, slots=True)
class RefundResult:
    succeeded: bool
    reference: str | None


class PaymentGateway(Protocol):
    name: str

    def charge(self, *, amount_cents: int, card_token: str, idempotency_key: str) -> ChargeResult: ...

    def refund(self, *, charge_reference: str, amount_cents: int, idempotency_key: str) -> RefundResult: ...


#: The simulated processor's test cards and what each does.
TEST_CARDS: dict[str, ChargeResult] = {
    "tok_approved": ChargeResult("succeeded", None),
    "tok_declined": ChargeResult("declined", None, "card_declined"),
    "tok_insufficient_funds": ChargeResult("declined", None, "insufficient_funds"),
    "tok_processor_error": ChargeResult("failed", None, "processor_error"),
}


class SimulatedGateway:
    """A card processor for development and tests: no network, no money.

    It honours idempotency keys like a real processor (the same key gives the same
    answer and no second charge) and keeps its books in memory, so `charges` shows what
    was really charged. The memory is per process: with several workers, each has its own.
    """

    name = "simulated"

    def __init__(self) -> None:
        self._lock = Lock()
        self._answers: dict[str, ChargeResult | RefundResult] = {}
        self.charges: dict[str, int] = {}  # charge reference -> amount charged
        self.refunds: dict[str, int] = {}  # refund reference -> amount given back

    def charge(self, *, amount_cents: int, card_token: str, idempotency_key: str) -> ChargeResult:
        with self._lock:
            if idempotency_key in self._answers:
                return self._answers[idempotency_key]
            outcome = TEST_CARDS.get(card_token, ChargeResult("declined", None, "invalid_card_token"))
            if outcome.status == "succeeded":
                reference = "ch_" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:24]
                self.charges[reference] = amount_cents
                outcome = ChargeResult("succeeded", reference)
            if outcome.status != "failed":  # a processor error is not remembered: a retry tries again
                self._answers[idempotency_key] = outcome
            return outcome

    def refund(self, *, charge_reference: str, amount_cents: int, idempotency_key: str) -> RefundResult:
        with self._lock:
            if idempotency_key in self._answers:
                return self._answers[idempotency_key]
            refunded = sum(a for r, a in self.refunds.items() if r.startswith(charge_reference + ":"))
            if (
                charge_reference not in self.charges
                or refunded + amount_cents > self.charges[charge_reference]
            ):
                result = RefundResult(False, None)
            else:
                reference = (
                    f"{charge_reference}:re_{hashlib.sha256(idempotency_key.encode()).hexdigest()[:16]}"
                )
                self.refunds[reference] = amount_cents
                result = RefundResult(True, reference)
            self._answers[idempotency_key] = result
            return result


GATEWAYS: dict[str, Callable[[], PaymentGateway]] = {"simulated": SimulatedGateway}


def gateway_named(name: str) -> PaymentGateway:
    """A new gateway of the configured kind; ValueError names the known ones."""
    try:
        return GATEWAYS[name]()
    except KeyError:
        raise ValueError(f"unknown payment gateway {name!r}; known: {', '.join(sorted(GATEWAYS))}") from None
