"""The service-quality dashboard, its CSV files and the satisfaction survey over HTTP, in English
and French: who may see what, the figures as seeded, CSV parsed back, and the statements a page costs."""

from __future__ import annotations

import csv
import io
import re

import pytest

from accounts.service import create_account
from app.db import db_session as app_session
from tests.factories import licensed_application, paid_application
from tests.quality_world import PERIOD, ZONING, seed
from tests.web.conftest import PASSWORD, counted, csrf_token, sign_in
from workflows.models import Application
from workflows.quality import PERMIT_COLUMNS, SUMMARY_COLUMNS, answer_survey

pytestmark = pytest.mark.money  # the seeded refusal gives a fee back: the books must still balance
OCTOBER = f"from={PERIOD.first.isoformat()}&to={PERIOD.last.isoformat()}"


def _person(
    app, name: str, role: str = "applicant", agency: str | None = None, reach: str | None = None
) -> str:
    with app.app_context():
        session = app_session()
        extra = {"jurisdiction_code": reach} if role == "admin" else {}
        create_account(
            session,
            email=f"{name}@example.ca",
            password=PASSWORD,
            name=name,
            role=role,
            agency_code=agency,
            **extra,
        )
        session.commit()
    return f"{name}@example.ca"


@pytest.fixture
def seeded(app):
    with app.app_context():
        session = app_session()
        world = seed(session)
        session.commit()
        return [application.id for application in world.licensed]  # Toronto's, licensed


def _signed_in(app, email: str):
    client = app.test_client()
    assert sign_in(client, email).status_code == 302
    return client


def _csv(response) -> list[dict[str, str]]:
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="quality')
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


# -- who may see the dashboard ------------------------------------------------------------------------


def test_a_supervisor_sees_their_agency_s_figures_with_charts_and_tables(app, seeded):
    client = _signed_in(app, _person(app, "sup", "supervisor", "TO-TB"))
    response = client.get(f"/staff/quality?{OCTOBER}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="quality-link"' in html  # in the header
    assert "Toronto Building" in re.search(r'id="scope">([^<]*)<', html).group(1)
    row = re.search(rf'<tr id="permit-{ZONING}-TO-TB">(.*?)</tr>', html, re.S).group(1)
    assert re.search(r'class="decided">6<', row)
    assert re.search(r'class="median">9\.0<', row) and re.search(r'class="p90">25\.0<', row)
    assert "50.0% (3 of 6)" in row
    assert re.search(r'class="requests">2<', row) and re.search(r'class="asked">1<', row)
    assert re.search(r'id="started">6<', html) and re.search(r'id="licensed">5<', html)
    assert "TO-TPH" not in html and "Public Health" not in html  # another agency's permits
    # Charts: server-drawn SVG with a title and a description, no script anywhere.
    assert html.count("<svg") == 2  # time and share (no survey answer yet: no score chart)
    assert '<title id="chart-time-title">' in html and '<desc id="chart-time-desc">' in html
    assert "<script" not in html and "style=" not in html


def test_the_dashboard_in_french(app, seeded):
    client = _signed_in(app, _person(app, "sup", "supervisor", "TO-TB"))
    html = client.get(f"/staff/quality?{OCTOBER}&lang=fr").get_data(as_text=True)
    assert '<html lang="fr">' in html
    assert "Qualité du service" in html and "Décisions par permis" in html
    row = re.search(rf'<tr id="permit-{ZONING}-TO-TB">(.*?)</tr>', html, re.S).group(1)
    assert re.search(r'class="median">9,0<', row) and re.search(r'class="p90">25,0<', row)
    assert re.search(r"50,0\s%", row)


@pytest.mark.parametrize(("reach", "sees_toronto"), [("CA", True), ("CA-ON", True), ("CA-BC", False)])
def test_an_administrator_sees_their_jurisdiction(app, seeded, reach, sees_toronto):
    client = _signed_in(app, _person(app, "boss", "admin", reach=reach))
    html = client.get(f"/staff/quality?{OCTOBER}").get_data(as_text=True)
    assert (f'id="permit-{ZONING}-TO-TB"' in html) == sees_toronto


@pytest.mark.parametrize(("role", "agency"), [("clerk", "TO-TB"), ("applicant", None)])
def test_clerks_and_applicants_are_refused(app, role, agency):
    client = _signed_in(app, _person(app, "someone", role, agency))
    for path in ("/staff/quality", "/staff/quality.csv", "/staff/quality-summary.csv"):
        response = client.get(path)
        assert response.status_code == 403
    assert "Only supervisors and administrators" in response.get_data(as_text=True)
    assert 'id="quality-link"' not in client.get("/account/").get_data(as_text=True)


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get("/staff/quality")
    assert response.status_code == 302 and "/account/signin" in response.headers["Location"]


def test_a_bad_period_is_shown_beside_its_field(app):
    client = _signed_in(app, _person(app, "sup", "supervisor", "TO-TB"))
    response = client.get("/staff/quality?from=2026-11-01&to=2026-10-01")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'class="error-summary"' in html and 'href="#period-to"' in html
    assert 'id="period-to-error"' in html and "The last day comes before the first one." in html
    assert client.get("/staff/quality.csv?from=soon").status_code == 422
    french = client.get("/staff/quality?from=soon&lang=fr").get_data(as_text=True)
    assert "Indiquez un jour au format AAAA-MM-JJ" in french


def test_without_dates_the_last_90_days_are_shown(app):
    client = _signed_in(app, _person(app, "sup", "supervisor", "TO-TB"))
    html = client.get("/staff/quality").get_data(as_text=True)
    assert "(90 days)" in html and 'id="no-decision"' in html and 'id="no-answer"' in html


# -- CSV -----------------------------------------------------------------------------------------------


def test_the_csv_has_one_row_per_permit_and_agency(app, seeded):
    client = _signed_in(app, _person(app, "sup", "supervisor", "TO-TB"))
    response = client.get(f"/staff/quality.csv?{OCTOBER}")
    assert response.get_data(as_text=True).splitlines()[0] == ",".join(PERMIT_COLUMNS)
    rows = _csv(response)
    assert {row["agency_code"] for row in rows} == {"TO-TB"}
    zoning = next(row for row in rows if row["permit_code"] == ZONING)
    assert zoning["period_from"] == "2026-10-01" and zoning["period_to"] == "2026-10-31"
    assert (zoning["decided"], zoning["approved"], zoning["rejected"]) == ("6", "5", "1")
    assert zoning["median_days_to_decision"] == "9.00" and zoning["p90_days_to_decision"] == "25.00"
    assert zoning["decided_within_expected_time"] == "3" and zoning["share_within_expected_time"] == "0.5000"
    assert (zoning["info_requests"], zoning["cases_asked_for_info"]) == ("2", "1")
    assert zoning["info_requests_per_decided_case"] == "0.33"
    assert zoning["agency_name"].startswith("Toronto Building")


def test_the_summary_csv_has_the_applications_and_the_survey(app, seeded):
    with app.app_context():
        session = app_session()
        for application_id, score in zip(seeded[:3], (5, 4, 2), strict=True):
            application = session.get(Application, application_id)
            answer_survey(session, application, score=score, comment=None, language="en", now=PERIOD.start)
        session.commit()
    client = _signed_in(app, _person(app, "boss", "admin", reach="3520005"))
    rows = _csv(client.get(f"/staff/quality-summary.csv?{OCTOBER}"))
    assert list(rows[0]) == list(SUMMARY_COLUMNS) and len(rows) == 1
    summary = rows[0]
    assert (summary["applications_started"], summary["applications_licensed"]) == ("6", "5")
    assert summary["survey_responses"] == "3" and summary["survey_mean_score"] == "3.67"
    assert [summary[f"survey_score_{score}"] for score in range(1, 6)] == ["0", "1", "0", "1", "1"]
    html = client.get(f"/staff/quality?{OCTOBER}").get_data(as_text=True)
    assert (
        html.count("<svg") == 3 and 'id="chart-scores"' in html and re.search(r'id="mean-score">3\.67<', html)
    )


# -- statements ---------------------------------------------------------------------------------------


def _statements_for_page(app, client) -> int:
    with counted(app) as statements:
        assert client.get(f"/staff/quality?{OCTOBER}").status_code == 200
    return len(statements)


def test_the_page_costs_the_same_few_statements_however_many_applications(app):
    client = _signed_in(app, _person(app, "sup", "supervisor", "TO-TB"))
    with app.app_context():
        session = app_session()
        seed(session, licensed_days=(3,), vancouver=False)
        session.commit()
    assert client.get("/staff/quality").status_code == 200  # loads the packs into the process's cache
    few = _statements_for_page(app, client)
    with app.app_context():
        session = app_session()
        seed(session, licensed_days=(1, 2, 4, 8, 16), vancouver=False)
        session.commit()
    assert _statements_for_page(app, client) == few <= 10


# -- the survey on the applicant's dashboard ---------------------------------------------------------


def _application(app, make, email: str) -> int:
    with app.app_context():
        session = app_session()
        from sqlalchemy import select

        from accounts.models import User

        owner = session.scalar(select(User).where(User.email == email))
        application, _ = make(session, owner)
        session.commit()
        return application.id


@pytest.fixture
def ada(app) -> str:
    return _person(app, "ada")


def test_the_survey_is_offered_on_the_dashboard_once_licensed(app, browser, ada):
    application_id = _application(app, licensed_application, ada)
    sign_in(browser, ada)
    html = browser.get(f"/applications/{application_id}").get_data(as_text=True)
    assert 'id="survey"' in html
    assert re.search(r'<fieldset id="survey-score">\s*<legend>How satisfied are you', html)
    assert html.count('type="radio"') == 5 and 'for="survey-comment"' in html
    french = browser.get(f"/applications/{application_id}?lang=fr").get_data(as_text=True)
    assert "Dans quelle mesure êtes-vous satisfait" in french


def test_the_survey_is_not_offered_before_the_licence(app, browser, ada):
    application_id = _application(app, paid_application, ada)
    sign_in(browser, ada)
    page = browser.get(f"/applications/{application_id}").get_data(as_text=True)
    assert 'id="survey"' not in page
    response = browser.post(
        f"/applications/{application_id}/survey", data={"csrf_token": csrf_token(page), "survey-score": "5"}
    )
    assert response.status_code == 409
    assert "The survey opens once your licence is issued." in response.get_data(as_text=True)


def test_answering_the_survey_once_with_field_errors_csrf_and_a_clear_second_refusal(app, browser, ada):
    application_id = _application(app, licensed_application, ada)
    sign_in(browser, ada)
    path = f"/applications/{application_id}/survey"
    token = csrf_token(browser.get(f"/applications/{application_id}").get_data(as_text=True))

    assert browser.post(path, data={"survey-score": "5"}).status_code == 400  # no CSRF token

    refused = browser.post(path, data={"csrf_token": token, "survey-comment": "x" * 1001})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert "<title>Error: " in html
    assert 'href="#survey-score"' in html and 'href="#survey-comment"' in html  # the error summary
    assert 'id="survey-score-error"' in html and "Choose a score from 1 to 5." in html
    # the question keeps its own question mark in the summary, with no colon after it
    assert "through Guichet? Choose a score from 1 to 5.</a>" in html
    assert "Keep your comment to 1000 characters or fewer." in html
    assert 'aria-invalid="true"' in html and "x" * 1001 in html  # what was typed is kept

    answered = browser.post(path, data={"csrf_token": token, "survey-score": "4", "survey-comment": "Fast."})
    assert answered.status_code == 302 and answered.headers["Location"].endswith("#survey")
    html = browser.get(f"/applications/{application_id}").get_data(as_text=True)
    assert "Thank you for your answer." in html and "you gave the service 4 out of 5" in html
    assert "<form" not in re.search(r'<section[^>]*id="survey".*?</section>', html, re.S).group(0)

    again = browser.post(path, data={"csrf_token": token, "survey-score": "1"})
    assert again.status_code == 409
    assert "You have already answered the survey" in again.get_data(as_text=True)


def test_only_the_owner_may_answer(app, browser, ada):
    application_id = _application(app, licensed_application, ada)
    sign_in(browser, _person(app, "mallory"))
    token = csrf_token(browser.get("/account/").get_data(as_text=True))
    response = browser.post(
        f"/applications/{application_id}/survey", data={"csrf_token": token, "survey-score": "1"}
    )
    assert response.status_code == 404
