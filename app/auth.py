"""Who is asking: the signed-in person (session cookie) or the API client (bearer token).

Sign-in, sign-up and tokens are rate-limited per client address, and failed sign-ins also per
account; payments per client address. The limits live in the configuration.
"""

from __future__ import annotations

import secrets
from functools import wraps

from flask import Flask, current_app, g, request, session
from flask_babel import gettext as _
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, UserMixin, login_user, logout_user

from accounts.models import User
from accounts.service import user_for_token
from app.db import db_session

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


def signin_account_key() -> str:
    """The account a sign-in is for (the form's or the JSON body's email), as its limit's key."""
    email = request.form.get("email")
    if email is None:
        body = request.get_json(silent=True)
        email = body.get("email") if isinstance(body, dict) else None
    return "account:" + (email.strip().lower() if isinstance(email, str) else "")


def signin_failed() -> None:
    """Count this request against the account's failed sign-ins (see account_signin_limit)."""
    g.signin_failed = True


def _counts_as_failed(_response) -> bool:
    return bool(g.get("signin_failed"))


def limit_failed_signins(view):
    """The per-account limit on failed sign-ins, for the sign-in page and the token endpoint."""
    return limiter.shared_limit(
        account_signin_limit,
        scope="failed-signins",  # one count for the page and the API together
        key_func=signin_account_key,
        deduct_when=_counts_as_failed,
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


@login_manager.user_loader
def _load(user_id: str) -> SignedIn | None:
    user = db_session().get(User, int(user_id)) if user_id.isdigit() else None
    return SignedIn(user) if user else None


def sign_in(user: User) -> None:
    """Start a fresh session: nothing from before sign-in survives it (no session fixation)."""
    language = session.get("lang")
    session.clear()
    session["sid"] = secrets.token_urlsafe(16)
    if language:
        session["lang"] = language
    login_user(SignedIn(user))


def sign_out() -> None:
    logout_user()
    session.clear()


def api_user_required(view):
    """Require `Authorization: Bearer <token>`; the account is then in g.api_user."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        from app.api.errors import field_errors

        scheme, _space, token = request.headers.get("Authorization", "").partition(" ")
        user = user_for_token(db_session(), token.strip()) if scheme.lower() == "bearer" and token else None
        if user is None:
            response, status = field_errors(401, [(None, _("Sign in first: send a valid bearer token."))])
            response.headers["WWW-Authenticate"] = 'Bearer realm="guichet"'
            return response, status
        g.api_user = user
        return view(*args, **kwargs)

    return wrapper


def init_auth(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.session_protection = "strong"
    login_manager.login_view = "account.sign_in_page"
    login_manager.login_message = None
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    limiter.init_app(app)
