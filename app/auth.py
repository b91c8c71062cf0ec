"""Who is asking: the signed-in person (session cookie) or the API client (bearer token).

Sign-in, sign-up and tokens are rate-limited per client address, and failed sign-ins also per
account; payments per client address. The limits live in the configuration.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import wraps

from flask import Flask, current_app, flash, g, request, session
from flask_babel import gettext as _
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, UserMixin, login_user, logout_user

from accounts.models import User
from accounts.service import user_for_token
from accounts.sessions import user_for_session
from app.db import db_session
from app.known_devices import is_known_device, remember_this_device
from workflows.db import utcnow

limiter = Limiter(get_remote_address)
login_manager = LoginManager()


def signin_limit() -> str:
    """Attempts to sign in, sign up or get a token allowed per client address (flask-limiter's notation)."""
    return current_app.config["SIGNIN_RATE_LIMIT"]


def account_signin_limit() -> str:
    """Failed sign-ins allowed per account, from any number of addresses: a slow guesser spread
    over many addresses (credential stuffing) still meets a limit. Only failures count, so the
    owner signing in often is never stopped."""
    return current_app.config["SIGNIN_ACCOUNT_RATE_LIMIT"]


def _attempted_email() -> object:
    """The email a sign-in is for: the form's, or the JSON body's."""
    email = request.form.get("email")
    if email is None:
        body = request.get_json(silent=True)
        email = body.get("email") if isinstance(body, dict) else None
    return email


def signin_account_key() -> str:
    """The account a sign-in is for, as its limit's key."""
    email = _attempted_email()
    return "account:" + (email.strip().lower() if isinstance(email, str) else "")


def _known_device_for_the_account() -> bool:
    return is_known_device(_attempted_email())


def signin_failed() -> None:
    """Count this request against the account's failed sign-ins (see account_signin_limit)."""
    g.signin_failed = True


def _counts_as_failed(_response) -> bool:
    return bool(g.get("signin_failed"))


def limit_failed_signins(view):
    """The per-account limit on failed sign-ins, for the sign-in page and the token endpoint. A
    browser that signed in to the account before is exempt (app/known_devices.py), so a stranger
    cannot lock the owner out."""
    return limiter.shared_limit(
        account_signin_limit,
        scope="failed-signins",  # one count for the page and the API together
        key_func=signin_account_key,
        deduct_when=_counts_as_failed,
        exempt_when=_known_device_for_the_account,
        methods=["POST"],
    )(view)


def payment_limit() -> str:
    """Card payments allowed per client address, on the pages and the API alike."""
    return current_app.config["PAYMENT_RATE_LIMIT"]


class SignedIn(UserMixin):
    """Flask-Login's view of an account; the domain's User stays free of Flask."""

    def __init__(self, user: User):
        self.user = user

    def get_id(self) -> str:
        return str(self.user.id)


#: The signed cookie says when this browser was last seen, rewritten at most this often, so
#: idle time is counted without a database write per request.
SEEN_RESOLUTION = timedelta(minutes=1)


@login_manager.user_loader
def _load(user_id: str) -> SignedIn | None:
    """The signed-in account, if this browser's session is live: not ended on the server (sign-out
    anywhere ends every copy of the cookie), not idle too long, not past its maximum age."""
    sid, seen = session.get("sid"), session.get("seen")
    if not user_id.isdigit() or not isinstance(sid, str) or not isinstance(seen, int | float):
        return _ended()
    now = utcnow()
    idle = now - datetime.fromtimestamp(seen, UTC)
    if idle > current_app.config["SESSION_IDLE_TIMEOUT"]:
        return _ended()
    user = user_for_session(db_session(), int(user_id), sid, now, current_app.config["SESSION_MAX_AGE"])
    if user is None:
        return _ended()
    if idle >= SEEN_RESOLUTION:
        session["seen"] = now.timestamp()
    return SignedIn(user)


def _clear_but_the_language() -> None:
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language


def _ended() -> None:
    """Forget a session that has ended, and say so on the sign-in page it leads to."""
    _clear_but_the_language()
    flash(_("Your session has ended: sign in again to go on."), "session")
    return None


def sign_in(user: User, sid: str) -> None:
    """Start a fresh session (from `start_session`): nothing from before sign-in survives it (no
    session fixation)."""
    _clear_but_the_language()
    session["sid"], session["seen"] = sid, utcnow().timestamp()
    login_user(SignedIn(user))
    remember_this_device(user.email)


def signed_in_sid() -> str | None:
    """This browser's session id, to end it or keep it."""
    sid = session.get("sid")
    return sid if isinstance(sid, str) else None


def sign_out() -> None:
    """Forget the session in this browser, but for the language it speaks; the caller ends it on
    the server (`end_session`)."""
    logout_user()
    _clear_but_the_language()


def api_user_required(view):
    """Require `Authorization: Bearer <token>`; the account is then in g.api_user (the token in
    g.api_token)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        from app.api.errors import field_errors

        scheme, _space, token = request.headers.get("Authorization", "").partition(" ")
        user = user_for_token(db_session(), token.strip()) if scheme.lower() == "bearer" and token else None
        if user is None:
            response, status = field_errors(401, [(None, _("Sign in first: send a valid bearer token."))])
            response.headers["WWW-Authenticate"] = 'Bearer realm="guichet"'
            return response, status
        g.api_user, g.api_token = user, token.strip()
        return view(*args, **kwargs)

    return wrapper


def init_auth(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.session_protection = "strong"
    login_manager.login_view = "account.sign_in_page"
    login_manager.login_message = None
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    limiter.init_app(app)
