"""An agency's work queue: the permits waiting for its clerks, the most urgent first.

A page costs the same with a hundred open tasks or a million: its rows are read in order off
an index of the agencies' open tasks (agency, due date, id), its count stops at
COUNT_LIMIT, and the filter menus come from the packs rather than from the tasks. A clerk
sees the tasks nobody has claimed and their own; a supervisor sees all of the agency's,
including those waiting for the applicant's answer.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, aliased

from accounts.models import User
from workflows.models import Application, PermitCase
from workflows.packs.model import PackSet
from workflows.permit_workflow import template_for, whose_turn
from workflows.tasks.access import is_agency_staff, is_overdue, is_supervisor
from workflows.text import FieldError, Text

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
#: Counting stops here: past it a page says "more than 1,000", and counting every open task of
#: a national agency on each page view would cost more than the rest of the page.
COUNT_LIMIT = 1000
#: The last page whose offset the databases take as an integer: past it the query failed (a 500),
#: and no agency has that many tasks anyway.
MAX_PAGE = (2**31 - 1) // MAX_PAGE_SIZE
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
        for name, default, largest in (
            ("page", 1, MAX_PAGE),
            ("page_size", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE),
        ):
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
    total: int  # tasks matching the filters, counted up to COUNT_LIMIT
    page: int
    page_size: int
    more: bool = False  # more than COUNT_LIMIT tasks match: `total` is COUNT_LIMIT

    @property
    def pages(self) -> int:
        """Pages of the tasks counted (with `more`, there are others after them)."""
        return max(1, -(-self.total // self.page_size))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages or (self.more and len(self.tasks) == self.page_size)


@dataclass(frozen=True, slots=True)
class QueueChoices:
    """What the filters can be set to: the permits, steps and municipalities of the agency's work."""

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
    visible = _visible(staff)
    if filters.permit_code:
        visible = visible.where(PermitCase.permit_code == filters.permit_code)
    if filters.state:
        visible = visible.where(PermitCase._state == filters.state)
    if filters.municipality:
        of_application = aliased(Application)  # not the rows' join below: a subquery of its own
        in_municipality = select(of_application.id).where(
            of_application.id == PermitCase.application_id,
            of_application.jurisdiction_code == filters.municipality,
        )
        visible = visible.where(in_municipality.exists())
    # in the queue index's order, so the count reads at most COUNT_LIMIT + 1 of its entries
    in_order = (PermitCase.decision_due_at.asc().nulls_last(), PermitCase.id)
    counted = visible.with_only_columns(PermitCase.id).order_by(*in_order).limit(COUNT_LIMIT + 1).subquery()
    total = session.scalar(select(func.count()).select_from(counted))
    claimer = aliased(User)
    rows = session.execute(
        visible.with_only_columns(PermitCase, Application.jurisdiction_code, claimer.name)
        .join(Application, Application.id == PermitCase.application_id)
        .outerjoin(claimer, claimer.id == PermitCase.claimed_by_id)
        .order_by(*in_order)
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
    more = total > COUNT_LIMIT
    return QueuePage(tasks, min(total, COUNT_LIMIT), filters.page, filters.page_size, more)


def queue_choices(packs: PackSet, staff: User) -> QueueChoices:
    """What the filter menus offer: the agency's permits in the packs in force, the steps of their
    workflows that this person's queue shows, and the municipalities where those permits apply.

    Read from the packs, not from the tasks: the distinct values among an agency's open tasks
    take reading every one of them, hundreds of thousands for a national agency, on each page
    view. Computed once per pack set and agency."""
    if not is_agency_staff(staff):
        return QueueChoices((), (), ())
    global _choices_cache
    cached_packs, by_agency = _choices_cache
    if cached_packs() is not packs:  # a weak reference: a superseded set is not kept alive here
        by_agency = {}
        _choices_cache = (weakref.ref(packs), by_agency)
    key = (staff.agency_code, is_supervisor(staff))
    if key not in by_agency:
        by_agency[key] = _choices(packs, *key)
    return by_agency[key]


_choices_cache: tuple[Callable[[], PackSet | None], dict[tuple[str, bool], QueueChoices]] = (lambda: None, {})


def _choices(packs: PackSet, agency: str, supervisor: bool) -> QueueChoices:
    shown = {CLERK, APPLICANT} if supervisor else {CLERK}
    permits = {code: permit for code, permit in packs.permits.items() if permit.agency.code == agency}
    states = set()
    for permit in permits.values():
        template = template_for(permit.workflow)
        states |= {state for state in template.states if whose_turn(template, state) in shown}
    municipalities = {
        code
        for code, chain in packs.chains.items()
        if any(permit.code in permits for permit in chain.permits)
    }
    return QueueChoices(tuple(sorted(permits)), tuple(sorted(states)), tuple(sorted(municipalities)))
