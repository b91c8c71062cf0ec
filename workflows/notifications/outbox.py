"""Writing an email to the outbox, in the same transaction as the change it tells of.

Nothing is sent here. The row commits or rolls back with the change, so an applicant is
never told of a decision that did not happen, and a decision is never made without its
email waiting to go out. The sender (`workflows.notifications.sender`) sends it after commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy.orm import Session

from accounts.models import User
from workflows.db import utcnow
from workflows.models import Application
from workflows.notifications.messages import render
from workflows.notifications.models import OutboxMessage
from workflows.text import LANGUAGES, Text


def notify(
    session: Session,
    kind: str,
    application: Application,
    *,
    permit_name: Text | None = None,
    message: str | None = None,
    conditions: Sequence[str] = (),
    licence: str | None = None,
    expiring: Sequence[tuple[Text, date]] = (),
    now: datetime | None = None,
) -> OutboxMessage:
    """Add one email to the application's owner to the outbox; the caller commits.

    Kinds: "permit_approved" (permit_name, conditions), "permit_rejected" (permit_name and
    message, the clerk's reason), "info_requested" (permit_name and message, the clerk's
    question), "licence_issued" (licence: the new version's number) and "renewal_reminder"
    (expiring: each permit's name and expiry date). The email is written
    now, in the owner's language, so what is sent is what was true when the change was made.
    ValueError when the arguments do not fit the kind.
    """
    owner = session.get(User, application.owner_id)
    if owner is None:
        raise ValueError(f"application {application.id} has no owner to write to")
    language = owner.language if owner.language in LANGUAGES else "en"
    subject, body = render(
        kind,
        language,
        application_id=application.id,
        permit_name=permit_name,
        message=message,
        conditions=conditions,
        licence=licence,
        expiring=expiring,
    )
    moment = now or utcnow()
    row = OutboxMessage(
        kind=kind,
        application_id=application.id,
        to_address=owner.email,
        language=language,
        subject=subject,
        body=body,
        created_at=moment,
        attempts=0,
        next_attempt_at=moment,
    )
    session.add(row)
    session.flush()
    return row
