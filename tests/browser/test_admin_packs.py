"""An administrator plugs in a municipality in a real browser: the Halifax tutorial (docs/packs.md,
section 16), from a broken upload to a restored version, with a visitor triaging in between.

The administrator of Nova Scotia signs in, opens "Permit packs" from the header, uploads a broken
Halifax pack and reads every problem with its file, line and reason; uploads the tutorial's
files, reads the preview (what changes, sample businesses before and after), publishes them; a
visitor triages the tutorial's Halifax restaurant and gets Halifax's permits. The administrator
then raises the sidewalk café fee, publishes it (the visitor's same answers now cost more), and
restores version 1 from the versions page, after its preview. A shorter French pass goes over
the administrator's pages. Every page is screenshotted into build/screenshots/admin-packs/ and
checked by axe-core and `Tour.check`.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import Browser, Page

from accounts.service import create_account
from app.db import db_session
from tests.browser.conftest import LiveServer
from tests.browser.journey import typed
from tests.browser.pages import Tour, follow
from tests.browser.steps import answer_triage, sign_in
from tests.conftest import POSTGRES_URL
from tests.web.conftest import PASSWORD
from workflows.packs.loader import bundled_pack_directory, load_pack_set, read_pack_sources
from workflows.packs.model import Chain

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
PROVINCE = EXAMPLES / "ca-ns.yaml"
HALIFAX = EXAMPLES / "halifax-1209034.yaml"
HALIFAX_CODE = "1209034"
ADMIN = "pat@halifax.example.ca"
#: The sidewalk café licence's fee and renewal fee, $250.00, raised to $300.00 (section 16.8).
SIDEWALK_FEE = "amount_cents: 25000, illustrative: true}"
RAISED_FEE = "amount_cents: 30000, illustrative: true}"
#: The tutorial's restaurant: the permits and fees of its table (section 16.7).
RESTAURANT_PERMITS = {
    "CA-BN": "$0.00",
    "NS-WCB": "$0.00",
    "NS-FOOD-SAFETY": "$100.00",
    "HFX-DEV": "$200.00",
    "HFX-BUILDING": "$450.00",
    "NS-FOOD": "$300.00",
    "NS-LIQUOR": "$500.00",
    "HFX-SIGN": "$150.00",
    "HFX-SIDEWALK": "$250.00",
}
SIDEWALK_SAMPLE = f"#sample-{HALIFAX_CODE}-choice-patio_location-sidewalk"


@functools.cache
def halifax() -> Chain:
    packs = load_pack_set(read_pack_sources([bundled_pack_directory(), PROVINCE, HALIFAX]))
    return packs.chains[HALIFAX_CODE]


def restaurant_answers() -> dict[str, str]:
    """docs/examples/halifax-restaurant.json as a person types it into the triage pages."""
    answers = json.loads((EXAMPLES / "halifax-restaurant.json").read_text(encoding="utf-8"))
    chain = halifax()
    return {qid: typed(chain.questions_by_id[qid].type, value) for qid, value in answers.items()}


def broken_halifax(folder: Path) -> tuple[Path, set[tuple[str, str, str, str]]]:
    """Halifax's pack with an unknown workflow and a permit code used twice, and the problems the
    page must list: file, line, place in the file, and a word the reason names."""
    text = HALIFAX.read_text(encoding="utf-8")
    text = text.replace("workflow: review", "workflow: revue", 1)
    text = text.replace("code: HFX-SIDEWALK", "code: HFX-DEV", 1)
    lines = text.splitlines()
    workflow = lines.index("    workflow: revue") + 1
    duplicate = [number for number, line in enumerate(lines, 1) if line == "  - code: HFX-DEV"][1]
    path = folder / HALIFAX.name
    path.write_text(text, encoding="utf-8")
    return path, {
        (HALIFAX.name, str(workflow), "permits[0].workflow", "revue"),
        (HALIFAX.name, str(duplicate), "permits[3].code", "HFX-DEV"),
    }


def make_admin(server: LiveServer) -> None:
    """The operator's `flask users create ... --role admin --jurisdiction CA-NS`, in the server's database."""
    with server.app.app_context():
        session = db_session()
        create_account(
            session, email=ADMIN, password=PASSWORD, name="Pat", role="admin", jurisdiction_code="CA-NS"
        )
        session.commit()


def upload(tour: Tour, page: Page, name: str, *files: Path) -> None:
    """On the upload page (opened if another page is shown), choose the files, Check and preview."""
    if not page.locator("input[name=files]").count():
        page.goto(tour.base_url + "/admin/packs/upload")
    page.locator("input[name=files]").set_input_files([str(path) for path in files])
    follow(page, page.locator("main form button[type=submit]"))
    tour.check(page, name)


def cells(page: Page, selector: str) -> list[list[str]]:
    """The text of each row of a table's body, cell by cell."""
    return page.locator(f"{selector} tbody tr").evaluate_all(
        "rows => rows.map(r => [...r.cells].map(c => c.innerText.trim()))"
    )


def triage_halifax(tour: Tour, page: Page) -> str:
    """A visitor triages the tutorial's restaurant; the address of its results (answers signed)."""
    page.goto(tour.base_url + "/triage/")
    tour.check(page, "visitor-municipality")
    page.select_option("#jurisdiction", HALIFAX_CODE)
    follow(page, page.locator("main form button[type=submit]"))
    tour.check(page, "visitor-questions")
    answer_triage(tour, page, restaurant_answers())
    toggle = urlsplit(page.locator("nav.language a").evaluate("a => a.href"))
    (token,) = parse_qs(toggle.query)["answers"]
    return f"{tour.base_url}/triage/{HALIFAX_CODE}?answers={token}"


def fees(page: Page) -> dict[str, str]:
    """Each permit on the triage results and its fee."""
    return page.locator("article.permit").evaluate_all(
        """articles => Object.fromEntries(articles.map(a => [a.id.replace('permit-', ''),
          [...a.querySelectorAll('dt')].find(dt => dt.innerText.trim() === 'Fee')
            .nextElementSibling.innerText.replace('estimate', '').trim()]))"""
    )


def test_an_administrator_publishes_halifax_changes_it_and_restores_it(
    chromium: Browser, live_server_on, screenshots, tmp_path
):
    server: LiveServer = live_server_on("postgresql" if POSTGRES_URL else "sqlite", with_clerks=False)
    make_admin(server)
    tour = Tour(server.url, screenshots("admin-packs"), "en")
    admin = tour.open(chromium.new_context(locale="en-CA"))

    # Signed in, "Permit packs" is in the header; nothing of Nova Scotia is in force yet.
    sign_in(tour, admin, ADMIN, "admin", then="/account/")
    follow(admin, admin.locator("#permit-packs-link"))
    tour.check(admin, "packs-none")
    assert "CA-NS" in admin.locator("#reach").inner_text()
    assert admin.locator("#no-packs").count() == 1

    # Nothing chosen: the field says so, linked from the error summary.
    follow(admin, admin.locator("#upload-link"))
    tour.check(admin, "upload")
    follow(admin, admin.locator("main form button[type=submit]"))
    tour.check(admin, "upload-nothing-chosen")
    summary_link = admin.locator(".error-summary a")
    assert summary_link.get_attribute("href") == "#files"
    assert "Choose at least one pack file." in admin.locator("main").inner_text()

    # A broken Halifax pack: every problem, with its file, line and reason; nothing stored.
    broken, expected = broken_halifax(tmp_path)
    upload(tour, admin, "problems", PROVINCE, broken)
    assert "2 problems were found; nothing was published." in admin.locator("#pack-problems").inner_text()
    listed = cells(admin, "#problems")
    assert len(listed) == len(expected), listed
    for file, line, place, word in expected:
        assert [file, line, place] in [row[:3] for row in listed if word in row[3]], (word, listed)

    # The tutorial's files: a preview of two new jurisdictions and what sample businesses would get.
    upload(tour, admin, "preview", PROVINCE, HALIFAX)
    for code in ("CA-NS", HALIFAX_CODE):
        assert "A new jurisdiction" in admin.locator(f"section#pack-{code}").inner_text()
    cafe = admin.locator(f"#sample-{HALIFAX_CODE}-cafe td")
    assert cafe.nth(0).inner_text() == "Not in force yet"
    assert cafe.nth(1).inner_text().startswith("$520.00")
    for code in ("NS-NAME", "NS-FOOD-SAFETY", "NS-FOOD", "HFX-SIGN"):
        assert f"({code})" in cafe.nth(1).inner_text()
    assert admin.locator(f"{SIDEWALK_SAMPLE} td").nth(1).inner_text().startswith("$2,235.00")

    # Published: both in force as version 1.
    follow(admin, admin.locator("#publish"))
    tour.check(admin, "packs-published")
    notice = admin.locator("main .notice").inner_text()
    assert "CA-NS: published as version 1." in notice and f"{HALIFAX_CODE}: published as version 1." in notice
    assert cells(admin, "#packs-in-force")[0][:3] == [HALIFAX_CODE, "1", HALIFAX.name]
    assert admin.locator("#pack-CA-NS td").first.inner_text() == "1"

    # A visitor gets Halifax's permits at once (the live server re-reads the packs on every request).
    visitor = tour.open(chromium.new_context(locale="en-CA"))
    results = triage_halifax(tour, visitor)
    assert visitor.locator("h1").inner_text() == "What you need to open in Halifax"
    assert fees(visitor).items() >= RESTAURANT_PERMITS.items()
    assert visitor.locator("#total-fee").inner_text() == "$1,950.00"

    # The sidewalk café licence goes up to $300.00: the preview says what changes, then it is published.
    changed = tmp_path / "raised" / HALIFAX.name
    changed.parent.mkdir()
    raised = HALIFAX.read_text(encoding="utf-8").replace(SIDEWALK_FEE, RAISED_FEE)
    changed.write_text(raised, encoding="utf-8")
    upload(tour, admin, "preview-fee-raised", changed)
    assert "Replaces version 1, in force." in admin.locator(f"section#pack-{HALIFAX_CODE}").inner_text()
    assert cells(admin, f"section#pack-{HALIFAX_CODE} table.changes") == [
        ["HFX-SIDEWALK: Sidewalk café licence", "Permit", "Changed", "fee, renewal_fee"]
    ]
    now, after, difference = (c.inner_text() for c in admin.locator(f"{SIDEWALK_SAMPLE} td").all())
    assert now.startswith("$2,235.00") and after.startswith("$2,285.00") and difference == "Fees: +$50.00"
    follow(admin, admin.locator("#publish"))
    tour.check(admin, "packs-fee-raised")
    assert f"{HALIFAX_CODE}: published as version 2." in admin.locator("main .notice").inner_text()
    visitor.goto(results)
    tour.check(visitor, "visitor-results-fee-raised")
    assert fees(visitor)["HFX-SIDEWALK"] == "$300.00"
    assert visitor.locator("#total-fee").inner_text() == "$2,000.00"

    # Back to version 1, from the versions page, after its preview.
    follow(admin, admin.locator(f"#pack-{HALIFAX_CODE} a"))
    tour.check(admin, "versions")
    assert [row[0] for row in cells(admin, "#versions")] == ["2 In force", "1"]
    follow(admin, admin.locator("#version-1 a"))
    tour.check(admin, "restore-preview")
    assert admin.locator("h1").inner_text() == f"Preview: restoring version 1 of {HALIFAX_CODE}"
    now, after, difference = (c.inner_text() for c in admin.locator(f"{SIDEWALK_SAMPLE} td").all())
    assert now.startswith("$2,285.00") and after.startswith("$2,235.00")
    assert difference == "Fees: \u2212$50.00"  # a minus sign
    follow(admin, admin.locator("#restore"))
    tour.check(admin, "versions-restored")
    assert f"Version 1 of {HALIFAX_CODE} restored as version 3." in admin.locator("main .notice").inner_text()
    assert [row[0] for row in cells(admin, "#versions")] == ["3 In force", "2", "1"]
    visitor.goto(results)
    tour.check(visitor, "visitor-results-restored")
    assert fees(visitor)["HFX-SIDEWALK"] == "$250.00"

    # The administrator's pages in French.
    tour.language = "fr"
    follow(admin, admin.locator("nav.language a"))
    tour.check(admin, "fr-versions")
    assert admin.locator("#version-3 th").inner_text() == "3 En vigueur"
    follow(admin, admin.locator("#version-2 a"))
    tour.check(admin, "fr-restore-preview")
    assert cells(admin, f"section#pack-{HALIFAX_CODE} table.changes")[0][:3] == [
        "HFX-SIDEWALK : Permis de café-terrasse sur trottoir",
        "Permis",
        "Modifié",
    ]
    assert "(HFX-SIDEWALK) : 300,00\u00a0$" in admin.locator(f"{SIDEWALK_SAMPLE} td").nth(1).inner_text()
    admin.goto(server.url + "/admin/packs")
    tour.check(admin, "fr-packs")
    follow(admin, admin.locator("#upload-link"))
    tour.check(admin, "fr-upload")
    upload(tour, admin, "fr-problems", PROVINCE, broken)
    assert "2 problèmes ont été trouvés" in admin.locator("#pack-problems").inner_text()
    print(f"\n{tour.count} pages screenshotted in {tour.folder}; axe ran on {tour.axe_runs}")
