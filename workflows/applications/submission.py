"""Submitting an application: check it is complete and consented, give it a Business Number, submit
every permit together.
"""

from __future__ import annotations

from datetime import datetime
from random import Random

from sqlalchemy import exists, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from licences.business_number import ProgramAccount, new_business_number
from workflows.application_form import BUSINESS_NUMBER_FIELD, check_form
from workflows.applications.consent import consent_requests, missing_consents
from workflows.applications.drafting import fields_of
from workflows.applications.errors import ApplicationError
from workflows.applications.store import chain_of, permits_of, require_draft
from workflows.models import Application, AssignedBusinessNumber
from workflows.permit_workflow import submit_application

FIRST_ACCOUNT = 1  # the reference number of a business's first account in each program: "RT 0001"


def submit(
    session: Session, application: Application, *, user_id: int, now: datetime, random: Random | None = None
) -> Application:
    """Submit a complete, consented draft; raises ApplicationError naming every gap, NotADraft if sent.

    The business keeps the BN it gave, or is assigned a new one here; the program accounts
    its permits open are recorded against it.
    """
    cases = require_draft(session, application)
    _, errors = check_form(fields_of(session, application), application.form_values, complete=True)
    errors += missing_consents(consent_requests(session, application))
    if errors:
        raise ApplicationError(errors)
    if application.business_number is None:
        application.business_number = _assign_business_number(session, application, random)
        if any(f.definition.id == BUSINESS_NUMBER_FIELD for f in fields_of(session, application)):
            application.form_values = {
                **application.form_values,
                BUSINESS_NUMBER_FIELD: application.business_number,
            }
    permits = permits_of(chain_of(session, application), cases)
    application.program_accounts = sorted({p.program_account for p in permits if p.program_account})
    application.submitted_at = now
    submit_application(session, application.id, actor_id=user_id)
    return application


def program_accounts(application: Application) -> list[ProgramAccount]:
    """The accounts on the BN, e.g. 123456782 RT 0001; empty before a BN is known."""
    if application.business_number is None:
        return []
    return [
        ProgramAccount(application.business_number, p, FIRST_ACCOUNT) for p in application.program_accounts
    ]


def _assign_business_number(session: Session, application: Application, random: Random | None) -> str:
    """A new BN no business has: drawn at random, checked, and claimed by primary key.

    Two submissions drawing the same number at once cannot both claim it: the second
    insert fails inside its savepoint, and it draws again.
    """
    for _attempt in range(5):
        number = new_business_number(*([random] if random else []), taken=lambda n: _taken(session, n))
        try:
            with session.begin_nested():
                session.add(AssignedBusinessNumber(number=number, application_id=application.id))
        except IntegrityError:
            continue
        return number
    raise RuntimeError("could not claim a new Business Number after 5 attempts")


def _taken(session: Session, number: str) -> bool:
    return session.scalar(
        select(
            or_(
                exists().where(AssignedBusinessNumber.number == number),
                exists().where(Application.business_number == number),
            )
        )
    )
