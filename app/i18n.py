"""English and French: the language is chosen by ?lang=, then the visitor's earlier choice,
then the browser's Accept-Language header."""

from __future__ import annotations

from flask import Flask, request, session
from flask_babel import Babel, get_locale

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


def current_language() -> str:
    return str(get_locale() or "en")


def init_i18n(app: Flask) -> None:
    Babel(app, locale_selector=select_language)
    app.context_processor(lambda: {"lang": current_language()})
