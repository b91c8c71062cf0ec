"""Failed requests answer with a page of the site in the visitor's language, never the server's bare
English, while the API keeps answering in JSON."""

from __future__ import annotations

import logging

import pytest

import app.triage.views as triage_views


@pytest.mark.parametrize(
    ("lang", "title", "toggle"),
    [("en", "Page not found", "Français"), ("fr", "Page introuvable", "English")],
)
def test_a_missing_page_is_a_page_of_the_site_in_the_visitors_language(client, lang, title, toggle):
    response = client.get(f"/no/such/page?lang={lang}")

    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert f'<html lang="{lang}">' in page
    assert f"<h1>{title}</h1>" in page
    assert toggle in page  # the language toggle, as on every page
    assert "guichet.css" in page


def test_an_expired_form_says_what_to_do_in_french(browser):
    browser.get("/account/signin?lang=fr")

    response = browser.post(
        "/account/signin", data={"email": "a@example.ca", "password": "x", "csrf_token": "bad"}
    )

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "<h1>Requête incomprise</h1>" in page
    assert "rechargez la page" in page


def test_a_wrong_method_is_explained(client):
    response = client.post("/verify/")

    assert response.status_code == 405
    assert "This action is not available here" in response.get_data(as_text=True)


def test_an_unexpected_failure_shows_a_reference_that_is_in_the_log_and_nothing_of_the_error(
    app, client, monkeypatch, caplog
):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def broken(*args, **kwargs):
        raise RuntimeError("secret detail: password=hunter2")

    monkeypatch.setattr(triage_views, "render_template", broken)
    with caplog.at_level(logging.ERROR, logger="app.errors"):
        response = client.get("/triage/")

    assert response.status_code == 500
    page = response.get_data(as_text=True)
    reference = page.split('id="error-reference">')[1].split("</p>")[0].rsplit(" ", 1)[1]
    assert len(reference) == 12
    assert "hunter2" not in page and "RuntimeError" not in page and "Traceback" not in page
    assert any(reference in record.getMessage() for record in caplog.records)


def test_the_api_still_answers_errors_in_json(app, client, monkeypatch):
    missing = client.get("/api/v1/no-such-thing")
    assert missing.status_code == 404 and missing.is_json
    assert missing.get_json()["errors"][0]["field"] is None
    app.config["PROPAGATE_EXCEPTIONS"] = False
    monkeypatch.setattr("app.api.triage.triage_engine", lambda: (_ for _ in ()).throw(RuntimeError("boom")))

    response = client.get("/api/v1/jurisdictions")

    assert response.status_code == 500
    assert response.is_json
    assert response.get_json()["errors"][0]["message"].startswith(
        "Something went wrong on our side. Reference: "
    )


def test_pages_name_a_served_icon_whose_answer_leaves_the_session_cookie_alone(client):
    """Browsers fetch the icon after the page; if that answer set the session cookie, arriving after
    the next page's, it could put back a session without that page's CSRF token."""
    client.get("/account/signin?lang=fr")  # the visitor now has a session
    page = client.get("/").get_data(as_text=True)
    assert '<link rel="icon" href="/static/favicon.svg"' in page

    icon = client.get("/static/favicon.svg")
    icon.close()  # a static file is streamed: close it as the server would

    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
    assert "Set-Cookie" not in icon.headers
