"""Accounts through HTTP and the command line: pages, API tokens, rate limits, CSRF."""

import pytest

from tests.web.conftest import csrf_token
from tests.web.openapi_conformance import conforms

PASSWORD = "correct horse battery"


def sign_up(browser, **overrides):
    token = csrf_token(browser.get("/account/signup").get_data(as_text=True))
    data = {
        "name": "Ada Lovelace",
        "email": "ada@example.ca",
        "password": PASSWORD,
        "confirm": PASSWORD,
        "csrf_token": token,
    }
    data.update(overrides)
    return browser.post("/account/signup", data=data)


def test_sign_up_signs_in_and_shows_the_account(browser):
    response = sign_up(browser)
    assert response.status_code == 302
    assert response.location.endswith("/account/")
    page = browser.get("/account/").get_data(as_text=True)
    assert "Ada Lovelace" in page
    assert "ada@example.ca" in page
    assert "You have no application yet." in page


def test_sign_up_errors_are_shown_per_field_and_keep_what_was_typed(browser):
    page = sign_up(browser, password="short", confirm="short", email="nope").get_data(as_text=True)
    assert "Use at least 12 characters." in page
    assert "Enter a valid email address." in page
    assert 'value="Ada Lovelace"' in page
    assert 'value="short"' not in page  # passwords are never sent back
    mismatch = sign_up(browser, confirm=PASSWORD + "!").get_data(as_text=True)
    assert "The two passwords differ." in mismatch


def test_account_page_needs_sign_in(client):
    response = client.get("/account/")
    assert response.status_code == 302
    assert "/account/signin" in response.location


def test_sign_in_starts_a_new_session_and_sign_out_ends_it(browser):
    sign_up(browser)
    browser.post(
        "/account/signout", data={"csrf_token": csrf_token(browser.get("/account/").get_data(as_text=True))}
    )
    assert browser.get("/account/").status_code == 302
    token = csrf_token(browser.get("/account/signin").get_data(as_text=True))
    before = browser.get_cookie("session").value
    response = browser.post(
        "/account/signin", data={"email": "ADA@example.ca", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    after = browser.get_cookie("session")
    assert after.value != before
    assert after.http_only
    assert after.same_site == "Lax"
    assert browser.get("/account/").status_code == 200


def test_wrong_password_gets_one_message_that_reveals_nothing(browser):
    sign_up(browser)
    token = csrf_token(browser.get("/account/signin").get_data(as_text=True))
    wrong = browser.post(
        "/account/signin",
        data={"email": "ada@example.ca", "password": "wrong password!", "csrf_token": token},
    ).get_data(as_text=True)
    unknown = browser.post(
        "/account/signin",
        data={"email": "who@example.ca", "password": "wrong password!", "csrf_token": token},
    ).get_data(as_text=True)
    assert "The email address or password is incorrect." in wrong
    assert "The email address or password is incorrect." in unknown


def test_forms_refuse_a_missing_csrf_token(browser):
    response = browser.post("/account/signin", data={"email": "ada@example.ca", "password": PASSWORD})
    assert response.status_code == 400


def test_sign_in_is_rate_limited(app, browser):
    app.config["SIGNIN_RATE_LIMIT"] = "3 per minute"
    token = csrf_token(browser.get("/account/signin").get_data(as_text=True))
    data = {"email": "ada@example.ca", "password": "wrong password!", "csrf_token": token}
    statuses = [browser.post("/account/signin", data=data).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_secure_cookies_behind_https(app):
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    import os

    from app import create_app

    os.environ["GUICHET_HTTPS"] = "true"
    try:
        secure = create_app({"SECRET_KEY": "x", "DATABASE_URL": "sqlite://"})
    finally:
        del os.environ["GUICHET_HTTPS"]
    assert secure.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_SECURE"] is False
    # The __Host- prefix: Secure, path /, no Domain, so no other subdomain can set or read it.
    browser = secure.test_client()
    browser.get("/account/signin", base_url="https://guichet.example.ca")
    cookie = browser.get_cookie("__Host-session", domain="guichet.example.ca")
    assert cookie is not None and cookie.secure and cookie.path == "/" and not cookie.domain.startswith(".")
    assert browser.get_cookie("session", domain="guichet.example.ca") is None


def test_api_account_and_token_flow(client):
    created = conforms(
        client.post("/api/v1/accounts", json={"email": "Bo@Example.ca", "password": PASSWORD, "name": "Bo"})
    )
    assert created.status_code == 201
    assert created.json == {
        "id": created.json["id"],
        "email": "bo@example.ca",
        "name": "Bo",
        "role": "applicant",
        "agency": None,
    }
    issued = conforms(client.post("/api/v1/tokens", json={"email": "bo@example.ca", "password": PASSWORD}))
    assert issued.status_code == 201
    token = issued.json["token"]
    me = conforms(client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}))
    assert me.status_code == 200
    assert me.json["email"] == "bo@example.ca"


@pytest.mark.parametrize(
    ("body", "status", "fields"),
    [
        ({"email": "bo@example.ca", "password": "short", "name": "Bo"}, 422, ["password"]),
        ({"email": "bo", "password": PASSWORD}, 422, ["email", "name"]),
        ({"email": "bo@example.ca", "password": PASSWORD, "name": "Bo", "admin": True}, 422, ["admin"]),
        ("just a string", 400, [None]),
    ],
)
def test_api_account_errors(client, body, status, fields):
    response = conforms(client.post("/api/v1/accounts", json=body))
    assert response.status_code == status
    assert [e["field"] for e in response.json["errors"]] == fields


def test_api_token_refused_for_bad_credentials_and_me_needs_a_token(client):
    client.post("/api/v1/accounts", json={"email": "bo@example.ca", "password": PASSWORD, "name": "Bo"})
    refused = client.post("/api/v1/tokens", json={"email": "bo@example.ca", "password": "not the password"})
    assert refused.status_code == 401
    assert refused.json["errors"][0]["message"] == "The email address or password is incorrect."
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic Ym86cGFzcw=="}):
        response = conforms(client.get("/api/v1/me", headers=headers))
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_api_tokens_are_rate_limited_with_retry_after(app, client):
    app.config["SIGNIN_RATE_LIMIT"] = "2 per minute"
    statuses = [
        client.post("/api/v1/tokens", json={"email": "x@example.ca", "password": "y" * 12}).status_code
        for _ in range(3)
    ]
    assert statuses == [401, 401, 429]
    limited = client.post("/api/v1/tokens", json={"email": "x@example.ca", "password": "y" * 12})
    assert limited.json["errors"][0]["message"]
    assert int(limited.headers["Retry-After"]) > 0


def test_cli_creates_staff_accounts(runner, db_session):
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "clerk@toronto.ca",
            "--password",
            PASSWORD,
            "--role",
            "clerk",
            "--agency",
            "TO-MLS",
        ]
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Created clerk of TO-MLS: clerk@toronto.ca")
    unknown = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "c2@toronto.ca",
            "--password",
            PASSWORD,
            "--role",
            "clerk",
            "--agency",
            "TO-NOPE",
        ]
    )
    assert unknown.exit_code == 2
    assert "no agency TO-NOPE" in unknown.output
    missing = runner.invoke(
        args=["users", "create", "--email", "c3@toronto.ca", "--password", PASSWORD, "--role", "supervisor"]
    )
    assert missing.exit_code == 1
    assert "agency: Clerks and supervisors belong to one agency" in missing.output
    short = runner.invoke(
        args=["users", "create", "--email", "a@toronto.ca", "--password", "short", "--role", "admin"]
    )
    assert short.exit_code == 1
    assert "password: Use at least 12 characters." in short.output


def test_sign_in_returns_to_the_page_asked_for_but_never_to_another_site(browser):
    sign_up(browser)
    browser.post(
        "/account/signout", data={"csrf_token": csrf_token(browser.get("/account/").get_data(as_text=True))}
    )
    asked = browser.get("/applications/")
    assert asked.status_code == 302 and "next=" in asked.headers["Location"]
    targets = [
        ("/applications/", "/applications/"),
        ("/applications/?page=2", "/applications/?page=2"),
        ("//evil.example/x", "/account/"),
        ("https://evil.example/", "/account/"),
        # Browsers drop a tab or newline and read a backslash as a slash: each would leave the site.
        ("/%09/evil.example", "/account/"),
        ("/%0A/evil.example", "/account/"),
        ("/%0D%0ASet-Cookie:x=1", "/account/"),
        ("/%5Cevil.example", "/account/"),
        ("/%20/evil.example", "/account/"),
    ]
    for target, expected in targets:
        page = browser.get(f"/account/signin?next={target}")
        response = browser.post(
            f"/account/signin?next={target}",
            data={
                "email": "ada@example.ca",
                "password": PASSWORD,
                "csrf_token": csrf_token(page.get_data(as_text=True)),
            },
        )
        assert response.status_code == 302 and response.headers["Location"] == expected
        browser.post(
            "/account/signout",
            data={"csrf_token": csrf_token(browser.get("/account/").get_data(as_text=True))},
        )


def test_fields_without_errors_carry_no_aria_invalid(client):
    html = client.get("/account/signin").get_data(as_text=True)
    assert 'aria-invalid="None"' not in html and "aria-invalid" not in html
