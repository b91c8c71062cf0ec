"""JSON API under /api/v1, described by the OpenAPI document at /api/openapi.json."""

from flask import Blueprint

api = Blueprint("api", __name__, url_prefix="/api")

from app.api import (  # noqa: E402, F401  (routes register on import)
    accounts,
    applications,
    errors,
    ledger,
    licences,
    openapi,
    payments,
    receipts,
    renewals,
    tasks,
    triage,
)
