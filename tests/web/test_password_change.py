"""Changing one's password: the current one is asked for, and whoever knew the old one is out
(every other session ends and the API tokens stop working), while this browser stays in."""

from __future__ import annotations

import re

from sqlalchemy import select

from accounts.models import SignInSession, User
from accounts.service import issue_token
from app.db import db_session as app_session
from tests.web.conftest import PASSWORD, csrf_token, sign_in
from workflows.audit.models import AuditEntry

NEW_PASSWORD = "another horse battery staple"


def signed_in(client) -> bool:
    return client.get("/account/").status_code == 200


def change(client, current: str, new: str, confirm: str | None = None, language: str = "en"):
    page = client.get(f"/account/password?lang={language}").get_data(as_text=True)
    data = {
        "csrf_token": csrf_token(page),
        "current_password": current,
        "new_password": new,
        "confirm": new if confirm is None else confirm,
    }
    return client.post("/account/password", data=data)


def field_error(html: str, field: str) -> str:
    """The message shown under `field`, which its input is described by."""
    return re.search(rf'<p class="error" id="{field}-error">([^<]+)</p>', html).group(1)


def test_a_new_password_ends_the_other_sessions_and_tokens_but_not_this_one(app, browser, person):
    other_device = app.test_client()
    assert sign_in(browser, person.email).status_code == 302
    assert sign_in(other_device, person.email).status_code == 302
    with app.app_context():
        session = app_session()
        token = issue_token(session, session.get(User, person.id))
        session.commit()
    home = browser.get("/account/").get_data(as_text=True)
    assert 'href="/account/password"' in home

    response = change(browser, PASSWORD, NEW_PASSWORD)
    assert response.status_code == 302 and response.headers["Location"] == "/account/"
    home = browser.get("/account/").get_data(as_text=True)
    assert "Your password is changed. You are signed out on every other device" in home
    assert signed_in(browser) and not signed_in(other_device)
    assert browser.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    # The old password no longer signs in; the new one does.
    assert sign_in(app.test_client(), person.email, PASSWORD).status_code == 200
    assert sign_in(app.test_client(), person.email, NEW_PASSWORD).status_code == 302
    with app.app_context():
        session = app_session()
        logged = session.scalars(select(AuditEntry).where(AuditEntry.action == "auth.password_changed")).one()
        live = session.scalars(
            select(SignInSession).where(SignInSession.user_id == person.id, SignInSession.ended_at.is_(None))
        ).all()
        stored_hash = session.get(User, person.id).password_hash
    assert logged.actor_id == person.id and logged.details["sessions_ended"] == 1
    assert len(live) == 2  # this browser's, and the sign-in with the new password just now
    assert stored_hash.startswith("$argon2id$") and NEW_PASSWORD not in stored_hash


def test_each_mistake_is_named_on_its_field_and_nothing_changes(app, browser, person):
    other_device = app.test_client()
    assert sign_in(browser, person.email).status_code == 302
    assert sign_in(other_device, person.email).status_code == 302
    refused = {
        "current_password": change(browser, "not my password", NEW_PASSWORD),
        "new_password": change(browser, PASSWORD, "short"),
        "confirm": change(browser, PASSWORD, NEW_PASSWORD, confirm=NEW_PASSWORD + "!"),
        "same": change(browser, PASSWORD, PASSWORD),
    }
    assert {name: response.status_code for name, response in refused.items()} == dict.fromkeys(refused, 200)
    pages = {name: response.get_data(as_text=True) for name, response in refused.items()}
    assert field_error(pages["current_password"], "current_password") == "Your current password is incorrect."
    assert field_error(pages["new_password"], "new_password") == "Use at least 12 characters."
    assert field_error(pages["confirm"], "confirm") == "The two passwords differ."
    assert field_error(pages["same"], "new_password") == "Choose a password other than your current one."
    assert all(page.startswith("<!doctype html>") and "<title>Error:" in page for page in pages.values())
    assert NEW_PASSWORD not in pages["current_password"]  # a password typed is never sent back
    assert signed_in(browser) and signed_in(other_device)
    assert sign_in(app.test_client(), person.email, PASSWORD).status_code == 302
    with app.app_context():
        query = select(AuditEntry).where(AuditEntry.action == "auth.password_changed")
        assert app_session().scalars(query).all() == []


def test_the_password_page_speaks_french(app, browser, person):
    assert sign_in(browser, person.email).status_code == 302
    page = change(browser, "pas mon mot de passe", NEW_PASSWORD, language="fr").get_data(as_text=True)
    assert field_error(page, "current_password") == "Votre mot de passe actuel est incorrect."
    assert "Changer votre mot de passe" in page


def test_the_password_page_needs_a_sign_in_and_the_forms_csrf_token(app, browser, person):
    asked = browser.get("/account/password")
    assert asked.status_code == 302 and asked.headers["Location"].startswith("/account/signin")
    assert sign_in(browser, person.email).status_code == 302
    forged = {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    assert browser.post("/account/password", data=forged).status_code == 400
    assert sign_in(app.test_client(), person.email, PASSWORD).status_code == 302


def test_guessing_the_current_password_is_rate_limited(app, browser, person):
    assert sign_in(browser, person.email).status_code == 302
    app.config["SIGNIN_RATE_LIMIT"] = "2 per minute"
    statuses = [change(browser, f"guess number {n}", NEW_PASSWORD).status_code for n in range(3)]
    assert statuses == [200, 200, 429]
