"""Service-quality figures and the satisfaction survey in the engine, on both databases: medians,
90th percentiles and shares checked against values worked out by hand on seeded data."""

from __future__ import annotations

import math
from datetime import date, timedelta

import pytest
from sqlalchemy import event as sqlalchemy_event

from tests.factories import NOW, paid_application, user
from tests.quality_world import PERIOD, SUBMITTED, ZONING, seed
from workflows.notifications.messages import render
from workflows.quality import (
    AlreadyAnswered,
    Period,
    PeriodError,
    Scope,
    SurveyInputError,
    SurveyNotOffered,
    answer_survey,
    default_period,
    parse_period,
    percentile,
    quality_report,
    scope_of,
    survey_state,
)
from workflows.quality.models import MAX_COMMENT_LENGTH

DAY = 86_400
EVERYTHING = Scope(jurisdiction_code="CA")


# -- percentiles and periods (no database) ---------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "fraction", "expected"),
    [
        ([7], 0.5, 7),
        ([7], 0.9, 7),
        ([1, 2], 0.5, 1.5),
        ([3, 1, 2], 0.5, 2),  # unsorted input
        ([2, 4, 7, 11, 20, 30], 0.5, 9),  # (7 + 11) / 2
        ([2, 4, 7, 11, 20, 30], 0.9, 25),  # rank 4.5: halfway from 20 to 30
        ([2, 4, 7, 11, 20], 0.9, 16.4),  # rank 3.6: 11 + 0.6 * 9
        (list(range(1, 11)), 0.9, 9.1),  # rank 8.1
        ([5, 1], 0, 1),
        ([5, 1], 1, 5),
    ],
)
def test_percentiles_interpolate_linearly_between_closest_ranks(values, fraction, expected):
    assert math.isclose(percentile(values, fraction), expected)


def test_a_percentile_of_nothing_is_none_and_a_fraction_outside_0_1_is_refused():
    assert percentile([], 0.5) is None
    with pytest.raises(ValueError, match="between 0 and 1"):
        percentile([1], 90)


def test_the_default_period_is_the_last_90_days_today_included():
    today = date(2026, 11, 30)
    assert default_period(today) == Period(date(2026, 9, 2), today)
    assert parse_period(None, None, today) == default_period(today)
    assert parse_period("", "", today).days == 90
    assert parse_period(None, "2026-10-31", today) == Period(date(2026, 8, 3), date(2026, 10, 31))


def test_a_period_includes_its_last_day():
    period = parse_period("2026-10-01", "2026-10-31", date(2026, 11, 30))
    assert period.start.isoformat() == "2026-10-01T00:00:00+00:00"
    assert period.end.isoformat() == "2026-11-01T00:00:00+00:00"
    assert period.days == 31


@pytest.mark.parametrize(
    ("first", "last", "field"),
    [
        ("yesterday", None, "from"),
        ("2026-02-30", None, "from"),
        (None, "2026-13-01", "to"),
        ("2026-11-01", "2026-10-01", "to"),
        ("2000-01-01", "2026-01-01", "from"),  # longer than ten years
    ],
)
def test_a_bad_period_is_refused_field_by_field(first, last, field):
    with pytest.raises(PeriodError) as refused:
        parse_period(first, last, date(2026, 11, 30))
    assert [error.field for error in refused.value.errors] == [field]
    assert all(error.message.fr for error in refused.value.errors)


# -- the figures on seeded data ----------------------------------------------------------------------


@pytest.fixture
def world(db_session):
    return seed(db_session)


def _row(report, permit_code: str, agency_code: str):
    return next(
        row for row in report.permits if (row.permit_code, row.agency_code) == (permit_code, agency_code)
    )


def test_zoning_decisions_give_the_hand_computed_median_p90_and_share(db_session, world):
    report = quality_report(db_session, EVERYTHING, PERIOD)
    zoning = _row(report, ZONING, "TO-TB")
    # Decided 2, 4, 7, 11, 20 days after submission (approved) and 30 days (refused); due after 10.
    assert (zoning.decided, zoning.approved, zoning.rejected) == (6, 5, 1)
    assert zoning.median_seconds == 9 * DAY  # (7 + 11) / 2
    assert zoning.p90_seconds == 25 * DAY  # rank 0.9 * 5 = 4.5: halfway between 20 and 30
    assert zoning.median_days == 9 and zoning.p90_days == 25
    assert (zoning.within_expected, zoning.with_due_date) == (3, 6)  # 2, 4 and 7 days
    assert zoning.within_expected_share == 0.5
    # The third application was asked twice, on the second day.
    assert (zoning.info_requests, zoning.cases_asked, zoning.requests_before_decision) == (2, 1, 2)
    assert zoning.requests_per_decided_case == pytest.approx(2 / 6)


def test_a_decision_on_the_due_date_itself_is_within_the_expected_time(db_session):
    seed(db_session, licensed_days=(10,), vancouver=False)
    zoning = _row(quality_report(db_session, EVERYTHING, PERIOD), ZONING, "TO-TB")
    # Approved exactly 10 days after submission, when due; refused after 30 days, late.
    assert (zoning.within_expected, zoning.decided, zoning.within_expected_share) == (1, 2, 0.5)


def test_applications_started_submitted_and_licensed_count_within_the_period(db_session, world):
    assert quality_report(db_session, EVERYTHING, PERIOD).applications == _counts(7, 7, 6)
    before = Period(SUBMITTED.date() - timedelta(days=30), SUBMITTED.date() - timedelta(days=1))
    assert quality_report(db_session, EVERYTHING, before).applications == _counts(0, 0, 0)
    # Licensed 2 to 20 days after submission (Toronto) and 3 days (Vancouver): the first week holds 3.
    first_week = Period(SUBMITTED.date(), SUBMITTED.date() + timedelta(days=6))
    assert quality_report(db_session, EVERYTHING, first_week).applications == _counts(7, 7, 3)


def test_a_decision_outside_the_period_is_not_counted(db_session, world):
    first_week = Period(SUBMITTED.date(), SUBMITTED.date() + timedelta(days=6))
    zoning = _row(quality_report(db_session, EVERYTHING, first_week), ZONING, "TO-TB")
    assert zoning.decided == 2  # after 2 and 4 days
    assert zoning.median_days == 3 and zoning.p90_days == pytest.approx(3.8)


def _counts(started: int, submitted: int, licensed: int):
    from workflows.quality import ApplicationCounts

    return ApplicationCounts(started, submitted, licensed)


# -- scope -------------------------------------------------------------------------------------------


def test_a_supervisor_sees_their_agency_s_permits_only(db_session, world):
    supervisor = user(db_session, "supervisor", "TO-TB")
    report = quality_report(db_session, scope_of(supervisor), PERIOD)
    assert {row.agency_code for row in report.permits} == {"TO-TB"}
    assert _row(report, ZONING, "TO-TB").decided == 6
    assert report.applications == _counts(6, 6, 5)  # the Toronto ones: each has a TO-TB permit

    health = user(db_session, "supervisor", "TO-TPH")
    other = quality_report(db_session, scope_of(health), PERIOD)
    assert other.permits and {row.agency_code for row in other.permits} == {"TO-TPH"}


@pytest.mark.parametrize(
    ("reach", "started", "municipalities"),
    [
        ("CA", 7, {"toronto", "vancouver"}),
        ("CA-ON", 6, {"toronto"}),
        ("3520005", 6, {"toronto"}),
        ("CA-BC", 1, {"vancouver"}),
        ("5915022", 1, {"vancouver"}),
        ("1209034", 0, set()),  # Halifax: nothing there
        (None, 0, set()),  # an administrator without a jurisdiction reaches nothing
    ],
)
def test_an_administrator_sees_the_applications_within_their_jurisdiction(
    db_session, world, reach, started, municipalities
):
    admin = user(db_session, "admin")
    admin.jurisdiction_code = reach
    report = quality_report(db_session, scope_of(admin), PERIOD)
    assert report.applications.started == started
    agencies = {row.agency_code for row in report.permits}
    assert ("TO-TB" in agencies) == ("toronto" in municipalities)
    assert any(code.startswith("VAN") for code in agencies) == ("vancouver" in municipalities)


def test_clerks_and_applicants_have_no_scope(db_session):
    assert scope_of(user(db_session, "clerk", "TO-TB")) is None
    assert scope_of(user(db_session)) is None
    assert scope_of(user(db_session, "supervisor")) is None  # no agency
    assert scope_of(None) is None


# -- the survey ---------------------------------------------------------------------------------------


def test_the_survey_is_offered_once_the_licence_is_issued_and_answered_once(db_session, world):
    application = world.licensed[0]
    assert survey_state(db_session, application).offered
    answer = answer_survey(db_session, application, score="4", comment="  Quick!  ", language="fr", now=NOW)
    assert (answer.score, answer.comment, answer.language) == (4, "Quick!", "fr")
    state = survey_state(db_session, application)
    assert not state.offered and state.answer.id == answer.id
    with pytest.raises(AlreadyAnswered):
        answer_survey(db_session, application, score=5, comment=None, language="en", now=NOW)
    with pytest.raises(AlreadyAnswered):  # even a bad second answer is told it is a second one
        answer_survey(db_session, application, score="9", comment=None, language="en", now=NOW)


def test_the_survey_is_not_offered_before_the_licence(db_session):
    application, _ = paid_application(db_session, user(db_session))
    assert not survey_state(db_session, application).offered
    with pytest.raises(SurveyNotOffered):
        answer_survey(db_session, application, score=5, comment=None, language="en", now=NOW)


@pytest.mark.parametrize(
    ("score", "comment", "fields"),
    [
        (None, None, ["score"]),
        ("", None, ["score"]),
        ("0", None, ["score"]),
        ("6", None, ["score"]),
        ("4.5", None, ["score"]),
        (True, None, ["score"]),
        ("3", "x" * (MAX_COMMENT_LENGTH + 1), ["comment"]),
        ("x", "x" * (MAX_COMMENT_LENGTH + 1), ["score", "comment"]),
    ],
)
def test_a_bad_answer_is_refused_field_by_field(db_session, world, score, comment, fields):
    with pytest.raises(SurveyInputError) as refused:
        answer_survey(db_session, world.licensed[0], score=score, comment=comment, language="en", now=NOW)
    assert [error.field for error in refused.value.errors] == fields
    assert survey_state(db_session, world.licensed[0]).offered  # nothing was kept


def test_satisfaction_counts_scores_and_shows_comments_in_scope_only(db_session, world):
    answers = [(5, "Très rapide.", "fr"), (4, None, "en"), (4, "Clear steps.", "en"), (2, "Too long.", "en")]
    for index, (score, comment, language) in enumerate(answers):
        at = SUBMITTED + timedelta(days=25, hours=index)
        answer_survey(
            db_session, world.licensed[index], score=score, comment=comment, language=language, now=at
        )
    answer_survey(
        db_session,
        world.vancouver,
        score=1,
        comment="Vancouver",
        language="en",
        now=SUBMITTED + timedelta(days=3),
    )
    everything = quality_report(db_session, EVERYTHING, PERIOD)
    assert everything.satisfaction.distribution == {1: 1, 2: 1, 3: 0, 4: 2, 5: 1}
    assert everything.satisfaction.responses == 5
    assert everything.satisfaction.mean == pytest.approx(16 / 5)
    assert [c.comment for c in everything.comments] == [
        "Too long.",
        "Clear steps.",
        "Très rapide.",
        "Vancouver",
    ]
    assert everything.comments[2].language == "fr"

    toronto = quality_report(db_session, Scope(jurisdiction_code="3520005"), PERIOD)
    assert toronto.satisfaction.mean == pytest.approx(15 / 4)
    assert "Vancouver" not in [c.comment for c in toronto.comments]
    buildings = quality_report(db_session, Scope(agency_code="TO-TB"), PERIOD)
    assert buildings.satisfaction.responses == 4
    assert [c.comment for c in buildings.comments] == ["Too long.", "Clear steps.", "Très rapide."]


def test_the_licence_email_mentions_the_survey():
    _subject, body = render("licence_issued", "en", application_id=7, licence="GL-7K3M9QXD2H-1")
    assert "short, optional survey" in body
    _subject, body = render("licence_issued", "fr", application_id=7, licence="GL-7K3M9QXD2H-1")
    assert "court sondage facultatif" in body


# -- statements ---------------------------------------------------------------------------------------


def _statements(session, scope: Scope) -> int:
    connection = session.connection()
    statements = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    sqlalchemy_event.listen(connection, "before_cursor_execute", count)
    try:
        quality_report(session, scope, PERIOD)
    finally:
        sqlalchemy_event.remove(connection, "before_cursor_execute", count)
    return len(statements)


def test_the_report_costs_five_statements_however_many_applications(db_session):
    seed(db_session, licensed_days=(3,), vancouver=False)
    few = {scope: _statements(db_session, scope) for scope in (EVERYTHING, Scope(agency_code="TO-TB"))}
    seed(db_session, licensed_days=(1, 2, 3, 4, 5, 6), vancouver=False)
    many = {scope: _statements(db_session, scope) for scope in (EVERYTHING, Scope(agency_code="TO-TB"))}
    assert few == many == dict.fromkeys(few, 5)
