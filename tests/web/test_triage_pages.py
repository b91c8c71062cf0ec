"""The triage pages through the Flask test client: no JavaScript, CSRF enforced, bilingual."""

import html
import re

from tests.answer_sets import TORONTO_FULL
from tests.web.conftest import csrf_token

YES_NO_FIELDS = {key for key, value in TORONTO_FULL.items() if isinstance(value, bool)}


def form_data(answers: dict, shown: list[str]) -> dict:
    """Answers as a browser would post them: yes/no radios, amounts in dollars, numbers as text."""
    data = {"shown": " ".join(shown)}
    for key, value in answers.items():
        if key not in shown:
            continue
        if isinstance(value, bool):
            data[key] = "yes" if value else "no"
        elif key == "expected_annual_sales":
            data[key] = f"{value / 100:.2f}"
        else:
            data[key] = str(value)
    return data


def shown_questions(html: str) -> list[str]:
    return re.search(r'name="shown" type="hidden" value="([^"]*)"', html).group(1).split()


def test_home_links_to_triage(client):
    page = client.get("/").get_data(as_text=True)
    assert 'href="/triage/"' in page
    assert '<html lang="en">' in page


def test_choosing_a_municipality_leads_to_its_questions(client):
    page = client.get("/triage/").get_data(as_text=True)
    assert '<option value="3520005">Toronto</option>' in page
    response = client.get("/triage/?jurisdiction=3520005")
    assert response.status_code == 302
    assert response.location.endswith("/triage/3520005")
    unknown = client.get("/triage/?jurisdiction=1234567")
    assert unknown.status_code == 200
    assert "Not a valid choice" in unknown.get_data(as_text=True)


def test_unknown_municipality_page_is_404(client):
    assert client.get("/triage/1234567").status_code == 404


def test_follow_up_questions_appear_only_when_relevant(client):
    first = client.get("/triage/3520005").get_data(as_text=True)
    shown = shown_questions(first)
    assert "has_patio" in shown
    assert "patio_type" not in shown
    assert "number_of_employees" not in shown
    # Answering yes to staff and patio brings their follow-ups, without any error on them.
    answers = {**TORONTO_FULL}
    second = client.post("/triage/3520005", data=form_data(answers, shown)).get_data(as_text=True)
    assert "we have a few more questions" in second
    assert {"patio_type", "number_of_employees"} <= set(shown_questions(second))
    assert 'class="error"' not in second


def test_the_whole_flow_without_javascript_reaches_the_results(client):
    shown = shown_questions(client.get("/triage/3520005").get_data(as_text=True))
    for _ in range(5):  # each round reveals the follow-ups of the previous answers
        page = client.post("/triage/3520005", data=form_data(TORONTO_FULL, shown)).get_data(as_text=True)
        if 'id="total-fee"' in page:
            break
        shown = shown_questions(page)
    assert 'id="total-fee"' in page
    assert "AGCO" in page or "Alcohol and Gaming Commission" in page
    for level in ("Federal", "Provincial", "Municipal"):
        assert f">{level}</h2>" in page
    assert 'id="permit-TO-CAFETO"' in page
    assert 'id="estimated-days"' in page
    assert "Serves alcohol" in page or "alcohol" in page


def test_unanswered_and_invalid_answers_get_field_errors_and_keep_what_was_typed(client):
    shown = shown_questions(client.get("/triage/3520005").get_data(as_text=True))
    data = form_data(TORONTO_FULL, shown)
    del data["hires_staff"]
    data["seating_capacity"] = "many"
    page = client.post("/triage/3520005", data=data).get_data(as_text=True)
    assert 'class="error-summary"' in page
    assert "Answer this question." in page
    assert "Not a valid integer value." in page
    assert 'value="many"' in page  # nothing typed is lost
    assert 'aria-invalid="true"' in page
    assert 'href="#hires_staff"' in page


def test_the_pages_speak_french(client):
    page = client.get("/triage/3520005?lang=fr").get_data(as_text=True)
    assert '<html lang="fr">' in page
    assert "Continuer" in page
    assert "English" in page
    # The choice is remembered for the next page.
    assert '<html lang="fr">' in client.get("/").get_data(as_text=True)


def test_posting_without_a_csrf_token_is_refused(browser):
    shown = shown_questions(browser.get("/triage/3520005").get_data(as_text=True))
    response = browser.post("/triage/3520005", data=form_data(TORONTO_FULL, shown))
    assert response.status_code == 400
    page = browser.get("/triage/3520005").get_data(as_text=True)
    accepted = browser.post(
        "/triage/3520005", data={**form_data(TORONTO_FULL, shown), "csrf_token": csrf_token(page)}
    )
    assert accepted.status_code == 200


def results_page(client) -> str:
    shown = shown_questions(client.get("/triage/3520005").get_data(as_text=True))
    for _ in range(5):
        page = client.post("/triage/3520005", data=form_data(TORONTO_FULL, shown)).get_data(as_text=True)
        if 'id="total-fee"' in page:
            return page
        shown = shown_questions(page)
    raise AssertionError("no results")


def test_the_language_toggle_on_the_results_shows_the_same_results_in_french(client):
    page = results_page(client)
    toggle = html.unescape(re.search(r'<a href="([^"]+)" lang="fr" hreflang="fr">', page).group(1))
    assert re.fullmatch(r"/triage/3520005\?answers=[\w.-]+&lang=fr", toggle)
    french = client.get(toggle).get_data(as_text=True)
    assert '<html lang="fr">' in french and "Ce qu'il vous faut pour ouvrir à Toronto" in html.unescape(
        french
    )
    assert re.findall(r'id="permit-([\w-]+)"', french) == re.findall(r'id="permit-([\w-]+)"', page)
    assert re.search(r'id="total-fee">([^<]+)<', french).group(1) != ""
    # The results' own Apply form carries the same signed answers.
    assert f'name="token" value="{toggle.split("answers=")[1].split("&")[0]}"' in french


def test_altered_answers_in_the_address_show_the_questions_again(client):
    page = results_page(client)
    token = html.unescape(re.search(r"answers=([\w.-]+)&amp;lang=fr", page).group(1))
    altered = client.get(f"/triage/3520005?answers={token[:-2]}xx")
    assert altered.status_code == 200 and 'id="total-fee"' not in altered.get_data(as_text=True)
    assert 'name="shown"' in altered.get_data(as_text=True)
    elsewhere = client.get(f"/triage/5915022?answers={token}")  # signed for Toronto, not Vancouver
    assert 'id="total-fee"' not in elsewhere.get_data(as_text=True)
