"""The short satisfaction survey offered to an applicant once their licence is issued.

A score from 1 to 5 and an optional comment, once per application. Offered only once
there is a licence, so every answer is about a journey that reached its end; the unique
key on the application makes a second answer impossible even when two arrive at once.
The caller checks the applicant owns the application and commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from licences.models import Licence
from workflows.models import Application
from workflows.quality.models import MAX_COMMENT_LENGTH, MAX_SCORE, MIN_SCORE, SatisfactionResponse
from workflows.text import LANGUAGES, FieldError, Text

_CHOOSE_SCORE = Text(
    f"Choose a score from {MIN_SCORE} to {MAX_SCORE}.",
    f"Choisissez une note de {MIN_SCORE} à {MAX_SCORE}.",
)
_COMMENT_TOO_LONG = Text(
    f"Keep your comment to {MAX_COMMENT_LENGTH} characters or fewer.",
    f"Limitez votre commentaire à {MAX_COMMENT_LENGTH} caractères.",
)


class SurveyError(Exception):
    """Why an answer cannot be recorded."""


class SurveyNotOffered(SurveyError):
    """The application has no licence yet: there is nothing to rate."""


class AlreadyAnswered(SurveyError):
    """The application's survey was answered already; the first answer stands."""


class SurveyInputError(SurveyError):
    """The answer is incomplete or too long; `errors` says which field and why."""

    def __init__(self, errors: list[FieldError]):
        super().__init__("; ".join(f"{error.field}: {error.message.en}" for error in errors))
        self.errors = errors


@dataclass(frozen=True, slots=True)
class SurveyState:
    """What the dashboard shows: the survey to answer, the answer given, or nothing."""

    offered: bool  # a licence exists and nobody answered yet
    answer: SatisfactionResponse | None


def survey_state(session: Session, application: Application, *, licensed: bool | None = None) -> SurveyState:
    """The survey's state; `licensed` saves a look-up when the caller already knows whether a
    licence exists (the dashboard loads it anyway)."""
    answer = session.scalar(
        select(SatisfactionResponse).where(SatisfactionResponse.application_id == application.id)
    )
    if answer is not None:
        return SurveyState(offered=False, answer=answer)
    if licensed is None:
        licensed = _has_licence(session, application)
    return SurveyState(offered=licensed, answer=None)


def answer_survey(
    session: Session,
    application: Application,
    *,
    score: object,
    comment: str | None,
    language: str,
    now: datetime,
) -> SatisfactionResponse:
    """Record the applicant's answer; SurveyNotOffered, AlreadyAnswered or SurveyInputError otherwise.

    `score` is taken as given by a form (a string of one digit, or an int); a blank comment
    is no comment.
    """
    if not _has_licence(session, application):
        raise SurveyNotOffered(f"application {application.id} has no licence yet")
    errors = []
    value = _score(score)
    if value is None:
        errors.append(FieldError("score", _CHOOSE_SCORE))
    text = (comment or "").strip() or None
    if text is not None and len(text) > MAX_COMMENT_LENGTH:
        errors.append(FieldError("comment", _COMMENT_TOO_LONG))
    answered = session.scalar(select(exists().where(SatisfactionResponse.application_id == application.id)))
    if answered:
        raise AlreadyAnswered(f"application {application.id} answered the survey already")
    if errors:
        raise SurveyInputError(errors)
    response = SatisfactionResponse(
        application_id=application.id,
        score=value,
        comment=text,
        language=language if language in LANGUAGES else "en",
        created_at=now,
    )
    try:
        with session.begin_nested():  # a concurrent answer won: the unique key refuses this one
            session.add(response)
    except IntegrityError as error:
        raise AlreadyAnswered(f"application {application.id} answered the survey already") from error
    return response


def _has_licence(session: Session, application: Application) -> bool:
    return bool(session.scalar(select(exists().where(Licence.application_id == application.id))))


def _score(given: object) -> int | None:
    if isinstance(given, bool):
        return None
    if isinstance(given, str):
        given = given.strip()
        if not given.isdigit() or len(given) > 1:
            return None
        given = int(given)
    if isinstance(given, int) and MIN_SCORE <= given <= MAX_SCORE:
        return given
    return None
