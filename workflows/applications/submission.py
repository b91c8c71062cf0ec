"""Submitting an application: check it is complete and consented, give it a Business Number, submit
every permit together, and make its one invoice.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from random import Random

from sqlalchemy import exists, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from licences.business_number import ProgramAccount, new_business_number
from workflows.application_form import BUSINESS_NUMBER_FIELD, check_form
from workflows.applications.consent import consent_requests, missing_consents
from workflows.applications.drafting import fields_of
from workflows.applications.errors import ApplicationError
from workflows.applications.store import applied_for, chain_of, permits_of, require_draft
from workflows.models import Application, AssignedBusinessNumber
from workflows.payments import make_invoice, mark_free_invoice_paid
from workflows.permit_workflow import submit_application
from workflows.text import FieldError, Text

NOTHING_TO_SUBMIT = Text(
    "Every permit of this application was withdrawn: there is nothing to submit.",
    "Tous les permis de cette demande ont été retirés : il n'y a rien à soumettre.",
)
FIRST_ACCOUNT = 1  # the reference number of a business's first account in each program: "RT 0001"


def submit(
    session: Session, application: Application, *, user_id: int, now: datetime, random: Random | None = None
) -> Application:
    """Submit a complete, consented draft; raises ApplicationError naming every gap, NotADraft if sent.

    The business keeps the BN it gave, or is assigned a new one here; the program accounts
    its permits open are recorded against it.
    """
    cases = require_draft(session, application)
    if not applied_for(cases):
        raise ApplicationError([FieldError("permits", NOTHING_TO_SUBMIT)])
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
    chain = chain_of(session, application)
    permits = permits_of(chain, applied_for(cases))
    application.program_accounts = sorted({p.program_account for p in permits if p.program_account})
    application.submitted_at = now
    submit_application(session, application.id, actor_id=user_id)
    for case, permit in zip(applied_for(cases), permits, strict=True):
        case.decision_due_at = now + timedelta(days=permit.processing_days)
    invoice = make_invoice(session, application, chain, cases, now)
    if invoice.total_cents == 0:
        mark_free_invoice_paid(session, invoice, now)
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
