"""JSON API under /api/v1, described by the OpenAPI document at /api/openapi.json."""

from flask import Blueprint

api = Blueprint("api", __name__, url_prefix="/api")

from app.api import accounts, applications, errors, ledger, openapi, payments, receipts, tasks, triage  # noqa: E402, F401  (routes register on import)
