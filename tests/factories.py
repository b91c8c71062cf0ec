"""Data factories for tests: accounts, and form values that pass every field's checks."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from accounts.models import User
from tests.answer_sets import TORONTO, TORONTO_FULL
from workflows.application_form import FormField
from workflows.applications import (
    consent_requests,
    create_application,
    fields_of,
    give_consent,
    save_form,
    submit,
)
from workflows.models import Application
from workflows.pack_store import load_active_pack_set
from workflows.packs.model import FieldDefinition
from workflows.payments import PaymentGateway, SimulatedGateway, pay
from workflows.tasks import approve, claim
from workflows.triage import TriageEngine, TriageResult

NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)  # the business time factories give the services

VALID_BY_TYPE: dict[str, Any] = {
    "text": "Café Ça Va Inc.",
    "long_text": "Full-service restaurant with 60 seats.",
    "email": "owner@example.ca",
    "phone": "416-555-0123",
    "postal_code": "M5V 2T6",
    "date": "2027-03-01",
    "money": 45_000_000,
    "yes_no": True,
}


def user(session: Session, role: str = "applicant", agency: str | None = None) -> User:
    """An account without the slow argon2 hash: tests that sign in use accounts.service instead."""
    account = User(
        email=f"{uuid.uuid4().hex}@example.ca",
        name=role,
        password_hash="x",
        role=role,
        agency_code=agency,
        jurisdiction_code="CA" if role == "admin" else None,  # administrators reach a jurisdiction
    )
    session.add(account)
    session.flush()
    return account


def valid_value(definition: FieldDefinition) -> Any:
    if definition.type == "integer":
        return max(definition.minimum or 0, min(definition.maximum or 10, 10))
    if definition.type == "choice":
        return definition.choices[0].value
    if definition.type == "business_number":
        return "123456782"
    value = VALID_BY_TYPE[definition.type]
    if isinstance(value, str) and definition.max_length:
        return value[: definition.max_length]
    return value


def complete_form(fields: Iterable[FormField], *, with_business_number: bool = False) -> dict[str, Any]:
    """A value for every required field (and the BN only if asked), each valid for its type."""
    return {
        f.definition.id: valid_value(f.definition)
        for f in fields
        if f.required or (with_business_number and f.definition.type == "business_number")
    }


def draft_application(
    session: Session,
    owner: User,
    answers: dict[str, Any] | None = None,
    *,
    consented: bool = False,
    jurisdiction: str = TORONTO,
) -> tuple[Application, TriageResult]:
    """An application (Toronto's unless told) with its form complete (and, with `consented`, every
    agency's consent)."""
    application, result = create_application(
        session,
        TriageEngine(load_active_pack_set(session)),
        owner_id=owner.id,
        jurisdiction=jurisdiction,
        answers=TORONTO_FULL if answers is None else answers,
    )
    save_form(session, application, complete_form(fields_of(session, application)))
    if consented:
        agencies = [request.agency_code for request in consent_requests(session, application)]
        give_consent(session, application, agencies, user_id=owner.id, now=NOW)
    return application, result


def submitted_application(
    session: Session, owner: User, answers: dict[str, Any] | None = None, *, jurisdiction: str = TORONTO
) -> tuple[Application, TriageResult]:
    """A complete, consented application, submitted: its invoice is made and awaits payment."""
    application, result = draft_application(
        session, owner, answers, consented=True, jurisdiction=jurisdiction
    )
    submit(session, application, user_id=owner.id, now=NOW)
    return application, result


def paid_application(
    session: Session,
    owner: User,
    answers: dict[str, Any] | None = None,
    *,
    gateway: PaymentGateway | None = None,
    jurisdiction: str = TORONTO,
) -> tuple[Application, TriageResult]:
    """A submitted application whose fee was paid by card: its permits are with the agencies."""
    application, result = submitted_application(session, owner, answers, jurisdiction=jurisdiction)
    outcome = pay(
        session,
        application,
        idempotency_key=f"paid-{application.id}",
        card_token="tok_approved",
        gateway=gateway or SimulatedGateway(),
        now=NOW,
    )
    assert outcome.payment.status == "succeeded"
    return application, result


def approve_every_step(
    session: Session, application: Application, *, now: datetime = NOW, conditions: dict | None = None
) -> None:
    """Clerks of each agency claim and approve every step waiting for them, until nothing waits.

    `conditions` (permit code -> list of texts) are attached to a permit's last approval.
    """
    from workflows.applications.store import cases_of
    from workflows.permit_workflow import template_for

    clerks: dict[str, User] = {}
    while waiting := [c for c in cases_of(session, application.id) if c.waiting_on == "clerk"]:
        for case in waiting:
            clerk = clerks.get(case.agency_code) or user(session, "clerk", case.agency_code)
            clerks[case.agency_code] = clerk
            claim(session, case.id, clerk, now=now)
            last_step = template_for(case.workflow).clerk_steps[-1] == case.state
            attached = (conditions or {}).get(case.permit_code) if last_step else None
            approve(session, case.id, clerk, attached, now=now)


def licensed_application(
    session: Session,
    owner: User,
    answers: dict[str, Any] | None = None,
    *,
    now: datetime = NOW,
    conditions: dict | None = None,
    jurisdiction: str = TORONTO,
) -> tuple[Application, TriageResult]:
    """A paid application whose every permit was approved: its consolidated licence is issued."""
    application, result = paid_application(session, owner, answers, jurisdiction=jurisdiction)
    approve_every_step(session, application, now=now, conditions=conditions)
    return application, result
