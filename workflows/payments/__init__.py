"""The money side: one invoice per application (and one per renewal), one payment each, the ledger
that splits it among agencies.

Free of Flask. Money is integer cents. The web layer locks the application, calls `pay`
(or `settle_ended_permits` after a permit is refused or withdrawn) and commits.
"""

from workflows.payments.gateway import GATEWAYS, ChargeResult, PaymentGateway, SimulatedGateway, gateway_named
from workflows.payments.invoices import due_invoice, invoice_of, make_invoice
from workflows.payments.ledger import agency_balances, disburse, verify
from workflows.payments.service import (
    PaymentOutcome,
    PaymentRefused,
    mark_free_invoice_paid,
    pay,
    refunds_by_line,
    settle_ended_permits,
)

__all__ = [
    "GATEWAYS",
    "ChargeResult",
    "PaymentGateway",
    "PaymentOutcome",
    "PaymentRefused",
    "SimulatedGateway",
    "agency_balances",
    "disburse",
    "due_invoice",
    "gateway_named",
    "invoice_of",
    "make_invoice",
    "mark_free_invoice_paid",
    "pay",
    "refunds_by_line",
    "settle_ended_permits",
    "verify",
]
