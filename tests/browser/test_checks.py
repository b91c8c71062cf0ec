"""The checks every browser test relies on catch what they are for: were axe-core not injected, or
the comparison with English or with the site's address broken, the journeys would pass regardless."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser

from tests.browser.conftest import LiveServer
from tests.browser.pages import Tour

FAULTY = """<!doctype html><html lang="en"><head><title>Faulty</title></head><body><main>
<h1>Faulty</h1>
<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
<input type="text" name="unlabelled">
<p style="color: #bbbbbb; background: #ffffff">Faint text</p>
</main></body></html>"""


def test_axe_reports_each_violation_by_rule_and_element(chromium: Browser, tmp_path):
    page = chromium.new_page()
    page.set_content(FAULTY)
    with pytest.raises(AssertionError) as failure:
        Tour("http://127.0.0.1", tmp_path, "en").axe(page, "faulty")
    report = str(failure.value)
    for rule in ("image-alt", "label", "color-contrast"):
        assert f"- {rule} " in report
    assert "    input" in report and "    img" in report  # each violation names its elements
    page.close()


def test_the_page_checks_catch_english_on_french_pages_and_requests_elsewhere(
    chromium: Browser, live_server: LiveServer, tmp_path
):
    tour = Tour(live_server.url, tmp_path, "fr", run_axe=False)
    page = tour.open(chromium.new_context())
    page.goto(live_server.url + "/?lang=fr")
    tour.check(page, "french-home")  # as served: French through and through
    page.evaluate("document.querySelector('main').insertAdjacentHTML('beforeend', '<p>Sign out</p>')")
    with pytest.raises(AssertionError, match=r"English left on a French page: \['Sign out'\]"):
        tour.check(page, "with-english")

    page.goto(live_server.url + "/?lang=fr")
    page.evaluate(
        """document.querySelector('main').insertAdjacentHTML('beforeend', '<img alt="" src="http://192.0.2.1/x.png">')"""
    )
    with pytest.raises(AssertionError, match="fetched from another host"):
        tour.check(page, "with-a-foreign-image")


def test_the_live_server_refuses_forms_without_their_csrf_token(chromium: Browser, live_server: LiveServer):
    """The journeys pass with CSRF protection on, as in production."""
    context = chromium.new_context()
    refused = context.request.post(
        live_server.url + "/account/signup",
        form={"name": "Ada", "email": "csrf@example.ca", "password": "x" * 12, "confirm": "x" * 12},
        max_redirects=0,
    )
    assert refused.status == 400
    context.close()
