"""One line per application, for the list of applications and the account page."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.models import User
from app.apply.display import money
from app.apply.labels import application_state_label
from app.i18n import current_language
from workflows.applications import view_application
from workflows.models import Application


@dataclass(frozen=True, slots=True)
class Summary:
    """What a list shows of an application, already in the visitor's language."""

    id: int
    municipality: str
    status: str
    business_number: str | None
    total_fee: str
    submitted: bool


def summaries(session: Session, user: User) -> list[Summary]:
    """The account's applications, newest first."""
    language = current_language()
    statement = (
        select(Application)
        .where(Application.owner_id == user.id)
        .order_by(Application.created_at.desc(), Application.id.desc())
    )
    lines = []
    for application in session.scalars(statement):
        view = view_application(session, application)
        lines.append(
            Summary(
                id=application.id,
                municipality=view.chain.municipality.name.in_(language),
                status=application_state_label(view.status.state),
                business_number=application.business_number,
                total_fee=money(view.total_fee_cents),
                submitted=application.submitted_at is not None,
            )
        )
    return lines
