"""The satisfaction survey and the service-quality dashboard in a real browser.

Two licensed Toronto restaurants are seeded through the domain (the journey already clicks its
way to a licence): the applicant's, decided 3 days after submission, three weeks ago; and an
older one, decided after 7 days, four months ago, outside the default 90 days. The applicant
answers the survey on their dashboard (the score by keyboard, a comment) and is thanked; Toronto
Building's supervisor opens "Service quality" from the header, reads the last 90 days, widens
the period with the GET form (a mistake first), sees the figures and the SVG charts, downloads
the CSV and reads the zoning permit's row back; then reads the dashboard in French. Every page
is screenshotted into build/screenshots/quality/ and checked by axe-core and `Tour.check`.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, time, timedelta

from playwright.sync_api import Browser, Page

from accounts.service import create_account
from app.db import db_session
from tests.answer_sets import TORONTO_FULL_NO_SIGN
from tests.browser.conftest import LiveServer
from tests.browser.pages import Tour, follow
from tests.browser.steps import sign_in
from tests.conftest import POSTGRES_URL
from tests.factories import licensed_application, user
from tests.quality_world import ZONING, set_clock
from tests.web.conftest import PASSWORD
from workflows.db import utcnow
from workflows.quality import PERMIT_COLUMNS

APPLICANT = "ada@example.ca"
SUPERVISOR = "sup@tb.example.ca"
COMMENT = "The one form saved me a week."
#: Days ago each seeded application was submitted, and days from submission to every decision.
RECENT = (21, 3)
OLDER = (120, 7)


def seed(server: LiveServer, today: date) -> int:
    """The applicant's licensed application and an older one, clocks set; the applicant's id."""
    with server.app.app_context():
        session = db_session()
        owner = create_account(session, email=APPLICANT, password=PASSWORD, name="Ada Lovelace")
        create_account(
            session, email=SUPERVISOR, password=PASSWORD, name="Sam", role="supervisor", agency_code="TO-TB"
        )
        recent, _ = licensed_application(session, owner, TORONTO_FULL_NO_SIGN)
        older, _ = licensed_application(session, user(session), TORONTO_FULL_NO_SIGN)
        for application, (days_ago, days) in ((recent, RECENT), (older, OLDER)):
            submitted = datetime.combine(today - timedelta(days=days_ago), time(12), tzinfo=UTC)
            set_clock(session, application, submitted=submitted, decided_after=timedelta(days=days))
        session.commit()
        return recent.id


def zoning_row(page: Page) -> dict[str, str]:
    """The zoning permit's figures in the dashboard's table, by column class."""
    row = page.locator(f"#permit-{ZONING}-TO-TB")
    columns = ("decided", "median", "p90", "within", "asked")
    return {name: row.locator(f"td.{name}").inner_text() for name in columns}


def period(page: Page, first: date, last: date) -> None:
    """The GET form of the dashboard: both days typed into the date fields, then Show the figures."""
    page.fill("#period-from", first.isoformat())
    page.fill("#period-to", last.isoformat())
    follow(page, page.locator("form.filters button[type=submit]"))


def test_the_applicant_answers_the_survey_and_a_supervisor_reads_the_figures(
    chromium: Browser, live_server_on, screenshots
):
    server: LiveServer = live_server_on("postgresql" if POSTGRES_URL else "sqlite", with_clerks=False)
    today = utcnow().date()
    application_id = seed(server, today)
    tour = Tour(server.url, screenshots("quality"), "en")

    # The applicant, licensed, is asked; a send without a score is refused beside the field.
    applicant = tour.open(chromium.new_context(locale="en-CA"))
    dashboard = f"/applications/{application_id}"
    sign_in(tour, applicant, APPLICANT, "applicant", then=dashboard)
    tour.check(applicant, "dashboard-survey")
    survey = applicant.locator("#survey")
    follow(applicant, survey.locator("button[type=submit]"))
    tour.check(applicant, "dashboard-survey-no-score")
    assert applicant.locator(".error-summary a").first.get_attribute("href") == "#survey-score"
    assert applicant.locator("#survey-score").get_attribute("aria-describedby") == "survey-score-error"

    # The score with the keyboard (Space picks the first, arrows move and pick), then a comment.
    applicant.focus("#survey-score-0")
    applicant.keyboard.press("Space")
    for _ in range(3):
        applicant.keyboard.press("ArrowDown")
    assert applicant.locator("input[name=survey-score]:checked").get_attribute("value") == "4"
    applicant.fill("#survey-comment", COMMENT)
    follow(applicant, survey.locator("button[type=submit]"))
    tour.check(applicant, "dashboard-survey-thanks")
    assert applicant.url.endswith(f"{dashboard}#survey")
    assert "Thank you for your answer." in applicant.locator("main .notice").first.inner_text()
    thanks = applicant.locator("#survey-answered").inner_text()
    assert thanks.startswith("Thank you: you gave the service 4 out of 5")
    assert applicant.locator("#survey form").count() == 0

    # The supervisor of Toronto Building: the last 90 days hold the recent application only.
    supervisor = tour.open(chromium.new_context(locale="en-CA"))
    sign_in(tour, supervisor, SUPERVISOR, "supervisor", then="/account/")
    follow(supervisor, supervisor.locator("#quality-link"))
    tour.check(supervisor, "quality-90-days")
    assert "Toronto Building" in supervisor.locator("#scope").inner_text()
    assert supervisor.locator("#started").inner_text() == "1"
    assert zoning_row(supervisor)["decided"] == "1" and zoning_row(supervisor)["median"] == "3.0"
    assert supervisor.locator("#responses").inner_text() == "1"
    assert supervisor.locator("#mean-score").inner_text() == "4.00"
    assert supervisor.locator("#comments blockquote").inner_text() == COMMENT

    # The period typed the wrong way round, then right: from the older application's submission.
    first = today - timedelta(days=OLDER[0])
    period(supervisor, today, first)
    tour.check(supervisor, "quality-period-mistyped")
    assert supervisor.locator(".error-summary a").get_attribute("href") == "#period-to"
    assert supervisor.locator("#period-to").get_attribute("aria-invalid") == "true"
    period(supervisor, first, today)
    tour.check(supervisor, "quality-period")
    assert f"from={first.isoformat()}" in supervisor.url and f"to={today.isoformat()}" in supervisor.url
    assert supervisor.locator("#started").inner_text() == "2"
    assert supervisor.locator("#licensed").inner_text() == "2"
    figures = zoning_row(supervisor)
    p90 = float(figures.pop("p90"))
    assert 5.0 < p90 <= 7.0  # between the two decisions, nearer the slower
    assert figures == {
        "decided": "2",
        "median": "5.0",  # 3 and 7 days
        "within": "100.0% (2 of 2)",  # both before the due date, 10 days after submission
        "asked": "0",
    }

    # The charts: drawn as SVG, named for assistive technology, the zoning permit among their rows.
    zoning = supervisor.locator(f"#permit-{ZONING}-TO-TB th").inner_text()
    for chart in ("chart-time", "chart-within", "chart-scores"):
        svg = supervisor.locator(f"#{chart} svg")
        assert svg.get_attribute("role") == "img"
        assert svg.locator("title").text_content() == supervisor.locator(f"#{chart} figcaption").inner_text()
        assert svg.locator("rect").count() >= 1
    assert zoning in supervisor.locator("#chart-time svg").text_content()
    assert "5.0 days" in supervisor.locator("#chart-time svg").text_content()
    assert "Score 4" in supervisor.locator("#chart-scores svg").text_content()

    # The CSV of exactly this period, read back.
    with supervisor.expect_download() as started:
        supervisor.click("#csv-permits")
    download = started.value
    assert download.suggested_filename == f"quality-{first.isoformat()}-{today.isoformat()}.csv"
    with open(download.path(), encoding="utf-8", newline="") as handle:
        text = handle.read()
    reader = csv.DictReader(io.StringIO(text))
    rows = list(reader)
    assert tuple(reader.fieldnames) == PERMIT_COLUMNS
    (row,) = [row for row in rows if row["permit_code"] == ZONING]
    assert row["permit_name"] == zoning and row["agency_code"] == "TO-TB"
    assert (row["period_from"], row["period_to"]) == (first.isoformat(), today.isoformat())
    assert (row["decided"], row["approved"], row["rejected"]) == ("2", "2", "0")
    assert row["median_days_to_decision"] == "5.00"
    assert round(float(row["p90_days_to_decision"]), 1) == p90  # two decimals here, one on the page
    assert row["share_within_expected_time"] == "1.0000"
    assert {r["agency_code"] for r in rows} == {"TO-TB"}

    # In French: the same figures, the toggle keeping the period.
    tour.language = "fr"
    follow(supervisor, supervisor.locator("nav.language a"))
    tour.check(supervisor, "fr-quality-period")
    assert f"from={first.isoformat()}" in supervisor.url
    assert zoning_row(supervisor)["median"] == "5,0"
    assert zoning_row(supervisor)["within"] == "100,0\u00a0% (2 sur 2)"
    follow(applicant, applicant.locator("nav.language a"))
    tour.check(applicant, "fr-dashboard-survey-thanks")
    assert applicant.locator("#survey-answered").inner_text().startswith("Merci")
    print(f"\n{tour.count} pages screenshotted in {tour.folder}; axe ran on {tour.axe_runs}")
