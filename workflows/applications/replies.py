"""The applicant's answer to a clerk's request for more information.

The answer is written to the permit's history (the clerk reads it there) and brings the
task back to the queue of the clerk who asked, at the same step.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.applications.errors import ApplicationError
from workflows.models import Application, PermitCase
from workflows.permit_workflow import fire, with_row_lock
from workflows.text import FieldError, Text

MAX_ANSWER_LENGTH = 4000


class NoSuchPermit(LookupError):
    """The application has no permit with this code."""


def answer_information_request(
    session: Session, application: Application, permit_code: str, answer: object, *, user_id: int
) -> PermitCase:
    """Send the answer; TransitionNotAllowed if nothing was asked, ApplicationError if it is empty.

    Call with the application locked (`lock_application`), as every change of it.
    """
    if not isinstance(answer, str) or not answer.strip():
        raise ApplicationError([FieldError("message", Text("Write your answer.", "Écrivez votre réponse."))])
    if len(answer) > MAX_ANSWER_LENGTH:
        raise ApplicationError(
            [
                FieldError(
                    "message",
                    Text(
                        f"Use at most {MAX_ANSWER_LENGTH} characters.",
                        f"Utilisez au plus {MAX_ANSWER_LENGTH} caractères.",
                    ),
                )
            ]
        )
    case_id = session.scalar(
        select(PermitCase.id).where(
            PermitCase.application_id == application.id, PermitCase.permit_code == permit_code
        )
    )
    case = with_row_lock(session, case_id) if case_id is not None else None
    if case is None:
        raise NoSuchPermit(permit_code)
    fire(session, case, "provide_info", actor_id=user_id, reason=answer.strip())
    return case
