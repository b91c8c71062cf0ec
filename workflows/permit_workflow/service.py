"""Changing a permit's state: the only way to, inside the caller's transaction.

Each function here works in the session's current transaction and flushes, but never
commits: the caller commits once, so a transition, its history and every permit it
sets moving are stored together or not at all. Before changing anything, the
application's permit cases are locked until the transaction ends (SELECT ... FOR UPDATE
on PostgreSQL; on SQLite the database write lock, taken by the first statement), so
concurrent transitions on one application take turns and none is lost. A case read
before another transaction changed it is refused with ConcurrentChange (its version
column), never overwritten.

A case following a pack's workflow stores its key; the definition is written to
`workflow_definitions` when the case is opened, and read back whenever cases are locked
in a process that does not know it (after a restart), so a case always follows the exact
workflow it was opened with.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, Row, Select, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from accounts.models import User
from workflows.db import take_sqlite_write_lock, utcnow
from workflows.models import Application, PermitCase, PermitEvent, WorkflowDefinition
from workflows.packs.model import Chain, Permit
from workflows.permit_workflow.errors import ConcurrentChange, TransitionNotAllowed, WorkflowError
from workflows.permit_workflow.machines import is_known, machine, template_for
from workflows.workflow_templates import (
    FINAL_STATES,
    GUARDS,
    INFO_REQUESTED_SUFFIX,
    Actor,
    GuardContext,
    Transition,
    WorkflowTemplate,
    is_pack_key,
    register_template,
    template_definition,
    template_from_definition,
    template_key,
)

if TYPE_CHECKING:
    from workflows.triage import TriageResult

Prerequisites = Chain | Mapping[str, Iterable[str]]  # a municipality's chain, or permit code -> codes
#: Events after which the clerk who claimed the task keeps it: asking the applicant, and their answer.
KEEP_CLAIM = frozenset({"request_info", "provide_info"})


def prerequisite_map(prerequisites: Prerequisites, permits: Sequence[Permit]) -> dict[str, tuple[str, ...]]:
    """Each permit's prerequisites, keeping only the permits of this application."""
    codes = {permit.code for permit in permits}
    if isinstance(prerequisites, Chain):
        found = {permit.code: prerequisites.prerequisites(permit) for permit in permits}
    else:
        found = {permit.code: tuple(prerequisites.get(permit.code, ())) for permit in permits}
    return {code: tuple(d for d in dependencies if d in codes) for code, dependencies in found.items()}


def open_cases(
    session: Session,
    application_id: int,
    permits: Sequence[Permit],
    *,
    prerequisites: Prerequisites,
    fees_cents: Mapping[str, int],
) -> list[PermitCase]:
    """One draft case per permit, with its fee and its workflow.

    Open all of an application's permits at once: each case keeps the prerequisites that are
    among them, copied from the chain (or mapping) now, as the application pins its pack
    versions, so a pack published later never changes what a case waits for. Likewise the
    definition of each pack workflow they follow is stored (once per key), so the cases keep
    following it after a restart, whatever the packs in force say by then.
    """
    workflows = {permit.workflow for permit in permits}
    restore_workflows(session, workflows)
    for workflow in workflows:
        template_for(workflow)  # an unknown workflow fails here, not at the first transition
    _store_definitions(session, sorted(filter(is_pack_key, workflows)))
    before = prerequisite_map(prerequisites, permits)
    cases = [
        PermitCase(
            application_id=application_id,
            permit_code=permit.code,
            jurisdiction_code=permit.jurisdiction.code,
            agency_code=permit.agency.code,
            workflow=permit.workflow,
            prerequisites=list(before[permit.code]),
            fee_cents=fees_cents.get(permit.code, 0),
        )
        for permit in permits
    ]
    session.add_all(cases)
    session.flush()
    return cases


def open_cases_from_triage(session: Session, application_id: int, result: TriageResult) -> list[PermitCase]:
    """The cases for a triage result: its permits, their fees and their prerequisites."""
    outcomes = result.permits
    return open_cases(
        session,
        application_id,
        [outcome.permit for outcome in outcomes],
        prerequisites={outcome.permit.code: outcome.depends_on for outcome in outcomes},
        fees_cents={outcome.permit.code: outcome.fee_cents for outcome in outcomes},
    )


def whose_turn(template: WorkflowTemplate, state: str) -> str | None:
    """ "clerk" at a step a clerk decides, "applicant" when asked for information, else None."""
    if state in template.clerk_steps:
        return "clerk"
    if state.endswith(INFO_REQUESTED_SUFFIX) and state not in FINAL_STATES:
        return "applicant"
    return None


# -- pack workflows ----------------------------------------------------------------------------


def _store_definitions(session: Session, keys: Sequence[str]) -> None:
    """Insert each pack workflow's definition unless it is stored already (by another case, or by
    a concurrent transaction: the insert then does nothing)."""
    if not keys:
        return
    now = utcnow()
    rows = [
        {"key": key, "definition": template_definition(template_for(key)), "created_at": now} for key in keys
    ]
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(
        dialect.insert(WorkflowDefinition).values(rows).on_conflict_do_nothing(index_elements=["key"])
    )


def restore_workflows(session: Session, workflows: Iterable[str]) -> None:
    """Make these workflows (what cases store) known in this process, reading the pack workflows
    it has not compiled from `workflow_definitions`; costs nothing when all are known.

    The engine calls it whenever it locks cases. Call it before `allowed_events`,
    `application_status` or `diagram` on cases loaded some other way. A key stored nowhere
    stays unknown (UnknownWorkflow when it is used); a stored definition whose digest no
    longer matches its key is refused (WorkflowError), never followed.
    """
    missing = sorted({workflow for workflow in workflows if not is_known(workflow)})
    if not missing:
        return
    for row in session.scalars(select(WorkflowDefinition).where(WorkflowDefinition.key.in_(missing))):
        template = template_from_definition(row.definition)
        if template_key(row.key.split(":", 1)[0], template) != row.key:
            raise WorkflowError(f"the stored definition of workflow {row.key} does not match its key")
        register_template(row.key, template)


# -- locking (SQLite: workflows.db.take_sqlite_write_lock says why the write lock comes first) ---


def _locked(session: Session, statement: Select) -> list[Row]:
    """Run a locking SELECT after taking SQLite's write lock; its rows fresh (read again even if
    the session holds them), a lost race as ConcurrentChange."""
    try:
        take_sqlite_write_lock(session)
        return list(session.execute(statement.execution_options(populate_existing=True)))
    except StaleDataError as error:  # autoflush of a change made to a stale case
        raise ConcurrentChange(str(error)) from error
    except OperationalError as error:
        if "database is locked" in str(error):  # SQLite: another writer, and we had read first
            raise ConcurrentChange("another transaction is writing; try again") from error
        raise


def _lock(session: Session, where: ColumnElement[bool]) -> list[PermitCase]:
    """Lock an application's cases until the transaction ends and return them fresh, in id order,
    with the workflows they follow known to this process."""
    statement = select(PermitCase).where(where).order_by(PermitCase.id).with_for_update()
    cases = [case for (case,) in _locked(session, statement)]
    restore_workflows(session, (case.workflow for case in cases))
    return cases


@dataclass(frozen=True, slots=True)
class LockedApplication:
    """An application locked to change it, with every case of it, locked too, in id order, and its
    owner (read, not locked: a decision writes to them)."""

    application: Application
    owner: User
    cases: list[PermitCase]

    def case(self, case_id: int) -> PermitCase | None:
        return next((case for case in self.cases if case.id == case_id), None)


def lock_application_of_case(session: Session, case_id: int) -> LockedApplication | None:
    """Lock the application a case belongs to, then all its cases, until the transaction ends; None
    if there is no such case. Call it first in the transaction; pass its cases to `fire`.

    The order is every change's (the application, then its cases), in as few statements as
    the database allows. On SQLite the write lock, taken before anything is read, keeps every
    other writer out, so one statement reads everything. On PostgreSQL the cases are read by a
    second statement, once the application's lock is granted: a statement sees the rows
    committed before it started, so one that waited for the lock would miss a case added by
    the transaction it waited for.
    """
    of_case = select(PermitCase.application_id).where(PermitCase.id == case_id).scalar_subquery()
    if session.get_bind().dialect.name == "sqlite":
        rows = _locked(
            session,
            select(Application, User, PermitCase)
            .join(User, User.id == Application.owner_id)
            .join(PermitCase, PermitCase.application_id == Application.id)
            .where(Application.id == of_case)
            .order_by(PermitCase.id),
        )
        if not rows:
            return None
        (application, owner, _case), cases = rows[0], [case for _application, _owner, case in rows]
    else:
        locked = _locked(session, select(Application).where(Application.id == of_case).with_for_update())
        if not locked:
            return None
        ((application,),) = locked
        rows = _locked(
            session,
            select(PermitCase, User)
            .join(User, User.id == application.owner_id)
            .where(PermitCase.application_id == application.id)
            .order_by(PermitCase.id)
            .with_for_update(of=PermitCase),
        )
        if not rows:  # its cases were removed while we waited for the lock
            return None
        owner, cases = rows[0][1], [case for case, _owner in rows]
    restore_workflows(session, (case.workflow for case in cases))
    return LockedApplication(application, owner, cases)


def with_row_lock(session: Session, case_id: int) -> PermitCase | None:
    """Load a case to act on it, locking it and its application's other cases until the
    transaction ends; None if there is no such case. Call it first in the transaction."""
    of_case = select(PermitCase.application_id).where(PermitCase.id == case_id).scalar_subquery()
    cases = _lock(session, PermitCase.application_id == of_case)
    return next((case for case in cases if case.id == case_id), None)


def _lock_for(session: Session, case: PermitCase) -> list[PermitCase]:
    """Lock `case`'s application; refuse if `case` was read before another transaction changed it."""
    _flush(session)  # a pending change to `case` bumps its version before we compare
    expected = case.version
    cases = _lock(session, PermitCase.application_id == case.application_id)
    if case.version != expected:
        raise ConcurrentChange(
            f"permit {case.permit_code} (case {case.id}) changed since it was read "
            f"(version {expected}, now {case.version}); reload it and try again"
        )
    return cases


def _flush(session: Session) -> None:
    try:
        session.flush()
    except StaleDataError as error:
        raise ConcurrentChange(str(error)) from error


# -- transitions -----------------------------------------------------------------------------


def _context(cases: Iterable[PermitCase]) -> GuardContext:
    return GuardContext({case.permit_code: case.state for case in cases})


def _failed_guards(case: PermitCase, transition: Transition, context: GuardContext) -> tuple[str, ...]:
    return tuple(name for name in transition.guards if not GUARDS[name].check(case, context))


def allowed_events(
    case: PermitCase, cases: Iterable[PermitCase] = (), by: Actor | None = None
) -> tuple[str, ...]:
    """What a person may fire on `case` now (automatic events excluded), in the template's order.

    `cases` are the application's other cases, which guards may read; `by` keeps only the
    events of one kind of actor (an applicant's, a clerk's).
    """
    context = _context([*cases, case])
    return tuple(
        dict.fromkeys(
            transition.trigger
            for transition in template_for(case.workflow).leaving.get(case.state, ())
            if not transition.automatic
            and (by is None or transition.by == by)
            and not _failed_guards(case, transition, context)
        )
    )


def _refusal(case: PermitCase, event: str, cases: Sequence[PermitCase]) -> TransitionNotAllowed | None:
    """Why `event` cannot happen on `case` now, or None if it can."""
    candidates = [t for t in template_for(case.workflow).leaving.get(case.state, ()) if t.trigger == event]
    context = _context(cases)
    failures = [_failed_guards(case, t, context) for t in candidates if not t.automatic]
    if failures and not all(failures):
        return None
    identity = dict(case_id=case.id, permit_code=case.permit_code, state=case.state)
    allowed = allowed_events(case, cases)
    if failures:
        return TransitionNotAllowed(event, allowed, failed_guards=failures[0], **identity)
    if candidates:
        return TransitionNotAllowed(
            event, allowed, detail="it happens by itself when its guards hold", **identity
        )
    return TransitionNotAllowed(event, allowed, **identity)


def _apply(
    session: Session,
    case: PermitCase,
    event: str,
    context: GuardContext,
    actor_id: int | None,
    reason: str | None,
    now: datetime,
) -> PermitEvent:
    """Move `case` through its machine and write the history line; the only place a state changes.

    `pay` also stamps `paid_at`, which the `fee_paid` guard reads. Whose turn it is follows
    the new state. A clerk's claim ends with the step, except while the applicant answers
    the clerk's request for information: the answer comes back to the clerk who asked.
    """
    before = case.state
    if not machine(case.workflow).events[event].trigger(case, context=context):
        raise AssertionError(f"{event} on case {case.id} was checked but its guards refused it")
    if event == "pay":
        case.paid_at = now
    case.waiting_on = whose_turn(template_for(case.workflow), case.state)
    if event not in KEEP_CLAIM:
        case.claimed_by_id = None
        case.claimed_at = None
    record = PermitEvent(
        permit_case_id=case.id,
        actor_id=actor_id,
        event=event,
        from_state=before,
        to_state=case.state,
        reason=reason,
        at=now,
    )
    session.add(record)
    return record


def _advance(session: Session, cases: Sequence[PermitCase], now: datetime) -> list[PermitEvent]:
    """Fire every automatic transition whose guards now hold, until none does.

    Approving one permit can start another, whose approval can start a third, so this
    runs to a fixed point; templates forbid cycles of automatic transitions.
    """
    records = []
    states = {case.permit_code: case.state for case in cases}
    context = GuardContext(states)  # a view on `states`, kept current below
    progressed = True
    while progressed:
        progressed = False
        for case in cases:
            for transition in template_for(case.workflow).leaving.get(case.state, ()):
                if transition.automatic and not _failed_guards(case, transition, context):
                    reason = "automatic: " + ", ".join(transition.guards)
                    records.append(_apply(session, case, transition.trigger, context, None, reason, now))
                    case.due_at = None
                    states[case.permit_code] = case.state
                    progressed = True
                    break
    return records


def fire(
    session: Session,
    case: PermitCase,
    event: str,
    *,
    actor_id: int | None = None,
    reason: str | None = None,
    due_at: datetime | None = None,
    locked: Sequence[PermitCase] | None = None,
) -> list[PermitEvent]:
    """Apply `event` to `case`, then whatever it sets moving in the same application.

    Returns the history written: this event first, then the automatic ones. `due_at` is
    the new step's deadline (for instance the applicant's reply to a request for
    information). `locked` is the application's cases, `case` among them, when the caller
    has locked them in this transaction (`lock_application_of_case`): they are as fresh as
    can be, so they are not locked and read again. Raises TransitionNotAllowed (with the
    allowed events) or ConcurrentChange; the caller commits, or rolls back on error.
    """
    if locked is None:
        cases = _lock_for(session, case)
    elif any(other is case for other in locked):
        cases = list(locked)
    else:
        raise ValueError(f"case {case.id} is not among the locked cases given")
    refusal = _refusal(case, event, cases)
    if refusal is not None:
        raise refusal
    now = utcnow()
    records = [_apply(session, case, event, _context(cases), actor_id, reason, now)]
    case.due_at = due_at
    records += _advance(session, cases, now)
    _flush(session)
    return records


def _fire_on_application(
    session: Session, application_id: int, event: str, actor_id: int | None, reason: str | None
) -> list[PermitEvent]:
    """Apply `event` to every case of the application that can take it, then advance."""
    cases = _lock(session, PermitCase.application_id == application_id)
    takers = [case for case in cases if _refusal(case, event, cases) is None]
    if not takers:
        states = ", ".join(f"{case.permit_code}: {case.state}" for case in cases) or "no permit"
        raise TransitionNotAllowed(
            event, (), detail=f"no permit of application {application_id} can ({states})"
        )
    now = utcnow()
    context = _context(cases)
    records = [_apply(session, case, event, context, actor_id, reason, now) for case in takers]
    records += _advance(session, cases, now)
    _flush(session)
    return records


def submit_application(
    session: Session, application_id: int, *, actor_id: int | None = None
) -> list[PermitEvent]:
    """Submit every draft permit of the application together."""
    return _fire_on_application(session, application_id, "submit", actor_id, None)


def record_payment(
    session: Session, application_id: int, *, actor_id: int | None = None, reason: str | None = None
) -> list[PermitEvent]:
    """Mark every submitted permit of the application paid (the one fee covers them all), then
    start those whose prerequisites are approved and grant the registrations among them.
    `reason` can carry the payment reference."""
    return _fire_on_application(session, application_id, "pay", actor_id, reason)


def history(session: Session, case_id: int) -> list[PermitEvent]:
    """A case's transitions, oldest first."""
    return list(
        session.scalars(
            select(PermitEvent).where(PermitEvent.permit_case_id == case_id).order_by(PermitEvent.id)
        )
    )
