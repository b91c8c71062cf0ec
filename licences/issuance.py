"""Issuing the consolidated licence: version 1 when every permit is granted, a new version whenever
what it says changes (a permit renewed, or added and granted), the one before kept as superseded.

`issue_licence_if_due` runs inside the transaction that granted the last permit (a clerk's
approval, or a payment that granted registrations by themselves), on an application that
transaction locked, and never commits. It issues only when the application is wholly
granted and only when the licence would say something new, so calling it twice issues once.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from licences.content import licence_content, with_identity, without_identity
from licences.models import Licence
from licences.numbering import code_of, licence_number, new_licence_code
from licences.signing import canonical, key_ring
from workflows.applications.store import cases_of, chain_of, permits_of
from workflows.applications.submission import program_accounts
from workflows.audit import record
from workflows.models import Application, PermitCase
from workflows.notifications import notify
from workflows.packs.model import Chain
from workflows.permit_workflow import application_status, restore_workflows
from workflows.workflow_templates import APPROVED


def add_months(moment: datetime, months: int) -> datetime:
    """The same day `months` later (the month's last day when it has no such day: Jan 31 -> Feb 28)."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))


def latest_licence(session: Session, application_id: int) -> Licence | None:
    """The newest version of the application's licence, whatever its state; None before issue."""
    return session.scalar(
        select(Licence)
        .where(Licence.application_id == application_id)
        .order_by(Licence.version.desc())
        .limit(1)
    )


def issue_licence_if_due(
    session: Session,
    application: Application,
    *,
    now: datetime,
    cases: Sequence[PermitCase] | None = None,
    chain: Chain | None = None,
) -> Licence | None:
    """Issue a new version if the application is wholly granted and its licence would change.

    Permits granted since the last version get their issue time (now) and, when their pack
    gives a validity, their expiry. Returns the version in force afterwards (new or not), or
    None while a permit is still pending or one was refused. A caller that holds them already
    (a clerk's decision) passes the application's `cases`, all of them, as this transaction
    locked and changed them, and its pinned `chain`, so neither is read again.
    """
    cases = list(cases) if cases is not None else cases_of(session, application.id)
    restore_workflows(session, {case.workflow for case in cases})
    if application_status(cases).state != "licensed":
        return None
    chain = chain if chain is not None else chain_of(session, application)
    _date_new_grants(session, chain, cases, now)
    content = licence_content(
        application,
        chain,
        cases,
        [str(account) for account in program_accounts(application)],
    )
    latest = latest_licence(session, application.id)
    if latest is not None and canonical(without_identity(latest.content)) == canonical(content):
        return latest
    version = latest.version + 1 if latest else 1
    number = licence_number(code_of(latest.number) if latest else _unused_code(session), version)
    signed = with_identity(content, number=number, version=version, issued_at=now)
    signature = key_ring().sign(signed)
    if latest is not None and latest.superseded_at is None and latest.revoked_at is None:
        latest.superseded_at = now
    licence = Licence(
        application_id=application.id,
        number=number,
        version=version,
        issued_at=now,
        content=signed,
        signature=signature.value,
        key_id=signature.key_id,
    )
    session.add(licence)
    session.flush()
    record(
        session,
        "licence.issued",
        actor_id=None,
        subject=f"licence:{licence.id}",
        details={
            "application_id": application.id,
            "number": number,
            "version": version,
            "key_id": signature.key_id,
        },
        at=now,
    )
    notify(session, "licence_issued", application, licence=number, now=now)
    return licence


def _date_new_grants(session: Session, chain: Chain, cases: list[PermitCase], now: datetime) -> None:
    new = [case for case in cases if case.state == APPROVED and case.issued_at is None]
    if not new:
        return
    for case, permit in zip(new, permits_of(chain, new), strict=True):
        case.issued_at = now
        if permit.validity_months:
            case.expires_at = add_months(now, permit.validity_months)
    session.flush()


def _unused_code(session: Session) -> str:
    """A licence code no application has (a clash among 32^10 codes is unlikely, but cheap to rule out)."""
    while True:
        code = new_licence_code()
        # Every code's first number is version 1, so one look-up on the unique index finds it.
        taken = session.scalar(select(exists().where(Licence.number == licence_number(code, 1))))
        if not taken:
            return code


def revoke_licence(
    session: Session, licence: Licence, *, reason: str, actor_id: int | None, now: datetime
) -> None:
    """Withdraw a licence version from force (a permit cancelled by its agency, a licence issued in
    error): verification then says revoked. Its record and signature stay as they were."""
    if licence.revoked_at is not None:
        raise ValueError(f"licence {licence.number} is already revoked")
    licence.revoked_at = now
    licence.revoked_reason = reason
    session.flush()
    record(
        session,
        "licence.revoked",
        actor_id=actor_id,
        subject=f"licence:{licence.id}",
        details={"number": licence.number, "reason": reason},
        at=now,
    )
