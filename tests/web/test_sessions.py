"""Signed-in sessions live on the server: signing out ends every copy of the cookie, sessions end
after idle time and a maximum age, and an account's holder can end them all and its API tokens."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from accounts.models import SignInSession, User
from accounts.service import issue_token, secret_digest
from app.db import db_session as app_session
from tests.web.conftest import PASSWORD, Person, csrf_token, sign_in
from workflows.audit.models import AuditEntry
from workflows.db import utcnow

ENDED = "Your session has ended: sign in again to go on."


def copy_of(app, client):
    """Another browser holding a copy of `client`'s session cookie, as a thief would."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def signed_in(client) -> bool:
    return client.get("/account/").status_code == 200


def sign_out(client) -> None:
    client.post(
        "/account/signout", data={"csrf_token": csrf_token(client.get("/account/").get_data(as_text=True))}
    )


def tokens_for(app, person: Person, count: int) -> list[str]:
    with app.app_context():
        session = app_session()
        tokens = [issue_token(session, session.get(User, person.id)) for _ in range(count)]
        session.commit()
        return tokens


@pytest.fixture
def later(monkeypatch):
    """Move the clock the session checks read, `delta` from now."""

    def move(delta: timedelta) -> None:
        moved = utcnow() + delta
        monkeypatch.setattr("app.auth.utcnow", lambda: moved)

    return move


def test_signing_out_ends_every_copy_of_the_cookie(app, browser, person):
    assert sign_in(browser, person.email).status_code == 302
    thief = copy_of(app, browser)
    assert signed_in(thief)
    sign_out(browser)
    assert not signed_in(browser)
    asked = thief.get("/account/")
    assert asked.status_code == 302 and "/account/signin" in asked.headers["Location"]
    assert ENDED in thief.get(asked.headers["Location"]).get_data(as_text=True)


def test_the_cookie_holds_a_session_id_the_database_keeps_only_as_a_digest(app, client, person):
    assert sign_in(client, person.email).status_code == 302
    serializer = app.session_interface.get_signing_serializer(app)
    sid = serializer.loads(client.get_cookie("session").value)["sid"]
    with app.app_context():
        rows = app_session().scalars(select(SignInSession).where(SignInSession.user_id == person.id)).all()
    assert [row.sid_sha256 for row in rows] == [secret_digest(sid)]
    assert rows[0].ended_at is None and sid not in rows[0].sid_sha256


def test_a_session_ends_after_idle_time_but_activity_keeps_it(app, client, person, later):
    assert app.config["SESSION_IDLE_TIMEOUT"] == timedelta(minutes=30)
    assert sign_in(client, person.email).status_code == 302
    later(timedelta(minutes=20))
    assert signed_in(client)  # and it is seen now
    later(timedelta(minutes=45))  # 25 minutes after it was last seen
    assert signed_in(client)
    later(timedelta(minutes=76))  # 31 minutes
    assert not signed_in(client)
    assert ENDED in client.get("/account/signin").get_data(as_text=True)


def test_a_session_ends_at_its_maximum_age_however_busy(app, client, person, later):
    assert app.config["SESSION_MAX_AGE"] == timedelta(hours=12)
    assert sign_in(client, person.email).status_code == 302
    for minutes in range(25, 12 * 60, 25):  # never idle for long
        later(timedelta(minutes=minutes))
        assert signed_in(client), minutes
    later(timedelta(hours=12, minutes=1))
    assert not signed_in(client)


def test_signing_out_everywhere_ends_every_session_and_token(app, browser, person):
    (token,) = tokens_for(app, person, 1)
    other_device = app.test_client()
    assert sign_in(browser, person.email).status_code == 302
    assert sign_in(other_device, person.email).status_code == 302
    bearer = {"Authorization": f"Bearer {token}"}
    assert browser.get("/api/v1/me", headers=bearer).status_code == 200

    home = browser.get("/account/").get_data(as_text=True)
    assert "Sign out on every device" in home
    response = browser.post("/account/signout-everywhere", data={"csrf_token": csrf_token(home)})
    assert response.status_code == 302 and response.headers["Location"] == "/account/signin"
    page = browser.get("/account/signin").get_data(as_text=True)
    assert "You are signed out on every device, and your API tokens no longer work." in page
    assert not signed_in(browser) and not signed_in(other_device)
    assert browser.get("/api/v1/me", headers=bearer).status_code == 401
    with app.app_context():
        query = select(AuditEntry).where(AuditEntry.action == "auth.signed_out_everywhere")
        logged = app_session().scalars(query).one()
    assert logged.actor_id == person.id and logged.details["sessions_ended"] == 2
    # Signing in again works, with a new session.
    assert sign_in(browser, person.email).status_code == 302 and signed_in(browser)


def test_signing_out_everywhere_needs_the_forms_csrf_token(app, browser, person):
    assert sign_in(browser, person.email).status_code == 302
    assert browser.post("/account/signout-everywhere", data={}).status_code == 400
    assert signed_in(browser)


def test_a_token_revoked_stops_working_and_the_accounts_others_do_not(app, client, person):
    first, second = tokens_for(app, person, 2)
    response = client.delete("/api/v1/tokens/current", headers={"Authorization": f"Bearer {first}"})
    assert response.status_code == 204 and response.data == b"" and "Content-Type" not in response.headers
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {first}"}).status_code == 401
    again = client.delete("/api/v1/tokens/current", headers={"Authorization": f"Bearer {first}"})
    assert again.status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {second}"}).json["id"] == person.id


def test_the_sign_in_and_sign_out_pages_speak_french(app, browser, person):
    browser.get("/account/signin?lang=fr")
    assert sign_in(browser, person.email, PASSWORD).status_code == 302
    home = browser.get("/account/").get_data(as_text=True)
    assert "Se déconnecter sur tous les appareils" in home
    browser.post("/account/signout-everywhere", data={"csrf_token": csrf_token(home)})
    page = browser.get("/account/signin").get_data(as_text=True)
    assert "Vous êtes déconnecté sur tous les appareils" in page
