"""Abuse: security headers, rate limits with Retry-After, request size limits, and nothing secret
in what the service answers or logs."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from werkzeug.test import encode_multipart

from tests.web.conftest import PASSWORD, sign_in
from tests.web.openapi_conformance import conforms

TEMPLATES = Path(__file__).parents[2] / "app" / "templates"


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/triage/",
        "/account/signin",
        "/no-such-page",
        "/api/v1/me",
        "/api/openapi.json",
        "/static/guichet.css",
    ],
)
def test_every_answer_carries_the_security_headers(client, path):
    response = client.get(path)
    response.close()
    csp = dict(part.strip().split(" ", 1) for part in response.headers["Content-Security-Policy"].split(";"))
    assert csp["default-src"] == "'none'"  # so no script of any kind, inline or not
    assert csp["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP: browsers ignore it anyway


def test_hsts_only_over_https(client):
    assert (
        client.get("/", base_url="https://localhost")
        .headers["Strict-Transport-Security"]
        .startswith("max-age=63072000")
    )


def test_dynamic_answers_are_kept_by_no_cache_but_static_files_may_be(client):
    assert client.get("/").headers["Cache-Control"] == "no-store"
    assert client.get("/api/v1/me").headers["Cache-Control"] == "no-store"
    with client.get("/static/guichet.css") as static:
        assert "no-store" not in static.headers.get("Cache-Control", "")


def test_no_template_has_inline_script_style_or_event_handler():
    """The policy forbids them, so one would silently not work: catch it here rather than in a browser."""
    inline = re.compile(r"<script|<style|\sstyle=|\son[a-z]+=|javascript:", re.IGNORECASE)
    offenders = [
        f"{path.relative_to(TEMPLATES)}: {match.group(0).strip()}"
        for path in TEMPLATES.rglob("*.html")
        for match in inline.finditer(path.read_text())
    ]
    assert offenders == []


def test_behind_a_trusted_proxy_the_client_address_and_scheme_are_the_forwarded_ones(app):
    from app import create_app

    proxied = create_app({**app.config, "TRUSTED_PROXIES": 1, "SIGNIN_RATE_LIMIT": "1 per minute"})
    client = proxied.test_client()
    first, second = ({"X-Forwarded-For": "203.0.113.7"}, {"X-Forwarded-For": "198.51.100.9"})
    body = {"email": "not an email"}  # refused before anything is written: this app is not rolled back
    try:
        statuses = [
            client.post("/api/v1/accounts", json=body, headers=h).status_code for h in (first, second, first)
        ]
        assert statuses == [422, 422, 429]  # each address has its own count, not the proxy's one
        secure = client.get("/", headers={"X-Forwarded-Proto": "https"})
        assert "Strict-Transport-Security" in secure.headers
    finally:
        proxied.extensions["guichet.db"].engine.dispose()


def _over_the_limit(send, times: int):
    """Send `times` allowed requests, then the one over the limit, and return that one."""
    for _attempt in range(times):
        assert send().status_code != 429
    return send()


def _limited_page(response, lang: str = "en"):
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    page = response.get_data(as_text=True)
    assert f'<html lang="{lang}"' in page
    assert ("Too many attempts" if lang == "en" else "Trop de tentatives") in page


def _limited_json(response):
    assert conforms(response).status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert response.json["errors"][0]["message"]


def test_sign_up_page_is_rate_limited_with_retry_after_in_the_visitors_language(app, client):
    app.config["SIGNIN_RATE_LIMIT"] = "2 per minute"
    data = {"email": "not an email", "password": "x", "name": ""}
    _limited_page(_over_the_limit(lambda: client.post("/account/signup?lang=fr", data=data), 2), "fr")


def test_sign_up_over_the_api_is_rate_limited(app, client):
    app.config["SIGNIN_RATE_LIMIT"] = "2 per minute"
    _limited_json(_over_the_limit(lambda: client.post("/api/v1/accounts", json={"email": "x"}), 2))


@pytest.mark.money
def test_payment_over_the_api_is_rate_limited(app, client, owner):
    app.config["PAYMENT_RATE_LIMIT"] = "2 per minute"
    headers, application_id = owner

    def pay():
        return client.post(
            f"/api/v1/applications/{application_id}/payments",
            json={"card_token": "tok_declined"},
            headers={**headers, "Idempotency-Key": "abuse"},
        )

    _limited_json(_over_the_limit(pay, 2))


@pytest.mark.parametrize("page", ["payment", "renewal/payment"])
def test_payment_pages_are_rate_limited(app, client, account, page):
    app.config["PAYMENT_RATE_LIMIT"] = "2 per minute"
    sign_in(client, account.email)
    # Counted before anything else: even posts for an application that is not theirs use it up.
    _limited_page(_over_the_limit(lambda: client.post(f"/applications/999999/{page}", data={}), 2))


def test_failed_sign_ins_are_limited_per_account_from_any_address(app, client, account):
    app.config["SIGNIN_ACCOUNT_RATE_LIMIT"] = "2 per hour"
    owners_browser = app.test_client()
    for _attempt in range(3):  # successes do not count
        assert sign_in(owners_browser, account.email).status_code == 302
        owners_browser.post("/account/signout")
    for _attempt in range(2):
        assert sign_in(client, account.email, "a wrong password").status_code == 200
    _limited_page(sign_in(client, account.email))  # even the right password waits now
    other = client.post("/api/v1/tokens", json={"email": "ADA@example.ca ", "password": PASSWORD})
    _limited_json(other)  # the same account over the API, however its address is written
    assert (
        client.post("/api/v1/tokens", json={"email": "bo@example.ca", "password": "x" * 12}).status_code
        == 401
    )
    # The browser the owner signed in with before is not locked out by the stranger's guesses.
    assert sign_in(owners_browser, account.email).status_code == 302


def test_a_known_browser_is_known_only_to_its_accounts_and_only_with_a_genuine_cookie(app, client, account):
    app.config["SIGNIN_ACCOUNT_RATE_LIMIT"] = "1 per hour"
    known = app.test_client()
    assert sign_in(known, account.email).status_code == 302
    cookie = known.get_cookie("guichet_devices")
    assert cookie.http_only and cookie.same_site == "Lax" and account.email not in cookie.value
    known.post("/account/signout")
    assert sign_in(client, account.email, "a wrong password").status_code == 200
    _limited_page(sign_in(client, account.email))  # the stranger waits
    forged = app.test_client()
    forged.set_cookie("guichet_devices", cookie.value[:-2] + "xx")  # the signature no longer holds
    _limited_page(sign_in(forged, account.email))
    assert sign_in(known, account.email).status_code == 302
    # Another account's limit still applies to the known browser.
    assert sign_in(client, "bo@example.ca", "a wrong password").status_code == 200
    _limited_page(sign_in(known, "bo@example.ca", "a wrong password"))


def test_a_body_over_the_size_limit_is_refused_whole(app, client):
    big = "x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    api = client.post("/api/v1/accounts", data=big, content_type="application/json")
    assert conforms(api).status_code == 413
    assert api.json["errors"][0]["message"]
    page = client.post("/account/signup", data={"name": big})
    assert page.status_code == 413
    assert "What you sent is too large" in page.get_data(as_text=True)


def _multipart(client, fields: dict[str, str]):
    """Post a multipart form (the kind whose parts and in-memory text have their own limits; a
    urlencoded one is bounded by the body's limit alone), encoded here as the test client's own
    encoder leaves a temporary file open for large forms."""
    boundary, body = encode_multipart(fields)
    return client.post("/account/signup", data=body, content_type=f"multipart/form-data; boundary={boundary}")


def test_a_form_with_too_many_fields_or_too_much_text_in_memory_is_refused(app, client):
    many = {f"field{i}": "x" for i in range(app.config["MAX_FORM_PARTS"] + 1)}
    assert _multipart(client, many).status_code == 413
    assert _multipart(client, {"name": "x" * (app.config["MAX_FORM_MEMORY_SIZE"] + 1)}).status_code == 413
    assert _multipart(client, {"name": "x" * (app.config["MAX_FORM_MEMORY_SIZE"] - 1000)}).status_code == 200


def test_nothing_secret_reaches_the_log_or_the_answers(app, client, owner, caplog, monkeypatch):
    """A password, a bearer token and the app's keys never appear in a response or in the app's log
    lines, even when the request that carried them fails unexpectedly."""
    headers, application_id = owner
    token = headers["Authorization"].split()[1]
    caplog.set_level(logging.DEBUG)
    answers = [
        client.post("/api/v1/accounts", json={"email": "cy@example.ca", "password": PASSWORD, "name": "Cy"}),
        client.post("/api/v1/tokens", json={"email": "cy@example.ca", "password": "wrong " + PASSWORD}),
        client.post("/api/v1/tokens", json={"email": "cy@example.ca", "password": PASSWORD}),
        client.get(f"/api/v1/applications/{application_id}", headers=headers),
    ]

    def boom(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("app.api.accounts.authenticate", boom)
    failed = client.post("/api/v1/tokens", json={"email": "cy@example.ca", "password": PASSWORD})
    monkeypatch.setattr("app.account.views.authenticate", boom)
    failed_page = client.post("/account/signin", data={"email": "cy@example.ca", "password": PASSWORD})
    assert (failed.status_code, failed_page.status_code) == (500, 500)
    issued = answers[2].json["token"]
    secrets = [PASSWORD, token, issued, app.config["SECRET_KEY"], app.config["WEBHOOK_SECRET"]]
    for answer in [*answers[:2], answers[3], failed, failed_page]:
        text = answer.get_data(as_text=True)
        assert "Traceback" not in text and "boom" not in text
        assert not [s for s in secrets if s in text]
    assert "RuntimeError: boom" in caplog.text  # the failure is logged for the operators...
    assert not [s for s in secrets if s in caplog.text]  # ...but nothing secret that came with it


def _refusals(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == "guichet.security"]


def test_refusals_are_logged_with_who_and_why_but_no_secret(app, browser, person, caplog):
    caplog.set_level(logging.WARNING, logger="guichet.security")
    token = "not-a-token-" + "x" * 30
    assert browser.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert sign_in(browser, person.email).status_code == 302
    assert browser.get("/admin/packs").status_code == 403
    assert browser.get("/admin/packs/x%0Aforged/versions").status_code == 403
    assert browser.post("/account/signout-everywhere", data={}).status_code == 400  # no CSRF token
    assert browser.post("/account/signout-everywhere", data={"csrf_token": "forged"}).status_code == 400
    app.config["SIGNIN_RATE_LIMIT"] = "1 per minute"
    _over_the_limit(lambda: browser.post("/api/v1/accounts", json={"email": "x"}), 1)
    assert _refusals(caplog) == [
        "refused 401 GET /api/v1/me (unauthorized) account=None address=127.0.0.1",
        f"refused 403 GET /admin/packs (forbidden) account={person.id} address=127.0.0.1",
        f"refused 403 GET /admin/packs/x\\nforged/versions (forbidden) account={person.id} address=127.0.0.1",
        f"refused 400 POST /account/signout-everywhere (csrf) account={person.id} address=127.0.0.1",
        f"refused 400 POST /account/signout-everywhere (csrf) account={person.id} address=127.0.0.1",
        "refused 429 POST /api/v1/accounts (too many requests) account=None address=127.0.0.1",
    ]
    assert token not in caplog.text and PASSWORD not in caplog.text
