"""Completing a paid renewal: the changes are applied, the permits' expiry moves on, a new licence
version is issued.

Called from `workflows.payments.settle` when a renewal's bill is paid (by card, or by the
processor's webhook), or at once for a renewal with nothing to pay, inside that
transaction; never commits.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from licences.issuance import add_months, issue_licence_if_due
from workflows.applications.store import cases_of, chain_of
from workflows.audit import record
from workflows.models import Application
from workflows.renewals.models import Renewal


def complete_renewal(session: Session, renewal_id: int, *, now: datetime) -> Renewal:
    """Apply the renewal once: a completed one is left as it is.

    Each permit's new validity runs from its old expiry, so renewing early loses nothing; a
    permit that already lapsed runs from now, so it is never renewed into the past.
    Changed fields update the one form, and the triage answers for fields that are also
    questions, so the next renewal (and its fees) starts from them.
    """
    renewal = session.get(Renewal, renewal_id)
    if renewal is None:
        raise ValueError(f"no renewal {renewal_id}")
    if renewal.completed_at is not None:
        return renewal
    application = session.get(Application, renewal.application_id)
    chain = chain_of(session, application)
    after = {field_id: change["after"] for field_id, change in renewal.changes.items()}
    application.form_values = {**application.form_values, **after}
    answers = {field_id: value for field_id, value in after.items() if field_id in chain.questions_by_id}
    if answers:
        application.answers = {**application.answers, **answers}

    permits = {permit.code: permit for permit in chain.permits}
    cases = {case.permit_code: case for case in cases_of(session, application.id)}
    expiries = {}
    for code in renewal.permit_codes:
        case = cases[code]
        start = case.expires_at if case.expires_at > now else now
        case.expires_at = add_months(start, permits[code].validity_months)
        expiries[code] = case.expires_at.isoformat()
    renewal.completed_at = now
    session.flush()
    record(
        session,
        "renewal.completed",
        actor_id=None,
        subject=f"renewal:{renewal.id}",
        details={
            "application_id": application.id,
            "expires_at": expiries,
            "changed_fields": sorted(renewal.changes),
        },
        at=now,
    )
    issue_licence_if_due(session, application, now=now)
    return renewal
