"""English and French: the language is chosen by ?lang=, then the visitor's earlier choice,
then the browser's Accept-Language header. A signed-in person's choice is also kept on their
account: it is the language their emails are written in."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Flask, g, request, session
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


def switch_language_url(language: str) -> str:
    """This page in another language: the same path and query (a queue's filters and page, a
    sign-in's `next`), with only `lang` changed, so switching never loses the visitor's place.

    A page made by a POST can say how to ask for it again with `g.language_switch_args`.
    """
    kept = [(key, value) for key, value in request.args.items(multi=True) if key != "lang"]
    extra = getattr(g, "language_switch_args", None) or {}
    kept = [(key, value) for key, value in kept if key not in extra] + list(extra.items())
    return f"{request.path}?{urlencode([*kept, ('lang', language)])}"


def init_i18n(app: Flask) -> None:
    Babel(app, locale_selector=select_language)
    app.before_request(remember_language)
    app.context_processor(lambda: {"lang": current_language(), "switch_language_url": switch_language_url})
