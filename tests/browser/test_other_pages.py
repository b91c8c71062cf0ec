"""The pages the journey never reaches, in a real browser, in English and in French.

The state each page needs is seeded through the domain (`tests/factories.py`), not clicked to:
the applicant has a draft, a licensed restaurant whose permits expire in 20 days, and a paid one
waiting for Toronto's agencies; another applicant has a licence that was revoked. Then:
the applicant signs in (a wrong password first), reads the list of applications and the account
page, changes a draft's answers up to the preview, renews (the form, the bill, the renewed
dashboard), opens a workflow's page, and tries another applicant's application (404); a
supervisor reassigns a task (no colleague chosen first); the clerk refuses the permit (no reason
first); a visitor signs up with mistakes, mistypes a licence number, checks an unknown and a
revoked one, and opens an address that does not exist. Every page is screenshotted into
build/screenshots/other-<language>/ and checked by axe-core and `Tour.check`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page

from accounts.service import create_account
from app.db import db_session
from licences.issuance import latest_licence, revoke_licence
from tests.answer_sets import TORONTO_FULL_NO_SIGN
from tests.browser.conftest import LiveServer
from tests.browser.pages import Tour, follow
from tests.browser.steps import sign_in
from tests.conftest import POSTGRES_URL
from tests.factories import draft_application, licensed_application, paid_application, user
from tests.web.conftest import PASSWORD
from workflows.applications.store import cases_of
from workflows.db import utcnow

APPLICANT = "ada@example.ca"
SUPERVISOR = "sup@agency.example.ca"
CLERK = "clerk@agency.example.ca"
CLERK_NAME = "Camille Roy"
REVOCATION = {"en": "Issued in error.", "fr": "Délivrée par erreur."}
#: What each language's pages say, so a page in the wrong language fails at once.
WORDS = {
    "en": {
        "not-found": "Page not found",
        "revoked": "Revoked",
        "wrong-password": "email address or password is incorrect",
        "renewed": "your permits are renewed",
    },
    "fr": {
        "not-found": "Page introuvable",
        "revoked": "Révoquée",
        "wrong-password": "mot de passe",
        "renewed": "vos permis sont renouvelés",
    },
}


@dataclass(frozen=True)
class World:
    """What the seeding made: the ids and numbers the pages are reached by."""

    draft: int
    renewing: int
    others: int  # another applicant's application
    task: int  # a permit case of the paid application, waiting for a clerk of `agency`
    agency: str
    revoked: str  # the other applicant's licence number, revoked


def seed(server: LiveServer, language: str) -> World:
    """The state every page needs; the revocation's reason, typed by staff, in the tour's language."""
    with server.app.app_context():
        session = db_session()
        ada = create_account(session, email=APPLICANT, password=PASSWORD, name="Ada Lovelace")
        draft, _ = draft_application(session, ada)
        renewing, _ = licensed_application(session, ada, TORONTO_FULL_NO_SIGN)
        soon = utcnow() + timedelta(days=20)  # inside the 60 days before expiry when renewal opens
        for case in cases_of(session, renewing.id):
            if case.expires_at is not None:
                case.expires_at = soon
        paid, _ = paid_application(session, ada, TORONTO_FULL_NO_SIGN)
        task = next(case for case in cases_of(session, paid.id) if case.waiting_on == "clerk")
        for email, name, role in ((CLERK, CLERK_NAME, "clerk"), (SUPERVISOR, "Sam Gagnon", "supervisor")):
            create_account(
                session, email=email, password=PASSWORD, name=name, role=role, agency_code=task.agency_code
            )
        others, _ = licensed_application(session, user(session), TORONTO_FULL_NO_SIGN)
        licence = latest_licence(session, others.id)
        revoke_licence(session, licence, reason=REVOCATION[language], actor_id=None, now=utcnow())
        session.commit()
        return World(draft.id, renewing.id, others.id, task.id, task.agency_code, licence.number)


def open_tab(tour: Tour, chromium: Browser) -> Page:
    """A new visitor (cookie jar) whose session has picked the tour's language.

    Picked by a request outside the tab: a page would have the browser ask for /favicon.ico
    after it, and that answer, racing the next page's, could put back a session without the
    next form's CSRF token.
    """
    context = chromium.new_context(locale="en-CA")
    assert context.request.get(f"{tour.base_url}/?lang={tour.language}").ok
    return tour.open(context)


def submit(page: Page, form: str = "main form") -> None:
    follow(page, page.locator(f"{form} button[type=submit]").first)


def errors_link_to_fields(page: Page, name: str) -> None:
    """The error summary is there, and each of its links leads to a field that says it is wrong."""
    links = page.locator(".error-summary a")
    assert links.count() >= 1, f"{name}: no error summary"
    for href in links.evaluate_all("links => links.map(a => a.getAttribute('href'))"):
        target = page.locator(href)
        assert target.count() == 1, f"{name}: the summary links to {href}, which is not on the page"
        assert target.get_attribute("aria-invalid") == "true", f"{name}: {href} is not marked invalid"


def the_applicant(tour: Tour, chromium: Browser, world: World, words: dict[str, str]) -> None:
    page = open_tab(tour, chromium)

    # Sign-in with a wrong password, then the right one, landing on the list of applications.
    page.goto(f"{tour.base_url}/account/signin?next=/applications/")
    tour.check(page, "sign-in")
    page.fill("#email", APPLICANT)
    page.fill("#password", "not the password")
    submit(page)
    tour.check(page, "sign-in-wrong-password")
    assert words["wrong-password"] in page.locator("main").inner_text()
    page.fill("#password", PASSWORD)
    submit(page)
    assert urlsplit(page.url).path == "/applications/"
    tour.check(page, "applications")
    for application in (world.draft, world.renewing):
        assert page.locator(f'main a[href="/applications/{application}"]').count() >= 1
    page.goto(f"{tour.base_url}/account/")
    tour.check(page, "account")
    assert APPLICANT in page.locator("main").inner_text()

    # The password page, with a wrong current password: each mistake on its field.
    follow(page, page.locator('main a[href="/account/password"]'))
    tour.check(page, "password")
    page.fill("#current_password", "not the password")
    page.fill("#new_password", "short")
    page.fill("#confirm", "short")
    submit(page)
    tour.check(page, "password-mistakes")
    errors_link_to_fields(page, "password-mistakes")
    assert page.locator(".error-summary a").count() == 2  # the current password, the new one

    # The draft's answers changed (no alcohol after all), up to the preview of what would change.
    page.goto(f"{tour.base_url}/applications/{world.draft}/answers")
    tour.check(page, "answers")
    page.check('input[name="serves_alcohol"][value="no"]')
    for _round in range(3):
        submit(page)
        if page.locator("#total-after").count():
            break
    tour.check(page, "answers-preview")
    assert page.locator("#removed-ON-AGCO").count() == 1  # the liquor sales licence goes

    # The licensed restaurant, 20 days before its permits lapse: renew, pay, renewed.
    page.goto(f"{tour.base_url}/applications/{world.renewing}")
    follow(page, page.locator("#renew-link"))
    tour.check(page, "renewal")
    assert page.locator("input[name=permits]:checked").count() >= 1
    submit(page)
    assert urlsplit(page.url).path.endswith("/renewal/payment")
    tour.check(page, "renewal-payment")
    page.check('input[name=card_token][value="tok_approved"]')
    submit(page)
    assert urlsplit(page.url).path == f"/applications/{world.renewing}"
    tour.check(page, "dashboard-renewed")
    assert words["renewed"] in page.locator("main .notice").first.inner_text()

    # A workflow with a clerk's step, from the dashboard's link; then another applicant's application: 404.
    follow(page, page.locator('main a[href="/workflows/review"]').first)  # the liquor licence's
    tour.check(page, "workflow")
    assert page.locator("h1").inner_text().endswith("review")
    response = page.goto(f"{tour.base_url}/applications/{world.others}")
    assert response is not None and response.status == 404
    tour.check(page, "not-found-application")
    assert words["not-found"] in page.locator("h1").inner_text()


def the_staff(tour: Tour, chromium: Browser, world: World) -> None:
    task = f"/staff/tasks/{world.task}"
    supervisor = open_tab(tour, chromium)
    sign_in(tour, supervisor, SUPERVISOR, "supervisor", then=task)
    tour.check(supervisor, "task-supervisor")
    submit(supervisor, "#action-reassign")  # no colleague chosen
    tour.check(supervisor, "task-reassign-no-colleague")
    errors_link_to_fields(supervisor, "task-reassign-no-colleague")
    assert supervisor.locator("#reassign-clerk_id").get_attribute("aria-invalid") == "true"
    supervisor.locator("#reassign-clerk_id").select_option(label=CLERK_NAME)
    submit(supervisor, "#action-reassign")
    tour.check(supervisor, "task-reassigned")
    assert CLERK_NAME in supervisor.locator("#claimed-by").inner_text()

    clerk = open_tab(tour, chromium)
    sign_in(tour, clerk, CLERK, "clerk", then=task)
    tour.check(clerk, "task-clerk")
    submit(clerk, "#action-reject")  # no reason given
    tour.check(clerk, "task-reject-no-reason")
    errors_link_to_fields(clerk, "task-reject-no-reason")
    assert clerk.locator("#reject-reason").get_attribute("aria-invalid") == "true"
    clerk.fill(
        "#reject-reason",
        "Le zonage ne permet pas ce commerce ici." if tour.language == "fr" else "Zoning forbids it.",
    )
    submit(clerk, "#action-reject")
    assert urlsplit(clerk.url).path == "/staff/queue"
    tour.check(clerk, "queue-after-refusal")


def the_visitor(tour: Tour, chromium: Browser, world: World, words: dict[str, str]) -> None:
    page = open_tab(tour, chromium)

    page.goto(f"{tour.base_url}/account/signup")
    tour.check(page, "sign-up")
    page.fill("#email", "not an address")
    page.fill("#password", "short")
    page.fill("#confirm", "different")
    submit(page)
    tour.check(page, "sign-up-mistakes")
    errors_link_to_fields(page, "sign-up-mistakes")

    response = page.goto(f"{tour.base_url}/verify/?number=GL-12")
    assert response is not None and response.status == 422
    tour.check(page, "verify-mistyped")
    assert page.locator("#number").get_attribute("value") == "GL-12"
    assert page.locator("#number").get_attribute("aria-invalid") == "true"
    response = page.goto(f"{tour.base_url}/verify/GL-0000000000-1")
    assert response is not None and response.status == 404
    tour.check(page, "verify-unknown")
    page.goto(f"{tour.base_url}/verify/{world.revoked}")
    tour.check(page, "verify-revoked")
    assert words["revoked"] in page.locator("main").inner_text()
    assert REVOCATION[tour.language] in page.locator("main").inner_text()

    response = page.goto(f"{tour.base_url}/no/such/page")
    assert response is not None and response.status == 404
    tour.check(page, "not-found")
    assert words["not-found"] in page.locator("h1").inner_text()


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_pages_the_journey_does_not_reach(chromium: Browser, live_server_on, screenshots, language: str):
    server: LiveServer = live_server_on(
        "postgresql" if language == "fr" and POSTGRES_URL else "sqlite", with_clerks=False
    )
    world = seed(server, language)
    tour = Tour(server.url, screenshots(f"other-{language}"), language)
    words = WORDS[language]
    the_applicant(tour, chromium, world, words)
    the_staff(tour, chromium, world)
    the_visitor(tour, chromium, world, words)
    print(f"\n{tour.count} pages screenshotted in {tour.folder}; axe ran on {tour.axe_runs}")
