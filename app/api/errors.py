"""Every API error is JSON: {"errors": [{"field", "message"}]}, never an HTML page or a 500 trace."""

from __future__ import annotations

import logging
import uuid

from flask import abort, jsonify, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from app.api import api
from app.packs import NoPacksLoaded

log = logging.getLogger(__name__)


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


@api.app_errorhandler(HTTPException)
def http_error(error: HTTPException):
    if not request.path.startswith("/api/"):
        return error
    return field_errors(error.code or 500, [(None, error.description or error.name)])


@api.app_errorhandler(NoPacksLoaded)
def no_packs(error: NoPacksLoaded):
    if not request.path.startswith("/api/"):
        return _("The service is not ready: no permit pack is loaded."), 503
    return field_errors(503, [(None, _("The service is not ready: no permit pack is loaded."))])


@api.app_errorhandler(Exception)
def unexpected(error: Exception):
    reference = uuid.uuid4().hex[:12]
    log.exception("unexpected error, reference %s", reference)
    message = _("Something went wrong on our side. Reference: %(reference)s", reference=reference)
    if not request.path.startswith("/api/"):
        return message, 500
    return field_errors(500, [(None, message)])
