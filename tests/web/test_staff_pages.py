"""The clerks' pages through HTTP, CSRF on, with staff signing in on the real sign-in page: the work
queue, a task's page and each action; who may see what; English and French.

Several people use the site in one test (two clerks, a supervisor, the applicant), so the
data is made in an application context of its own and every request runs in its own, as
in production: a shared context would keep the first person signed in for every client.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

import pytest
from babel.dates import format_date
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accounts.models import User
from accounts.service import create_account, issue_token
from app.db import db_session
from tests.factories import paid_application
from tests.web.conftest import PASSWORD, csrf_token, sign_in
from workflows.applications.store import cases_of, chain_of
from workflows.audit.models import AuditEntry
from workflows.db import utcnow
from workflows.models import Application, PermitCase
from workflows.tasks import queue as queue_module

ZONING = "TO-ZONING"  # Toronto Building's (TO-TB) first task of a paid Toronto restaurant


@contextmanager
def database(app) -> Iterator[Session]:
    """A session in an application context of its own, committed at the end (into the test's
    outer transaction, which is rolled back after the test)."""
    with app.app_context():
        session = db_session()
        yield session
        session.commit()


@dataclass(frozen=True)
class World:
    application_id: int
    task_id: int  # the zoning review's permit case


STAFF = {
    "clerk@tb.example.ca": ("Clara Clerk", "clerk", "TO-TB"),
    "clerk2@tb.example.ca": ("Colin Clerk", "clerk", "TO-TB"),
    "boss@tb.example.ca": ("Sam Supervisor", "supervisor", "TO-TB"),
    "clerk@tph.example.ca": ("Hana Health", "clerk", "TO-TPH"),
}
CLERK, CLERK2, SUPERVISOR, HEALTH = STAFF
APPLICANT = "ada@example.ca"


def make_world(app) -> World:
    """A paid Toronto restaurant of Ada's, who can sign in. Staff accounts are made as they first
    sign in (each real password hash takes a while)."""
    with database(app) as session:
        owner = create_account(session, email=APPLICANT, password=PASSWORD, name="Ada Lovelace")
        application, _result = paid_application(session, owner)
        (zoning,) = [case for case in cases_of(session, application.id) if case.permit_code == ZONING]
        return World(application.id, zoning.id)


@pytest.fixture
def world(app, browser) -> World:  # `browser` turns CSRF protection on for every client of the app
    return make_world(app)


def staff_account(app, email: str) -> None:
    """One of TO-TB's two clerks and supervisor, or TO-TPH's clerk, made once."""
    name, role, agency = STAFF[email]
    with database(app) as session:
        if session.scalar(select(User.id).where(User.email == email)) is None:
            create_account(session, email=email, password=PASSWORD, name=name, role=role, agency_code=agency)


def signed_in(app, email: str, language: str | None = None):
    """A browser of its own, signed in through the sign-in page (in `language` if given, chosen first)."""
    if email in STAFF:
        staff_account(app, email)
    client = app.test_client()
    if language:
        client.get(f"/?lang={language}")
    response = sign_in(client, email)
    assert response.status_code == 302, email
    return client


def page_of(response) -> str:
    return response.get_data(as_text=True)


def task_url(world: World, action: str | None = None) -> str:
    base = f"/staff/tasks/{world.task_id}"
    return f"{base}/{action}" if action else base


def act(client, world: World, action: str, **data):
    """Post an action's form as the task page would, with the page's CSRF token."""
    token = csrf_token(page_of(client.get("/staff/queue")))
    return client.post(task_url(world, action), data={**data, "csrf_token": token})


def zoning_case(app, world: World) -> PermitCase:
    with database(app) as session:
        case = session.get(PermitCase, world.task_id)
        session.expunge(case)
        return case


def row(page: str, task_id: int) -> str:
    return re.search(rf'<tr id="task-{task_id}"[^>]*>(.*?)</tr>', page, re.S).group(1)


def set_due(app, world: World, due) -> None:
    with database(app) as session:
        session.get(PermitCase, world.task_id).decision_due_at = due


def waiting_for_clerks(app) -> int:
    """How many of TO-TB's tasks wait for a clerk: a clerk's whole queue, nothing claimed yet."""
    with database(app) as session:
        of_tb = (PermitCase.agency_code == "TO-TB", PermitCase.waiting_on == "clerk")
        return session.scalar(select(func.count()).where(*of_tb))


def tasks(count: int) -> str:
    return f"{count} task" if count == 1 else f"{count} tasks"


def flashed(page: str) -> str:
    return html.unescape(re.search(r'<div class="notice" role="status">(.*?)</div>', page, re.S).group(1))


# -- the queue ---------------------------------------------------------------------------------


def test_the_queue_lists_the_task_with_its_due_date_and_marks_it_overdue_in_words(app, world):
    clerk = signed_in(app, CLERK)
    due = utcnow() + timedelta(days=3)
    set_due(app, world, due)
    page = page_of(clerk.get("/staff/queue"))
    assert "Work queue: Toronto Building" in page
    assert re.search(r"<caption>[^<]+</caption>", page) and '<th scope="col">Due</th>' in page
    line = row(page, world.task_id)
    assert f'href="/staff/tasks/{world.task_id}"' in line and "Zoning review for a business licence" in line
    assert f"<td>{world.application_id}</td>" in line and "Toronto" in line and "Review" in line
    assert format_date(due, "long", locale="en") in line
    assert "Overdue" not in line and "Nobody yet" in line
    assert f'<p id="task-count">{tasks(waiting_for_clerks(app))}</p>' in page
    assert "Waiting on" not in page  # a supervisor's column

    set_due(app, world, utcnow() - timedelta(days=1))
    late = page_of(clerk.get("/staff/queue"))
    assert f'<tr id="task-{world.task_id}" class="overdue">' in late
    assert '<strong class="tag overdue-tag">Overdue</strong>' in row(late, world.task_id)


def test_the_queue_is_filtered_and_paginated_keeping_its_filters(app, world):
    with database(app) as session:
        owner = session.get(User, session.get(Application, world.application_id).owner_id)
        other_id = paid_application(session, owner)[0].id
    clerk = signed_in(app, CLERK)
    everything = page_of(clerk.get("/staff/queue"))
    assert f'<p id="task-count">{tasks(waiting_for_clerks(app))}</p>' in everything
    assert '<option value="TO-ZONING">Zoning review for a business licence</option>' in everything
    assert '<option value="review">Review</option>' in everything
    assert '<option value="3520005">Toronto</option>' in everything
    assert 'for="permit"' in everything and 'for="state"' in everything and 'for="municipality"' in everything

    first = page_of(clerk.get("/staff/queue?permit=TO-ZONING&page_size=1"))
    assert "2 tasks" in first and "page 1 of 2" in first
    next_link = html.unescape(re.search(r'<a href="([^"]+)" rel="next">', first).group(1))
    assert "permit=TO-ZONING" in next_link and "page_size=1" in next_link and "page=2" in next_link
    assert 'rel="prev"' not in first
    second = page_of(clerk.get(next_link))
    assert "page 2 of 2" in second and 'rel="prev"' in second
    shown = {int(n) for n in re.findall(r'<tr id="task-(\d+)"', first + second)}
    assert len(shown) == 2 and world.task_id in shown
    with database(app) as session:
        shown_cases = session.scalars(select(PermitCase).where(PermitCase.id.in_(shown))).all()
        assert {case.application_id for case in shown_cases} == {world.application_id, other_id}
    assert '<option selected value="TO-ZONING">' in first  # the filter stays chosen

    none = page_of(clerk.get("/staff/queue?permit=TO-HEALTH"))  # Toronto Public Health's
    assert "No task matches these filters." in none and "0 tasks" in none
    assert '<option selected value="TO-HEALTH">' in none  # still shown as chosen
    assert clerk.get("/staff/queue?page=0").status_code == 422


def test_a_queue_past_the_count_limit_says_more_than_and_still_pages_on(app, world, monkeypatch):
    with database(app) as session:
        owner = session.get(User, session.get(Application, world.application_id).owner_id)
        paid_application(session, owner)
    monkeypatch.setattr(queue_module, "COUNT_LIMIT", 1)  # three of TO-TB's tasks wait for a clerk
    clerk = signed_in(app, CLERK)
    first = page_of(clerk.get("/staff/queue?page_size=1"))
    assert re.search(r'<p id="task-count">More than 1 tasks · page 1</p>', first)
    next_link = html.unescape(re.search(r'<a href="([^"]+)" rel="next">', first).group(1))
    second = page_of(clerk.get(next_link))
    assert "page 2" in second and 'rel="prev"' in second and 'rel="next"' in second
    assert len(re.findall(r'<tr id="task-', first + second)) == 2
    api = clerk.get("/api/v1/queue?page_size=1", headers={"Authorization": f"Bearer {_token(app, CLERK)}"})
    assert (api.json["total"], api.json["more"], len(api.json["tasks"])) == (1, True, 1)


def _token(app, email: str) -> str:
    with database(app) as session:
        return issue_token(session, session.scalar(select(User).where(User.email == email)))


def test_a_supervisor_sees_whose_turn_it_is_and_tasks_others_claimed(app, world):
    clerk = signed_in(app, CLERK)
    assert act(clerk, world, "claim").status_code == 302
    assert f'id="task-{world.task_id}"' not in page_of(signed_in(app, CLERK2).get("/staff/queue"))
    boss = signed_in(app, SUPERVISOR)  # Colin Clerk signed in above: a colleague to hand the task to
    page = page_of(boss.get("/staff/queue"))
    assert '<th scope="col">Waiting on</th>' in page
    line = row(page, world.task_id)
    assert "Clara Clerk" in line and "A clerk of the agency" in line
    task = page_of(boss.get(task_url(world)))
    assert 'id="action-reassign"' in task and 'id="action-release"' in task
    assert 'id="action-approve"' not in task  # decisions are the claimer's
    colleague = re.search(r'<option value="(\d+)">Colin Clerk</option>', task).group(1)
    moved = act(boss, world, "reassign", **{"reassign-clerk_id": colleague})
    assert moved.status_code == 302 and moved.location.endswith(task_url(world))
    assert "The task is now assigned to Colin Clerk." in flashed(page_of(boss.get(moved.location)))
    assert zoning_case(app, world).claimed_by_id == int(colleague)
    refused = act(boss, world, "reassign", **{"reassign-clerk_id": ""})
    assert refused.status_code == 422 and 'href="#reassign-clerk_id"' in page_of(refused)


# -- claiming and deciding ---------------------------------------------------------------------


def test_a_clerk_claims_releases_and_claims_again_and_a_colleague_is_told_it_is_taken(app, world):
    clerk = signed_in(app, CLERK)
    page = page_of(clerk.get(task_url(world)))
    assert 'id="action-claim"' in page and 'id="action-approve"' not in page and "Nobody yet" in page
    assert f'action="{task_url(world, "claim")}"' in page

    claimed = act(clerk, world, "claim")
    assert claimed.status_code == 302 and claimed.location.endswith(task_url(world))
    page = page_of(clerk.get(claimed.location))
    assert "You claimed this task" in flashed(page)
    for action in ("release", "approve", "request-info", "reject"):
        assert f'id="action-{action}"' in page, action
    assert 'id="action-claim"' not in page and 'id="action-reassign"' not in page
    assert '<dd id="claimed-by">You</dd>' in page

    taken = signed_in(app, CLERK2)
    conflict = act(taken, world, "claim")
    assert conflict.status_code == 409
    assert "Clara Clerk has already claimed this task." in html.unescape(page_of(conflict))
    assert "Nothing can be done with this task now." in page_of(conflict)

    released = act(clerk, world, "release")
    assert released.status_code == 302
    page = page_of(clerk.get(released.location))
    assert "back in the queue" in flashed(page) and 'id="action-claim"' in page
    assert zoning_case(app, world).claimed_by_id is None
    assert act(clerk, world, "claim").status_code == 302
    assert zoning_case(app, world).claimed_by_id is not None


def test_deciding_without_a_claim_says_what_can_be_done(app, world):
    clerk = signed_in(app, CLERK)
    refused = act(clerk, world, "approve")
    assert refused.status_code == 409
    page = page_of(refused)
    assert "Claim this task before deciding it." in page
    assert '<a href="#action-claim">Claim this task</a>' in page


def test_approving_with_two_conditions_grants_the_permit_with_them(app, world):
    clerk = signed_in(app, CLERK)
    act(clerk, world, "claim")
    conditions = "Keep the patio 1.5 m from the curb.\r\n\r\nNo deliveries before 7 a.m.\r\n"
    approved = act(clerk, world, "approve", **{"approve-conditions": conditions})
    assert approved.status_code == 302 and approved.location.endswith("/staff/queue")
    assert "is granted" in flashed(page_of(clerk.get(approved.location)))
    case = zoning_case(app, world)
    assert case.state == "approved" and case.claimed_by_id is None
    assert case.conditions == ["Keep the patio 1.5 m from the curb.", "No deliveries before 7 a.m."]
    boss = signed_in(app, SUPERVISOR)  # the clerk no longer sees the task; a supervisor neither (settled)
    assert boss.get(task_url(world)).status_code == 200
    page = page_of(boss.get(task_url(world)))
    assert "<li>Keep the patio 1.5 m from the curb.</li>" in page and "Approval" in page


def test_a_condition_too_long_is_refused_on_its_line(app, world):
    clerk = signed_in(app, CLERK)
    act(clerk, world, "claim")
    refused = act(clerk, world, "approve", **{"approve-conditions": "Fine.\n" + "x" * 501})
    assert refused.status_code == 422
    page = html.unescape(page_of(refused))
    assert "Line 2: Use at most 500 characters." in page and 'href="#approve-conditions"' in page
    assert zoning_case(app, world).state == "review"


@pytest.mark.money  # a refused permit's fee may be refunded: the books must still balance
def test_refusing_needs_a_reason_shown_at_its_field_then_refuses(app, world):
    clerk = signed_in(app, CLERK)
    act(clerk, world, "claim")
    silent = act(clerk, world, "reject", **{"reject-reason": "   "})
    assert silent.status_code == 422
    page = page_of(silent)
    assert page.count("Say why the permit is refused.") == 2  # in the summary and at the field
    assert '<a href="#reject-reason">' in page and 'id="reject-reason-error"' in page
    assert 'aria-invalid="true"' in page and "<title>Error:" in page
    assert zoning_case(app, world).state == "review"

    refused = act(clerk, world, "reject", **{"reject-reason": "The by-law forbids restaurants here."})
    assert refused.status_code == 302 and refused.location.endswith("/staff/queue")
    assert "is refused" in flashed(page_of(clerk.get(refused.location)))
    assert zoning_case(app, world).state == "rejected"


def test_asking_for_information_needs_a_message(app, world):
    clerk = signed_in(app, CLERK)
    act(clerk, world, "claim")
    empty = act(clerk, world, "request-info", **{"request_info-message": ""})
    assert empty.status_code == 422 and "Write what the applicant should send." in page_of(empty)
    assert act(clerk, world, "request-info", **{"request_info-message": "The site plan."}).status_code == 302
    assert zoning_case(app, world).state == "review_info_requested"


# -- who may do what ---------------------------------------------------------------------------


def test_posts_without_a_csrf_token_are_refused(app, world):
    clerk = signed_in(app, CLERK)
    assert clerk.post(task_url(world, "claim")).status_code == 400
    assert zoning_case(app, world).claimed_by_id is None


ACTIONS = ("claim", "release", "approve", "request-info", "reject", "reassign")


def test_another_agencys_clerk_gets_404_on_the_task_and_every_action(app, world):
    health = signed_in(app, HEALTH)
    assert health.get(task_url(world)).status_code == 404
    for action in ACTIONS:
        assert act(health, world, action, reason="x", message="x").status_code == 404, action
    assert health.get("/staff/tasks/987654").status_code == 404
    assert act(signed_in(app, CLERK), world, "no-such-action").status_code == 404
    assert zoning_case(app, world).claimed_by_id is None


def test_an_applicant_has_no_queue_and_anonymous_visitors_are_sent_to_sign_in(app, world):
    applicant = signed_in(app, APPLICANT)
    refused = applicant.get("/staff/queue")
    assert refused.status_code == 403 and "Only the clerks and supervisors" in page_of(refused)
    assert applicant.get(task_url(world)).status_code == 403
    assert 'id="work-queue-link"' not in page_of(applicant.get("/applications/"))
    assert 'id="work-queue-link"' in page_of(signed_in(app, CLERK).get("/applications/"))
    anonymous = app.test_client()
    for url in ("/staff/queue", task_url(world)):
        response = anonymous.get(url)
        assert response.status_code == 302 and "/account/signin" in response.location, url
    token = csrf_token(page_of(anonymous.get("/account/signin")))
    posted = anonymous.post(task_url(world, "claim"), data={"csrf_token": token})
    assert posted.status_code == 302 and "/account/signin" in posted.location


# -- what the task page shows ------------------------------------------------------------------


def test_the_task_page_shows_only_the_fields_shared_with_the_agency(app, world):
    clerk = signed_in(app, CLERK)
    page = page_of(clerk.get(task_url(world)))
    with database(app) as session:
        application = session.get(Application, world.application_id)
        chain = chain_of(session, application)
        codes = {case.permit_code for case in cases_of(session, application.id)}
        values = dict(application.form_values)
    permits = [p for p in chain.permits if p.code in codes]
    ours = {f for p in permits if p.agency.code == "TO-TB" for f in p.fields}
    theirs = {f for p in permits if p.agency.code in ("TO-TPH", "TO-MLS") for f in p.fields} - ours
    assert "floor_area_m2" in ours and "owner_full_name" in theirs
    assert 'id="field-floor_area_m2"' in page
    assert html.escape(chain.fields["floor_area_m2"].label.en, quote=True) in page
    for field_id in theirs:
        assert f'id="field-{field_id}"' not in page, field_id
        assert html.escape(chain.fields[field_id].label.en, quote=True) not in page, field_id
    assert "Only these fields were shared with Toronto Building, with the applicant's consent" in page
    assert "<caption>Fields shared with Toronto Building</caption>" in page
    assert f'<dd id="application-number">{world.application_id}</dd>' in page
    assert html.escape(values["operating_name"]) in re.search(r'id="business-name">(.*?)</dd>', page).group(1)
    assert "Zoning review for a business licence" in page and "Issued by Toronto Building" in page
    assert '<th scope="row">Payment</th>' in page  # the permit's history


def test_each_view_of_the_task_page_is_written_to_the_audit_log(app, world):
    clerk = signed_in(app, CLERK)

    def views() -> list[AuditEntry]:
        subject = f"permit_case:{world.task_id}"
        with database(app) as session:
            logged = select(AuditEntry).where(AuditEntry.subject == subject)
            logged = logged.where(AuditEntry.action == "staff.view")
            return list(session.scalars(logged.order_by(AuditEntry.id)))

    assert views() == []
    assert clerk.get(task_url(world)).status_code == 200
    (entry,) = views()
    with database(app) as session:
        assert entry.actor_id == session.scalar(select(User.id).where(User.email == CLERK))
    assert entry.details["application_id"] == world.application_id
    assert "floor_area_m2" in entry.details["fields"]
    clerk.get(task_url(world))
    assert len(views()) == 2
    signed_in(app, HEALTH).get(task_url(world))  # refused: nothing to log
    assert len(views()) == 2


def test_the_staff_pages_speak_french(app, world):
    clerk = signed_in(app, CLERK, language="fr")
    queue = page_of(clerk.get(f"/staff/queue?permit={ZONING}"))
    assert '<html lang="fr">' in queue
    assert "File de travail : Service du bâtiment de Toronto" in queue
    assert "Examen de zonage pour un permis d&#39;entreprise" in queue and "1 tâche</p>" in queue
    assert '<th scope="col">Échéance</th>' in queue and "<td>Examen</td>" in queue
    assert '<label for="permit">Permis</label>' in queue and "Tous les permis" in queue
    page = html.unescape(page_of(clerk.get(task_url(world))))
    assert "Prendre cette tâche" in page and "Historique" in page
    assert "Délivré par Service du bâtiment de Toronto" in page
    assert "Seuls ces champs ont été communiqués" in page
    act(clerk, world, "claim")
    refused = page_of(act(clerk, world, "reject", **{"reject-reason": ""}))
    assert "Dites pourquoi le permis est refusé." in refused
