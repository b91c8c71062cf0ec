"""Steps of the journey through the pages, with the mouse: each one checks every page it reaches."""

from __future__ import annotations

from urllib.parse import urlsplit

from playwright.sync_api import Page

from tests.browser.journey import form_value, triage_answers
from tests.browser.pages import Tour, follow
from tests.web.conftest import PASSWORD

#: The names of a form's fields a person fills in (not its token, nor its buttons).
FORM_FIELDS = """els => [...new Set(els.map(e => e.name))]
  .filter(n => n && !['csrf_token', '_shown', '_action'].includes(n))"""


def choose_toronto(tour: Tour, page: Page) -> None:
    """From the home page to Toronto's first questions."""
    follow(page, page.locator("main a.button"))
    tour.check(page, "triage-municipality")
    page.select_option("#jurisdiction", "3520005")
    follow(page, page.locator("main form button[type=submit]"))
    tour.check(page, "triage-questions")


def answer_triage(tour: Tour, page: Page, answers: dict[str, str] | None = None) -> None:
    """Answer every question on the page, Continue, and again for the follow-ups, up to the results."""
    answers = triage_answers() if answers is None else answers
    for round_ in range(1, 6):
        for question, value in answers.items():
            radio = page.locator(f'input[type=radio][name="{question}"][value="{value}"]')
            if radio.count():
                radio.check()
            elif page.locator(f'input[name="{question}"]').count():
                page.fill(f'input[name="{question}"]', value)
        follow(page, page.locator("main form button[type=submit]"))
        if page.locator("form.apply").count():
            tour.check(page, "triage-results")
            return
        tour.check(page, f"triage-follow-up-{round_}")
    raise AssertionError("the triage never reached its results")


def sign_up(tour: Tour, page: Page, name: str, email: str) -> None:
    """From the results: Apply, create an account, and make the application (answers kept)."""
    follow(page, page.locator("form.apply button"))
    tour.check(page, "apply-start")
    follow(page, page.locator("main a.button.secondary"))
    tour.check(page, "sign-up")
    page.fill("#name", name)
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.fill("#confirm", PASSWORD)
    follow(page, page.locator("main form button[type=submit]"))
    tour.check(page, "apply-make")
    follow(page, page.locator("main form button[type=submit]"))
    tour.check(page, "application-form")


def fill_form_fields(page: Page) -> list[str]:
    """Type a valid value into every field of the application form on the page; their names."""
    names = page.eval_on_selector_all(
        "main form [name]",
        FORM_FIELDS,
    )
    for name in names:
        kind, value = form_value(name)
        if kind in ("yes_no",):
            page.check(f'input[name="{name}"][value="{value}"]')
        elif kind == "choice":
            page.select_option(f'select[name="{name}"]', value)
        else:
            page.fill(f'[name="{name}"]', value)
    return names


def fill_the_form(tour: Tour, page: Page) -> None:
    """Every field, then Save and continue, up to the consent page."""
    for round_ in range(1, 4):
        fill_form_fields(page)
        follow(page, page.locator("main form button[value=continue]"))
        if "/consent" in page.url:
            tour.check(page, "consent")
            return
        tour.check(page, f"application-form-{round_}")
    raise AssertionError("the form never led to the consent page")


def consent_and_pay(tour: Tour, page: Page) -> None:
    """Tick every agency, submit, then pay with the simulated processor's approved test card."""
    for box in page.locator("input[name=agencies]").all():
        box.check()
    follow(page, page.locator("main form button[type=submit]"))
    tour.check(page, "dashboard-submitted")
    follow(page, page.locator('nav a[href$="/payment"]'))
    tour.check(page, "payment")
    page.check('input[name=card_token][value="tok_approved"]')
    follow(page, page.locator("main form button[type=submit]"))
    tour.check(page, "dashboard-paid")


def sign_in(tour: Tour, page: Page, email: str, name: str, then: str) -> None:
    """Sign in through the sign-in page, asked for on the way to `then` (a path), and land there."""
    page.goto(f"{tour.base_url}/account/signin?next={then}")
    tour.check(page, f"sign-in-{name}")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    follow(page, page.locator("main form button[type=submit]"))
    assert urlsplit(page.url).path == then
