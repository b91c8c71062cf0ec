"""Every API error is JSON: {"errors": [{"field", "message"}]}, never an HTML page or a 500 trace."""

from __future__ import annotations

from flask import abort, jsonify, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from app.packs import NoPacksLoaded


def error_response(status: int, errors: list[dict[str, str | None]]):
    return jsonify(errors=errors), status


def field_errors(status: int, errors: list[tuple[str | None, str]]):
    return error_response(status, [{"field": field, "message": message} for field, message in errors])


def json_object_body() -> dict:
    """The request's JSON object, or a 400 saying so (as every API error, in JSON)."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(400, description=_("The request body must be a JSON object."))
    return body


MAX_IDEMPOTENCY_KEY_LENGTH = 255


def idempotency_key(*, required: bool) -> tuple[str | None, list[tuple[str, str]]]:
    """The request's Idempotency-Key header (None when absent and not `required`), and the
    field error for one missing or malformed."""
    key = request.headers.get("Idempotency-Key")
    if key is None and not required:
        return None, []
    key = (key or "").strip()
    if not key or len(key) > MAX_IDEMPOTENCY_KEY_LENGTH or not key.isprintable():
        return None, [("Idempotency-Key", _("Send an Idempotency-Key header of 1 to 255 characters."))]
    return key, []


# The app-wide handlers (app/errors.py) answer the API's paths with these.


def api_http_error(error: HTTPException):
    return field_errors(error.code or 500, [(None, error.description or error.name)])


def api_no_packs(_error: NoPacksLoaded):
    return field_errors(503, [(None, _("The service is not ready: no permit pack is loaded."))])


def api_unexpected(reference: str):
    return field_errors(
        500, [(None, _("Something went wrong on our side. Reference: %(reference)s", reference=reference))]
    )
