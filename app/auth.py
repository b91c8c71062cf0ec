"""Who is asking: the signed-in person (session cookie) or the API client (bearer token).

Sign-in is rate-limited per client address; the limits live in the configuration.
"""

from __future__ import annotations

import secrets
from functools import wraps

from flask import Flask, g, request, session
from flask_babel import gettext as _
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, UserMixin, login_user, logout_user

from accounts.models import User
from accounts.service import user_for_token
from app.db import db_session

limiter = Limiter(get_remote_address)
login_manager = LoginManager()


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
