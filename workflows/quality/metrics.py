"""The service-quality figures over a period and a scope, in a fixed handful of SQL statements.

Definitions (docs/quality.md says the same for readers of the dashboard):

- Started, submitted, licensed: applications in scope created, submitted, or given their
  first licence (version 1) during the period. A renewal's new licence version is not a
  new licensed application.
- Decided: a permit case an agency's clerk approved at its last step or refused during the
  period, i.e. a `permit_events` row whose event is `approve` or `reject` and whose new
  state is `approved` or `rejected`, timed by that row's `at`. Permits granted without a
  clerk (registrations completed automatically) and withdrawn ones are not decisions.
- Time to decision: that decision's `at` minus the application's `submitted_at` (the moment
  every permit of the application was submitted together); it includes the time waiting
  for payment, for prerequisites and for the applicant's answers.
- Within the expected time: decided no later than the case's `decision_due_at`, which
  submission set to the submission time plus the permit's processing days from the pack
  version pinned on the application. The share is over decided cases having a due date.
- Requests for information: `request_info` events made during the period; and, for the
  cases decided during the period, all the requests each had before its decision.
- Satisfaction: survey answers given during the period by applications in scope.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, case, distinct, func, select
from sqlalchemy.orm import Session, aliased

from licences.models import Licence
from workflows.models import Application, PermitCase, PermitEvent
from workflows.quality.models import MAX_SCORE, MIN_SCORE, SatisfactionResponse
from workflows.quality.percentiles import percentile
from workflows.quality.period import Period
from workflows.quality.scope import Scope
from workflows.workflow_templates import APPROVED, REJECTED

DECISION_EVENTS = ("approve", "reject")
DECISION_STATES = (APPROVED, REJECTED)
INFO_REQUEST_EVENT = "request_info"
RECENT_COMMENTS = 20
SECONDS_PER_DAY = 86_400


@dataclass(frozen=True, slots=True)
class ApplicationCounts:
    started: int
    submitted: int
    licensed: int


@dataclass(frozen=True, slots=True)
class PermitFigures:
    """One permit type at one agency: its decisions and requests for information in the period."""

    permit_code: str
    agency_code: str
    decided: int = 0
    approved: int = 0
    rejected: int = 0
    median_seconds: float | None = None
    p90_seconds: float | None = None
    with_due_date: int = 0  # decided cases that had an expected decision date
    within_expected: int = 0
    info_requests: int = 0  # made during the period, on any case
    cases_asked: int = 0  # distinct cases asked during the period
    requests_before_decision: int = 0  # over the cases decided during the period

    @property
    def within_expected_share(self) -> float | None:
        return self.within_expected / self.with_due_date if self.with_due_date else None

    @property
    def requests_per_decided_case(self) -> float | None:
        return self.requests_before_decision / self.decided if self.decided else None

    @property
    def median_days(self) -> float | None:
        return None if self.median_seconds is None else self.median_seconds / SECONDS_PER_DAY

    @property
    def p90_days(self) -> float | None:
        return None if self.p90_seconds is None else self.p90_seconds / SECONDS_PER_DAY


@dataclass(frozen=True, slots=True)
class Comment:
    score: int
    comment: str
    language: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Satisfaction:
    distribution: dict[int, int]  # score (1..5) -> responses, every score present

    @property
    def responses(self) -> int:
        return sum(self.distribution.values())

    @property
    def mean(self) -> float | None:
        total = self.responses
        return sum(score * n for score, n in self.distribution.items()) / total if total else None


@dataclass(frozen=True, slots=True)
class QualityReport:
    period: Period
    applications: ApplicationCounts
    permits: list[PermitFigures]  # by agency code, then permit code
    satisfaction: Satisfaction
    comments: list[Comment]  # the most recent first, at most RECENT_COMMENTS


def quality_report(session: Session, scope: Scope, period: Period) -> QualityReport:
    """Every figure of the dashboard; five statements whatever the number of applications."""
    return QualityReport(
        period=period,
        applications=_application_counts(session, scope, period),
        permits=_permit_figures(session, scope, period),
        satisfaction=_satisfaction(session, scope, period),
        comments=_recent_comments(session, scope, period),
    )


def _during(column, period: Period) -> ColumnElement[bool]:
    return and_(column >= period.start, column < period.end)


def _application_counts(session: Session, scope: Scope, period: Period) -> ApplicationCounts:
    first_licence = (
        select(Licence.application_id, func.min(Licence.issued_at).label("issued_at"))
        .group_by(Licence.application_id)
        .subquery()
    )
    statement = (
        select(
            func.count(case((_during(Application.created_at, period), 1))),
            func.count(case((_during(Application.submitted_at, period), 1))),
            func.count(case((_during(first_licence.c.issued_at, period), 1))),
        )
        .select_from(Application)
        .outerjoin(first_licence, first_licence.c.application_id == Application.id)
        .where(scope.applications())
    )
    started, submitted, licensed = session.execute(statement).one()
    return ApplicationCounts(started, submitted, licensed)


def _permit_figures(session: Session, scope: Scope, period: Period) -> list[PermitFigures]:
    asked = aliased(PermitEvent)
    requests_of_case = (
        select(func.count())
        .where(asked.permit_case_id == PermitCase.id, asked.event == INFO_REQUEST_EVENT)
        .correlate(PermitCase)
        .scalar_subquery()
    )
    decisions = session.execute(
        select(
            PermitCase.permit_code,
            PermitCase.agency_code,
            Application.submitted_at,
            PermitCase.decision_due_at,
            PermitEvent.at,
            PermitEvent.to_state,
            requests_of_case,
        )
        .select_from(PermitEvent)
        .join(PermitCase, PermitCase.id == PermitEvent.permit_case_id)
        .join(Application, Application.id == PermitCase.application_id)
        .where(
            PermitEvent.event.in_(DECISION_EVENTS),
            PermitEvent.to_state.in_(DECISION_STATES),
            _during(PermitEvent.at, period),
            scope.cases(),
        )
    ).all()
    requests = session.execute(
        select(
            PermitCase.permit_code,
            PermitCase.agency_code,
            func.count(),
            func.count(distinct(PermitCase.id)),
        )
        .select_from(PermitEvent)
        .join(PermitCase, PermitCase.id == PermitEvent.permit_case_id)
        .join(Application, Application.id == PermitCase.application_id)
        .where(PermitEvent.event == INFO_REQUEST_EVENT, _during(PermitEvent.at, period), scope.cases())
        .group_by(PermitCase.permit_code, PermitCase.agency_code)
    ).all()
    return _combine(decisions, requests)


def _combine(decisions: Sequence, requests: Sequence) -> list[PermitFigures]:
    """Group the fetched decisions by permit and agency, and put each group's requests beside them."""
    durations: dict[tuple[str, str], list[float]] = defaultdict(list)
    counts: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for code, agency, submitted_at, due_at, decided_at, state, asked in decisions:
        key = (code, agency or "")
        tally = counts[key]
        tally["decided"] += 1
        tally[state] += 1
        tally["requests_before_decision"] += asked
        if submitted_at is not None:
            durations[key].append((decided_at - submitted_at).total_seconds())
        if due_at is not None:
            tally["with_due_date"] += 1
            tally["within_expected"] += decided_at <= due_at
    made = {(code, agency or ""): (total, cases) for code, agency, total, cases in requests}
    rows = []
    for key in sorted(set(counts) | set(made), key=lambda k: (k[1], k[0])):
        tally = counts.get(key, {})
        total, cases = made.get(key, (0, 0))
        rows.append(
            PermitFigures(
                permit_code=key[0],
                agency_code=key[1],
                decided=tally.get("decided", 0),
                approved=tally.get(APPROVED, 0),
                rejected=tally.get(REJECTED, 0),
                median_seconds=percentile(durations.get(key, []), 0.5),
                p90_seconds=percentile(durations.get(key, []), 0.9),
                with_due_date=tally.get("with_due_date", 0),
                within_expected=tally.get("within_expected", 0),
                info_requests=total,
                cases_asked=cases,
                requests_before_decision=tally.get("requests_before_decision", 0),
            )
        )
    return rows


def _answers_in_scope(scope: Scope, period: Period) -> list[ColumnElement[bool]]:
    return [_during(SatisfactionResponse.created_at, period), scope.applications()]


def _satisfaction(session: Session, scope: Scope, period: Period) -> Satisfaction:
    found = dict(
        session.execute(
            select(SatisfactionResponse.score, func.count())
            .join(Application, Application.id == SatisfactionResponse.application_id)
            .where(*_answers_in_scope(scope, period))
            .group_by(SatisfactionResponse.score)
        ).all()
    )
    return Satisfaction({score: found.get(score, 0) for score in range(MIN_SCORE, MAX_SCORE + 1)})


def _recent_comments(session: Session, scope: Scope, period: Period) -> list[Comment]:
    rows = session.execute(
        select(
            SatisfactionResponse.score,
            SatisfactionResponse.comment,
            SatisfactionResponse.language,
            SatisfactionResponse.created_at,
        )
        .join(Application, Application.id == SatisfactionResponse.application_id)
        .where(SatisfactionResponse.comment.is_not(None), *_answers_in_scope(scope, period))
        .order_by(SatisfactionResponse.created_at.desc(), SatisfactionResponse.id.desc())
        .limit(RECENT_COMMENTS)
    ).all()
    return [Comment(score, comment, language, at) for score, comment, language, at in rows]
