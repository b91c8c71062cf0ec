"""English and French: the language is chosen by ?lang=, then the visitor's earlier choice,
then the browser's Accept-Language header. A signed-in person's choice is also kept on their
account: it is the language their emails are written in."""

from __future__ import annotations

from flask import Flask, request, session
from flask_babel import Babel, get_locale
from flask_login import current_user

from app.db import transaction
from workflows.text import LANGUAGES


def select_language() -> str:
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        if not request.path.startswith("/api/"):
            session["lang"] = asked
        return asked
    if not request.path.startswith("/api/") and session.get("lang") in LANGUAGES:
        return session["lang"]
    return request.accept_languages.best_match(LANGUAGES) or "en"


def remember_language() -> None:
    """Keep a signed-in person's switch of language on their account, before the page is made."""
    asked = request.args.get("lang")
    if asked not in LANGUAGES or request.path.startswith("/api/") or not current_user.is_authenticated:
        return
    user = current_user.user
    if user.language != asked:
        with transaction():
            user.language = asked


def current_language() -> str:
    return str(get_locale() or "en")


def init_i18n(app: Flask) -> None:
    Babel(app, locale_selector=select_language)
    app.before_request(remember_language)
    app.context_processor(lambda: {"lang": current_language()})
