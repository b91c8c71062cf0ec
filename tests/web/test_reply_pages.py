"""The applicant's answer to a clerk's request for more information, from the dashboard, through HTTP
with CSRF on; the task then comes back to the clerk who asked."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from accounts.models import User
from accounts.service import create_account
from tests.web.conftest import PASSWORD, csrf_token
from tests.web.test_staff_pages import (
    APPLICANT,
    CLERK,
    CLERK2,
    ZONING,
    World,
    act,
    database,
    flashed,
    make_world,
    page_of,
    row,
    signed_in,
    task_url,
    zoning_case,
)

QUESTION = "Send the site plan, please.\nWith the patio drawn on it."


@pytest.fixture
def world(app, browser) -> World:  # `browser` turns CSRF protection on for every client of the app
    return make_world(app)


def dashboard_url(world: World) -> str:
    return f"/applications/{world.application_id}"


def answer_url(world: World, code: str = ZONING) -> str:
    return f"{dashboard_url(world)}/permits/{code}/provide-info"


def answer(client, world: World, text: str, code: str = ZONING):
    """Post the answer form as the dashboard would, with the page's CSRF token."""
    token = csrf_token(page_of(client.get(dashboard_url(world))))
    return client.post(answer_url(world, code), data={f"answer-{code}-message": text, "csrf_token": token})


def article(page: str, code: str = ZONING) -> str:
    return re.search(rf'<article class="permit" id="permit-{code}">(.*?)</article>', page, re.S).group(1)


def ask(app, world: World):
    """The clerk claims the zoning review and asks the applicant for the site plan."""
    clerk = signed_in(app, CLERK)
    assert act(clerk, world, "claim").status_code == 302
    asked = act(clerk, world, "request-info", **{"request_info-message": QUESTION})
    assert asked.status_code == 302 and asked.location.endswith("/staff/queue")
    assert "comes back to you" in flashed(page_of(clerk.get(asked.location)))
    return clerk


def test_the_applicant_answers_from_the_dashboard_and_the_task_returns_to_the_clerk_who_asked(app, world):
    clerk = ask(app, world)
    assert f'id="task-{world.task_id}"' not in page_of(clerk.get("/staff/queue"))  # waiting for the answer
    applicant = signed_in(app, APPLICANT)
    page = page_of(applicant.get(dashboard_url(world)))
    assert f'<a href="#question-{ZONING}">' in page  # the question is announced at the top
    permit = article(page)
    assert "Toronto Building asks:" in permit
    assert html.escape(QUESTION) in permit and 'class="clerk-message"' in permit
    assert f'action="{answer_url(world)}"' in permit
    assert f'<label for="answer-{ZONING}-message">Your answer</label>' in permit

    empty = answer(applicant, world, "  ")
    assert empty.status_code == 422
    refused = page_of(empty)
    assert f'<a href="#answer-{ZONING}-message">' in refused and "Write your answer." in refused
    assert f'id="answer-{ZONING}-message-error"' in refused and "<title>Error:" in refused
    assert zoning_case(app, world).state == "review_info_requested"

    sent = answer(applicant, world, "Attached to our file, page 3.")
    assert sent.status_code == 302 and sent.location.endswith(f"{dashboard_url(world)}#permit-{ZONING}")
    after = page_of(applicant.get(dashboard_url(world)))
    assert "Your answer is sent." in flashed(after)
    assert 'id="questions-waiting"' not in after and "clerk-message" not in after

    case = zoning_case(app, world)
    with database(app) as session:
        clerk_id = session.scalar(select(User.id).where(User.email == CLERK))
    assert case.state == "review" and case.claimed_by_id == clerk_id
    assert "You" in row(page_of(clerk.get("/staff/queue")), world.task_id)
    assert f'id="task-{world.task_id}"' not in page_of(signed_in(app, CLERK2).get("/staff/queue"))
    task = page_of(clerk.get(task_url(world)))
    history = re.search(r'<table class="data history" id="history">(.*?)</table>', task, re.S).group(1)
    assert "Information provided" in history and "Attached to our file, page 3." in history
    assert "Ada Lovelace, the applicant" in history and html.escape(QUESTION) in history
    assert 'id="action-approve"' in task  # the clerk can decide again


def test_answering_when_nothing_is_asked_says_so(app, world):
    applicant = signed_in(app, APPLICANT)
    page = page_of(applicant.get(dashboard_url(world)))
    assert 'id="questions-waiting"' not in page and "provide-info" not in page
    nothing = answer(applicant, world, "Here is everything.")
    assert nothing.status_code == 409
    assert "Nothing is asked of you for this permit now" in page_of(nothing)
    assert zoning_case(app, world).state == "review"
    assert answer(applicant, world, "Hello.", code="NO-SUCH-PERMIT").status_code == 404


def test_another_applicant_cannot_answer_and_posts_need_a_csrf_token(app, world):
    ask(app, world)
    with database(app) as session:
        create_account(session, email="eve@example.ca", password=PASSWORD, name="Eve")
    eve = signed_in(app, "eve@example.ca")
    token = csrf_token(page_of(eve.get("/applications/")))
    data = {f"answer-{ZONING}-message": "Mine now.", "csrf_token": token}
    assert eve.post(answer_url(world), data=data).status_code == 404
    assert eve.get(dashboard_url(world)).status_code == 404
    applicant = signed_in(app, APPLICANT)
    assert applicant.post(answer_url(world), data={f"answer-{ZONING}-message": "Yes."}).status_code == 400
    assert zoning_case(app, world).state == "review_info_requested"
    anonymous = app.test_client()
    own_token = csrf_token(page_of(anonymous.get("/account/signin")))
    sent_away = anonymous.post(answer_url(world), data={"csrf_token": own_token})
    assert sent_away.status_code == 302 and "/account/signin" in sent_away.location


def test_the_question_and_its_form_speak_french(app, world):
    ask(app, world)
    applicant = signed_in(app, APPLICANT, language="fr")
    permit = article(page_of(applicant.get(dashboard_url(world))))
    assert "Votre réponse" in permit and "Envoyer votre réponse" in permit
    assert "Écrivez votre réponse." in page_of(answer(applicant, world, ""))
