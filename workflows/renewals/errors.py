"""What renewing refuses beyond bad input (which is an ApplicationError, field by field)."""

from __future__ import annotations

from workflows.text import Text


class RenewalInProgress(Exception):
    """A renewal of the application awaits payment: one at a time, so two bills never renew the
    same permit twice (the API answers 409)."""

    message = Text(
        "A renewal of this application is waiting for payment: pay it before starting another.",
        "Un renouvellement de cette demande attend son paiement : payez-le avant d'en commencer un autre.",
    )

    def __init__(self, renewal_id: int):
        self.renewal_id = renewal_id
        super().__init__(f"renewal {renewal_id} is still open")
