"""Browsers an account has signed in from, so that a stranger cannot lock its owner out.

The per-account limit on failed sign-ins (app/auth.py) stops a guesser who spreads attempts over
many addresses, but it would also stop the owner: anyone who knows an email address could
lock its account for an hour with a few wrong passwords. A browser that signed in to an
account before carries a signed cookie naming it (as a keyed digest, not the address), and
that account's limit does not apply to it; the per-address limit still does.
"""

from __future__ import annotations

import hashlib
import hmac

from flask import Response, after_this_request, current_app, request
from itsdangerous import BadSignature, URLSafeSerializer

COOKIE = "guichet_devices"
#: How many accounts one browser remembers (a family computer), newest first.
MAX_ACCOUNTS = 5
MAX_AGE_SECONDS = 180 * 24 * 3600


def remember_this_device(email: str) -> None:
    """After a sign-in: this browser is now known to `email`'s account (set on the response)."""
    digest = _account_digest(email)
    known = [digest, *(d for d in _known_accounts() if d != digest)][:MAX_ACCOUNTS]

    @after_this_request
    def set_cookie(response: Response) -> Response:
        response.set_cookie(
            _cookie_name(),
            _serializer().dumps(known),
            max_age=MAX_AGE_SECONDS,
            secure=current_app.config["SESSION_COOKIE_SECURE"],
            httponly=True,
            samesite="Lax",
        )
        return response


def is_known_device(email: object) -> bool:
    """Whether this browser signed in to `email`'s account before."""
    return isinstance(email, str) and bool(email.strip()) and _account_digest(email) in _known_accounts()


def _known_accounts() -> list[str]:
    try:
        known = _serializer().loads(request.cookies.get(_cookie_name(), ""))
    except BadSignature:
        return []
    return [d for d in known if isinstance(d, str)] if isinstance(known, list) else []


def _account_digest(email: str) -> str:
    """A keyed digest of the address: the cookie is signed, not encrypted, and a plain hash of an
    email address can be guessed."""
    key = str(current_app.secret_key).encode()
    return hmac.new(key, email.strip().lower().encode(), hashlib.sha256).hexdigest()[:32]


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt="guichet.known-devices")


def _cookie_name() -> str:
    """`__Host-` when served over HTTPS, so no other site or path can set it."""
    return f"__Host-{COOKIE}" if current_app.config["SESSION_COOKIE_SECURE"] else COOKIE
