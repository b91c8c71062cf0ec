"""The core forms with JavaScript turned off, mistakes included; and every asset served by the app."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page

from tests.browser.conftest import LiveServer
from tests.browser.journey import APPLICANT_NAME, BUSINESS_NUMBER, form_value
from tests.browser.pages import Tour, follow
from tests.browser.steps import answer_triage, choose_toronto, consent_and_pay, fill_form_fields
from tests.web.conftest import PASSWORD


def errors_point_at_fields(page: Page) -> list[str]:
    """The error summary's links, each checked to lead to a field marked invalid; their targets."""
    links = page.locator(".error-summary a").all()
    assert links, "no error summary"
    targets = [link.get_attribute("href") for link in links]
    for target in targets:
        assert target.startswith("#") and page.locator(target).count() == 1, target
    return targets


def test_triage_sign_up_form_consent_and_payment_without_javascript(
    chromium: Browser, live_server: LiveServer, screenshots
):
    tour = Tour(live_server.url, screenshots("no-javascript"), "en")
    tour.axe_tab = chromium.new_page()
    tour.axe_tab.goto(live_server.url + "/healthz")  # the site's origin, so the copies find the CSS
    page = tour.open(chromium.new_context(java_script_enabled=False, locale="en-CA"))
    page.goto(live_server.url + "/")
    tour.check(page, "home")
    choose_toronto(tour, page)

    # Continue with nothing answered: every question says so, from a summary linking to it.
    follow(page, page.locator("main form button[type=submit]"))
    tour.check(page, "questions-unanswered")
    assert len(errors_point_at_fields(page)) == page.locator("main form .question").count() > 1
    answer_triage(tour, page)

    # Apply; a sign-up with passwords that differ is refused at the field, then accepted.
    follow(page, page.locator("form.apply button"))
    follow(page, page.locator("main a.button.secondary"))
    page.fill("#name", APPLICANT_NAME)
    page.fill("#email", "nojs@example.ca")
    page.fill("#password", PASSWORD)
    page.fill("#confirm", PASSWORD + " typo")
    follow(page, page.locator("main form button[type=submit]"))
    tour.check(page, "sign-up-error")
    assert errors_point_at_fields(page) == ["#confirm"]
    assert page.locator("#confirm").get_attribute("aria-invalid") == "true"
    page.fill("#password", PASSWORD)
    page.fill("#confirm", PASSWORD)
    follow(page, page.locator("main form button[type=submit]"))
    follow(page, page.locator("main form button[type=submit]"))  # Make my application
    tour.check(page, "application-form")

    # The form with a bad email address: refused at that field, the other values kept.
    names = fill_form_fields(page)
    email_field = next(name for name in names if page.locator(f'input[type=email][name="{name}"]').count())
    page.fill(f'[name="{email_field}"]', "not an address")
    follow(page, page.locator("main form button[value=continue]"))
    tour.check(page, "application-form-error")
    assert errors_point_at_fields(page) == [f"#{email_field}"]
    business_number = next(name for name in names if form_value(name)[0] == "business_number")
    assert page.locator(f'[name="{business_number}"]').input_value() == BUSINESS_NUMBER  # kept
    fill_form_fields(page)
    follow(page, page.locator("main form button[value=continue]"))
    tour.check(page, "consent")

    # Submitting without consent names the agencies still to agree; then consent, submit and pay.
    follow(page, page.locator("main form button[type=submit]"))
    tour.check(page, "consent-missing")
    assert page.locator("#missing li").count() >= 1
    consent_and_pay(tour, page)
    follow(page, page.locator('nav a[href$="/payment"]'))
    tour.check(page, "payment-paid")
    assert page.locator("#paid-at").count() == 1
    assert page.locator("#receipt").count() == 1


def test_every_asset_is_served_by_the_app(chromium: Browser, live_server: LiveServer):
    """The pages' CSS, and anything it refers to, come from the app's own static folder."""
    context = chromium.new_context()
    page = context.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(live_server.url + "/")
    stylesheets = page.eval_on_selector_all("link[rel=stylesheet]", "links => links.map(l => l.href)")
    assert stylesheets == [f"{live_server.url}/static/guichet.css"]
    css = context.request.get(stylesheets[0])
    assert css.ok and css.headers["content-type"].startswith("text/css")
    # Fonts, images or imports from the CSS would be fetched from these: only local ones allowed.
    for reference in re.findall(r"url\(\s*['\"]?([^'\")]+)|@import\s+['\"]([^'\"]+)", css.text()):
        address = next(part for part in reference if part)
        assert not re.match(r"^(https?:)?//", address), address
        assert context.request.get(f"{live_server.url}/static/{address}").ok, address
    assert all(url.startswith(live_server.url + "/") for url in requested), requested
    assert page.locator("script").count() == 0  # the pages need no script at all
