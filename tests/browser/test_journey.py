"""The whole journey in a real browser, in English and in French.

An entrepreneur triages a Toronto restaurant with alcohol, staff, a patio and a sign, signs up,
fills the one form, consents, pays once; the clerks of each agency involved claim and approve
their tasks (Toronto Building first asks for more information, which the entrepreneur answers
from the dashboard); the entrepreneur downloads the consolidated licence; a visitor opens the
verification address its QR code holds. Every page is screenshotted into
build/screenshots/<language>/ and checked by axe-core and `Tour.check`.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from urllib.parse import parse_qsl, urlsplit

import pypdfium2
import pytest
import zxingcpp
from playwright.sync_api import APIResponse, Browser, BrowserContext, Page
from pypdf import PdfReader

from tests.browser.conftest import CLERK_AGENCIES, LiveServer
from tests.browser.journey import APPLICANT_NAME, BUSINESS_NUMBER
from tests.browser.pages import Tour, follow
from tests.browser.steps import (
    answer_triage,
    choose_toronto,
    consent_and_pay,
    fill_the_form,
    sign_in,
    sign_up,
)
from tests.conftest import POSTGRES_URL

QUESTION = {
    "en": "Please send the site plan with the patio drawn on it.",
    "fr": "Envoyez le plan du site avec la terrasse.",
}
ANSWER = {
    "en": "Here it is: the patio takes two parking spaces.",
    "fr": "Le voici : la terrasse prend deux places.",
}
#: What each language's pages say, so a page in the wrong language fails at once.
WORDS = {
    "en": {
        "results": "What you need to open in",
        "valid": "Valid",
        "licence": "Your consolidated licence",
        "receipt": "Total paid",
    },
    "fr": {
        "results": "Ce qu'il vous faut pour ouvrir à",
        "valid": "Valide",
        "licence": "Votre licence consolidée",
        "receipt": "Total payé",
    },
}


def pdf_text(response: APIResponse) -> str:
    """The text of a PDF the app answered with."""
    assert response.ok and response.headers["content-type"] == "application/pdf", response.status
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.body())).pages)


def qr_links(pdf: bytes) -> list[str]:
    """The addresses in the QR codes of the licence's first page, rendered at about 200 dpi."""
    image = pypdfium2.PdfDocument(pdf)[0].render(scale=200 / 72).to_pil()
    return [c.text for c in zxingcpp.read_barcodes(image) if c.format == zxingcpp.BarcodeFormat.QRCode]


def work_every_queue(
    tour: Tour, open_queue: Callable[[str], Page], applicant: BrowserContext, language: str, dashboard: str
) -> int:
    """Each agency's clerk claims and approves whatever waits in their queue, in turn, until the
    licence is issued; the number of approvals.

    Toronto Building's clerk first asks the applicant for more information; the applicant answers
    from the dashboard, and the task comes back to that clerk, who approves it.
    """
    approved = 0
    asked = False
    for _round in range(5):
        for agency in CLERK_AGENCIES:
            name = agency.lower()
            page = open_queue(agency)
            tour.check(page, f"queue-{name}")
            while (rows := page.locator("table.queue tbody tr")).count():
                follow(page, rows.first.locator("a"))
                tour.check(page, f"task-{name}")
                if page.locator("#action-claim").count():
                    follow(page, page.locator("#action-claim button"))
                    tour.check(page, f"task-claimed-{name}")
                if agency == "TO-TB" and not asked:
                    page.fill("#action-request-info textarea", QUESTION[language])
                    follow(page, page.locator("#action-request-info button"))
                    tour.check(page, f"queue-asked-{name}")
                    answer_the_question(tour, applicant.pages[0], language, dashboard)
                    asked = True
                    page.goto(tour.base_url + "/staff/queue")
                    tour.check(page, f"queue-answered-{name}")
                    continue
                follow(page, page.locator("#action-approve button"))
                approved += 1
                tour.check(page, f"queue-approved-{name}")
            # Whether the licence is out yet, read as the applicant's browser would (no page visit).
            if 'id="licence-download"' in applicant.request.get(dashboard).text():
                assert asked
                return approved
    raise AssertionError("the licence was never issued")


def results_in_the_other_language_and_back(tour: Tour, page: Page, language: str) -> None:
    """The toggle on the results (the answer of a POST) shows the same results in the other language."""
    permits = page.locator("article.permit").count()
    for switched in ("en" if language == "fr" else "fr", language):
        follow(page, page.locator("nav.language a"))
        tour.language = switched
        tour.check(page, f"triage-results-{switched}")
        assert WORDS[switched]["results"] in page.locator("h1").inner_text()
        assert page.locator("article.permit").count() == permits


def filter_and_switch_language(tour: Tour, page: Page, language: str) -> None:
    """The language toggle on a filtered queue keeps the filters, in both directions; then back to
    the whole queue."""
    page.select_option("#state", index=1)
    follow(page, page.locator("form.filters button[type=submit]"))
    tour.check(page, "queue-filtered")
    filtered = parse_qsl(urlsplit(page.url).query)
    assert ("state", page.locator("#state").input_value()) in filtered
    other = "en" if language == "fr" else "fr"
    for switched in (other, language):
        follow(page, page.locator("nav.language a"))
        assert page.evaluate("document.documentElement.lang") == switched
        assert parse_qsl(urlsplit(page.url).query) == [*filtered, ("lang", switched)]
        assert page.locator("#state").input_value() == dict(filtered)["state"]
    page.goto(tour.base_url + "/staff/queue")


def answer_the_question(tour: Tour, page: Page, language: str, dashboard: str) -> None:
    page.goto(dashboard)
    tour.check(page, "dashboard-question")
    question = page.locator("section.info-request")
    assert QUESTION[language] in question.locator(".clerk-message").inner_text()
    question.locator("textarea").fill(ANSWER[language])
    follow(page, question.locator("button[type=submit]"))
    tour.check(page, "dashboard-answered")
    assert page.locator("section.info-request").count() == 0


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_whole_journey_in_a_browser(chromium: Browser, live_server_on, screenshots, language: str):
    # The French journey runs on PostgreSQL when there is one, so each database sees a journey.
    server: LiveServer = live_server_on("postgresql" if language == "fr" and POSTGRES_URL else "sqlite")
    tour = Tour(server.url, screenshots(language), language)
    email = f"ada.{language}@example.ca"
    entrepreneur = chromium.new_context(locale="en-CA")
    applicant = tour.open(entrepreneur)

    # The triage, in the language picked with the toggle.
    applicant.goto(server.url + "/")
    if language == "fr":
        tour.language = "en"
        tour.check(applicant, "home-en")
        tour.language = "fr"
        follow(applicant, applicant.locator("nav.language a"))
    tour.check(applicant, "home")
    choose_toronto(tour, applicant)
    answer_triage(tour, applicant)
    assert WORDS[language]["results"] in applicant.locator("h1").inner_text()
    assert applicant.locator("#permit-TO-CAFETO").count() == 1  # the patio
    assert applicant.locator("#permit-TO-SIGN").count() == 1  # the sign
    results_in_the_other_language_and_back(tour, applicant, language)

    # Sign up, the one form, consent, and one payment.
    sign_up(tour, applicant, APPLICANT_NAME, email)
    fill_the_form(tour, applicant)
    consent_and_pay(tour, applicant)
    dashboard = applicant.url
    assert re.fullmatch(rf"{server.url}/applications/\d+", dashboard)
    receipt = pdf_text(entrepreneur.request.get(dashboard + "/receipt.pdf"))
    assert WORDS[language]["receipt"] in receipt and BUSINESS_NUMBER in receipt.replace(" ", "")
    assert applicant.locator("#business-number").inner_text() == BUSINESS_NUMBER

    # The clerks, each signing in from their own browser when their turn first comes.
    clerks: dict[str, Page] = {}

    def open_queue(agency: str) -> Page:
        if agency in clerks:
            clerks[agency].goto(server.url + "/staff/queue")
            return clerks[agency]
        page = clerks[agency] = tour.open(chromium.new_context(locale=f"{language}-CA"))
        sign_in(tour, page, server.clerks[agency], f"clerk-{agency.lower()}", then="/staff/queue")
        if agency == "TO-TB":
            tour.check(page, "queue-to-tb-first")
            filter_and_switch_language(tour, page, language)
        return page

    approved = work_every_queue(tour, open_queue, entrepreneur, language, dashboard)
    assert approved == 13  # every clerk step of the 9 permits that need an agency's decision

    # The licence, downloaded and read back.
    applicant.goto(dashboard)
    tour.check(applicant, "dashboard-licensed")
    licence = applicant.locator("#licence")
    assert WORDS[language]["licence"] in licence.inner_text()
    number = re.search(r"GL-[0-9A-Z]+-\d+", licence.inner_text()).group(0)
    response = entrepreneur.request.get(applicant.locator("#licence-download").evaluate("a => a.href"))
    text, pdf = pdf_text(response), response.body()
    assert BUSINESS_NUMBER in text.replace(" ", "") and number in text
    (link,) = qr_links(pdf)
    assert link == f"{server.url}/verify/{number}"

    # A visitor, not signed in, follows the QR code.
    visitor = tour.open(chromium.new_context(locale=f"{language}-CA"))
    visitor.goto(link)
    tour.check(visitor, "verify")
    verdict = visitor.locator("#verdict")
    assert "verdict-valid" in verdict.get_attribute("class")
    assert verdict.inner_text().startswith(WORDS[language]["valid"])
    assert visitor.locator("#business-number").inner_text() == BUSINESS_NUMBER
    # The verification page's own search, with a number mistyped.
    visitor.goto(server.url + "/verify/")
    tour.check(visitor, "verify-lookup")
    visitor.fill("#number", number[:-3])
    follow(visitor, visitor.locator("main form button"))
    tour.check(visitor, "verify-lookup-mistyped")
    assert visitor.locator("#number").get_attribute("aria-invalid") == "true"

    # The entrepreneur's other pages: how a permit is processed, the applications, the account.
    follow(applicant, applicant.locator('#permit-TO-BUILDING a[href*="/workflows/"]'))
    tour.check(applicant, "workflow")
    for path, name in (("/applications/", "applications"), ("/account/", "account")):
        applicant.goto(server.url + path)
        tour.check(applicant, name)
        assert BUSINESS_NUMBER in applicant.locator("main").inner_text()

    # The emails went out in the applicant's language.
    server.send_outbox()
    emails = server.smtp.to(email)
    assert len(emails) >= 3  # information asked, permits approved, licence issued
    greeting = {"en": "Hello,", "fr": "Bonjour,"}[language]
    for message in emails:
        assert message.get_content().startswith(greeting), message["Subject"]
    assert any(number in message.get_content() for message in emails)
    print(f"\n{tour.count} pages screenshotted in {tour.folder}; axe ran on {tour.axe_runs}")
