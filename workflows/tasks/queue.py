"""An agency's work queue: the permits waiting for its clerks, the most urgent first.

One indexed query per page (agency, whose turn, due date), whatever the number of
agencies and applications. A clerk sees the tasks nobody has claimed and their own; a
supervisor sees all of the agency's, including those waiting for the applicant's answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, aliased

from accounts.models import User
from workflows.models import Application, PermitCase
from workflows.tasks.access import is_agency_staff, is_overdue, is_supervisor
from workflows.text import FieldError, Text

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
CLERK = "clerk"
APPLICANT = "applicant"


@dataclass(frozen=True, slots=True)
class QueueFilter:
    """What the queue is narrowed to; None means any."""

    permit_code: str | None = None
    state: str | None = None
    municipality: str | None = None  # the application's jurisdiction code
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE

    @classmethod
    def parse(cls, params: Mapping[str, str]) -> QueueFilter:
        """From query parameters (`permit`, `state`, `municipality`, `page`, `page_size`);
        QueueFilterError names each bad one."""
        errors = []
        numbers = {}
        for name, default, largest in (("page", 1, None), ("page_size", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)):
            raw = params.get(name) or str(default)
            if not raw.isdigit() or int(raw) < 1 or (largest is not None and int(raw) > largest):
                limit = f" (at most {largest})" if largest else ""
                limite = f" (au plus {largest})" if largest else ""
                errors.append(
                    FieldError(
                        name,
                        Text(
                            f"Give a whole number from 1{limit}.",
                            f"Donnez un nombre entier à partir de 1{limite}.",
                        ),
                    )
                )
            else:
                numbers[name] = int(raw)
        if errors:
            raise QueueFilterError(errors)
        return cls(
            permit_code=params.get("permit") or None,
            state=params.get("state") or None,
            municipality=params.get("municipality") or None,
            **numbers,
        )


class QueueFilterError(ValueError):
    def __init__(self, errors: list[FieldError]):
        self.errors = errors
        super().__init__("; ".join(f"{e.field}: {e.message.en}" for e in errors))


@dataclass(frozen=True, slots=True)
class QueueTask:
    id: int  # the permit case's id
    application_id: int
    permit_code: str
    state: str
    municipality: str
    due_at: datetime | None
    claimed_by: int | None
    claimed_by_name: str | None
    waiting_on: str
    overdue: bool


@dataclass(frozen=True, slots=True)
class QueuePage:
    tasks: tuple[QueueTask, ...]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


@dataclass(frozen=True, slots=True)
class QueueChoices:
    """What the filters can be set to: the values present among the person's tasks."""

    permit_codes: tuple[str, ...]
    states: tuple[str, ...]
    municipalities: tuple[str, ...]


def _visible(staff: User) -> Select:
    """The person's tasks, unfiltered: the base of the page, its count and its filter choices."""
    if not is_agency_staff(staff):
        return select(PermitCase).where(False)
    statement = select(PermitCase).where(PermitCase.agency_code == staff.agency_code)
    if is_supervisor(staff):
        return statement.where(PermitCase.waiting_on.in_((CLERK, APPLICANT)))
    return statement.where(
        PermitCase.waiting_on == CLERK,
        or_(PermitCase.claimed_by_id.is_(None), PermitCase.claimed_by_id == staff.id),
    )


def queue_page(session: Session, staff: User, filters: QueueFilter, now: datetime) -> QueuePage:
    """One page of the person's queue, soonest due first (no due date last), then oldest task."""
    visible = _visible(staff).join(Application, Application.id == PermitCase.application_id)
    if filters.permit_code:
        visible = visible.where(PermitCase.permit_code == filters.permit_code)
    if filters.state:
        visible = visible.where(PermitCase._state == filters.state)
    if filters.municipality:
        visible = visible.where(Application.jurisdiction_code == filters.municipality)
    total = session.scalar(visible.with_only_columns(func.count()).order_by(None))
    claimer = aliased(User)
    rows = session.execute(
        visible.with_only_columns(PermitCase, Application.jurisdiction_code, claimer.name)
        .outerjoin(claimer, claimer.id == PermitCase.claimed_by_id)
        .order_by(PermitCase.decision_due_at.is_(None), PermitCase.decision_due_at, PermitCase.id)
        .limit(filters.page_size)
        .offset((filters.page - 1) * filters.page_size)
    )
    tasks = tuple(
        QueueTask(
            id=case.id,
            application_id=case.application_id,
            permit_code=case.permit_code,
            state=case.state,
            municipality=municipality,
            due_at=case.decision_due_at,
            claimed_by=case.claimed_by_id,
            claimed_by_name=name,
            waiting_on=case.waiting_on,
            overdue=is_overdue(case, now),
        )
        for case, municipality, name in rows
    )
    return QueuePage(tasks, total, filters.page, filters.page_size)


def queue_choices(session: Session, staff: User) -> QueueChoices:
    """The permit codes, states and municipalities among the person's tasks, for the filter menus."""
    visible = _visible(staff).join(Application, Application.id == PermitCase.application_id)
    rows = session.execute(
        visible.with_only_columns(PermitCase.permit_code, PermitCase._state, Application.jurisdiction_code)
        .distinct()
        .order_by(None)
    ).all()

    def values(index: int) -> tuple[str, ...]:
        return tuple(sorted({row[index] for row in rows}))

    return QueueChoices(values(0), values(1), values(2))
