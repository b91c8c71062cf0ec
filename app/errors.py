"""What a visitor sees when a request fails: a page of the site, in their language.

One handler per kind of failure for the whole app: the API's paths get the API's JSON
errors, every other path a page with the site's header, the language toggle and a plain
explanation, instead of the server's bare English. An unexpected failure is logged with a
reference the visitor can quote, and nothing of the error itself is shown.
"""

from __future__ import annotations

import logging
import uuid

from flask import Flask, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from app.api.errors import api_http_error, api_no_packs, api_unexpected
from app.packs import NoPacksLoaded
from app.security_log import refused_for_csrf

log = logging.getLogger(__name__)

# What each failure means for the visitor; any other status gets the general explanation.
EXPLANATIONS = {
    400: (
        _l("The request could not be understood"),
        _l("If you were sending a form, it may have expired: go back, reload the page and try again."),
    ),
    403: (_l("You may not see this page"), _l("Your account does not give access to this page.")),
    404: (
        _l("Page not found"),
        _l("There is no page at this address, or it is not yours to see. Check the address, or start again."),
    ),
    405: (_l("This action is not available here"), _l("Go back to the previous page and use its buttons.")),
    413: (_l("What you sent is too large"), _l("Go back and send a smaller file or a shorter text.")),
    429: (_l("Too many attempts"), _l("Wait a minute, then try again.")),
    503: (_l("The service is not ready"), _l("No permit pack is loaded yet. Try again in a few minutes.")),
}
GENERAL = (_l("Something went wrong"), _l("The request could not be completed. Go back and try again."))


def _is_api() -> bool:
    return request.path.startswith("/api/")


def _page(status: int, *, reference: str | None = None):
    title, explanation = EXPLANATIONS.get(status, GENERAL)
    page = render_template(
        "error.html", status=status, title=title, explanation=explanation, reference=reference
    )
    return page, status


def http_error(error: HTTPException):
    if isinstance(error, CSRFError):
        refused_for_csrf()
    if _is_api():
        return api_http_error(error)
    return _page(error.code or 500)


def no_packs(error: NoPacksLoaded):
    if _is_api():
        return api_no_packs(error)
    return _page(503)


def unexpected(error: Exception):
    reference = uuid.uuid4().hex[:12]
    log.exception("unexpected error, reference %s", reference)
    if _is_api():
        return api_unexpected(reference)
    return _page(500, reference=reference)


def init_errors(app: Flask) -> None:
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(NoPacksLoaded, no_packs)
    app.register_error_handler(Exception, unexpected)
