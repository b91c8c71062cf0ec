"""Reading an application with what it was made under: its pinned packs, its cases, their history."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.applications.errors import NotADraft
from workflows.db import take_sqlite_write_lock
from workflows.models import Application, PermitCase, PermitEvent
from workflows.pack_store import load_pinned_pack_set
from workflows.packs.model import Chain, PackSet, Permit
from workflows.workflow_templates import DRAFT, WITHDRAWN


def lock_application(session: Session, application_id: int) -> Application | None:
    """Load an application to change it, locked until the transaction ends; call it first.

    Two requests changing one application (a form save and a submission, say) take turns,
    so neither acts on what the other is about to change.
    """
    take_sqlite_write_lock(session)
    statement = select(Application).where(Application.id == application_id).with_for_update()
    return session.scalars(statement.execution_options(populate_existing=True)).one_or_none()


def pinned_pack_set(session: Session, application: Application) -> PackSet:
    """The packs exactly as they were when the application was made (compiled once per process)."""
    return load_pinned_pack_set(session, application.pack_versions)


def chain_of(session: Session, application: Application) -> Chain:
    """The municipality's rules as they were when the application was made."""
    return pinned_pack_set(session, application).chains[application.jurisdiction_code]


def cases_of(session: Session, application_id: int) -> list[PermitCase]:
    return list(
        session.scalars(
            select(PermitCase).where(PermitCase.application_id == application_id).order_by(PermitCase.id)
        )
    )


def events_of(session: Session, cases: Sequence[PermitCase]) -> dict[int, list[PermitEvent]]:
    """Every case's history, oldest first, in one query."""
    found: dict[int, list[PermitEvent]] = {case.id: [] for case in cases}
    if cases:
        statement = select(PermitEvent).where(PermitEvent.permit_case_id.in_(found)).order_by(PermitEvent.id)
        for event in session.scalars(statement):
            found[event.permit_case_id].append(event)
    return found


def require_draft(session: Session, application: Application) -> list[PermitCase]:
    """The application's cases, if it is still a draft; NotADraft once submitted."""
    cases = cases_of(session, application.id)
    if application.submitted_at is not None or any(case.state not in (DRAFT, WITHDRAWN) for case in cases):
        raise NotADraft(application.id)
    return cases


def applied_for(cases: Sequence[PermitCase]) -> list[PermitCase]:
    """The cases still applied for: a permit withdrawn from a draft is neither asked about nor shared."""
    return [case for case in cases if case.state != WITHDRAWN]


def permits_of(chain: Chain, cases: Sequence[PermitCase]) -> list[Permit]:
    """The pack definition of each case's permit, in the cases' order."""
    by_code = {permit.code: permit for permit in chain.permits}
    return [by_code[case.permit_code] for case in cases]
