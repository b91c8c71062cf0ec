"""Refusals in the security log (logger `guichet.security`), for whoever watches for attacks.

Logged, whichever part of the app answered: 401 (no valid bearer token), 403 (a role or reach
that does not allow it), 429 (too many attempts), and a form refused for its CSRF token. Not a
404: another person's object answers 404 on purpose, like one that does not exist, and those are
indistinguishable from typing errors. Failed sign-ins are in the audit log already
(workflows/audit/signins.py).
"""

from __future__ import annotations

import logging
from http import HTTPStatus

from flask import Flask, Response, g, request
from flask_login import current_user

security_log = logging.getLogger("guichet.security")
REFUSALS = frozenset({401, 403, 429})


def refused_for_csrf() -> None:
    """Mark this request's 400 as a CSRF refusal, which is worth logging, unlike other 400s."""
    g.csrf_refused = True


def _log_refusal(response: Response) -> Response:
    """One line per refusal: what was asked, by whom (account id, client address), and why; never
    the body, the query string or a credential."""
    if response.status_code in REFUSALS or g.get("csrf_refused"):
        security_log.warning(
            "refused %s %s %s (%s) account=%s address=%s",
            response.status_code,
            request.method,
            _printable(request.path),
            "csrf" if g.get("csrf_refused") else HTTPStatus(response.status_code).phrase.lower(),
            _account_id(),
            request.remote_addr,
        )
    return response


def _printable(text: str) -> str:
    """`text` with its control characters escaped, so that a path such as `/x%0Arefused ...`
    cannot forge a second line in the log."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def _account_id() -> int | None:
    """Who was asking: on the API, the bearer token's account (a cookie signs nobody in there);
    on the pages, the signed-in person's."""
    if request.path.startswith("/api/"):
        return g.api_user.id if g.get("api_user") is not None else None
    return current_user.user.id if current_user.is_authenticated else None


def init_security_log(app: Flask) -> None:
    app.after_request(_log_refusal)
