"""Carrying triage answers from one page to the next without trusting the browser with them.

Answers travel in a form as a token signed with the app's secret key: a visitor can post
it back, never alter it. An anonymous visitor who asks to apply keeps the answers in the
session, across sign-in or sign-up, until the application is made.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from flask import current_app, session
from itsdangerous import BadSignature, URLSafeTimedSerializer

PENDING = "pending_application"
FOR_NEW_APPLICATION = "new"  # the purpose of the token on the triage results page
TOKEN_MAX_AGE = 24 * 3600  # a results or preview page left open for a day must be done again


@dataclass(frozen=True, slots=True)
class Answers:
    """Triage answers for one municipality, as the engine takes them (booleans, integers, cents, codes)."""

    jurisdiction: str
    answers: dict[str, Any]


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=f"guichet.apply.{purpose}")


def sign_answers(jurisdiction: str, answers: Mapping[str, Any], purpose: str) -> str:
    """A token a page can carry; `purpose` (e.g. the application it previews) must match to read it."""
    return _serializer(purpose).dumps({"jurisdiction": jurisdiction, "answers": dict(answers)})


def answers_from_token(token: str | None, purpose: str) -> Answers | None:
    """The answers a token carries, or None if it is missing, altered, expired or for another purpose."""
    if not token:
        return None
    try:
        data = _serializer(purpose).loads(token, max_age=TOKEN_MAX_AGE)
    except BadSignature:  # SignatureExpired is a BadSignature too
        return None
    if not isinstance(data, dict) or not isinstance(data.get("answers"), dict):
        return None
    return Answers(str(data.get("jurisdiction")), data["answers"])


def keep_pending(answers: Answers) -> None:
    session[PENDING] = {"jurisdiction": answers.jurisdiction, "answers": answers.answers}


def pending() -> Answers | None:
    data = session.get(PENDING)
    if not isinstance(data, dict) or not isinstance(data.get("answers"), dict):
        return None
    return Answers(str(data.get("jurisdiction")), data["answers"])


def forget_pending() -> None:
    session.pop(PENDING, None)


@contextmanager
def pending_kept() -> Iterator[None]:
    """Keep the answers waiting for an application across `sign_in`, which clears the session.

    Only these answers survive: nothing that could identify or authorise the visitor does.
    """
    waiting = session.get(PENDING)
    yield
    if waiting is not None:
        session[PENDING] = waiting


def has_pending() -> bool:
    return pending() is not None
