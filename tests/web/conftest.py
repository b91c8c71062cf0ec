"""Fixtures for tests through HTTP: a client that behaves like a browser, CSRF tokens included."""

import re
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from sqlalchemy import event

from accounts.service import create_account, issue_token
from app.db import db_session as app_session
from tests.factories import submitted_application, user

PASSWORD = "correct horse battery"


def csrf_token(html: str) -> str:
    """The CSRF token a page carries, as a browser would send it back."""
    return re.search(r'name="csrf_token"[^>]*?value="([^"]+)"', html).group(1)


@pytest.fixture
def browser(app):
    """A client with CSRF protection on: every form post must carry the page's token."""
    app.config["WTF_CSRF_ENABLED"] = True
    return app.test_client()


@dataclass(frozen=True)
class Person:
    id: int
    email: str


@pytest.fixture
def person(app) -> Person:
    """An applicant who can sign in, made in an app context of its own. Unlike `account` (whose
    `db_session` keeps one context for the whole test), requests then share no `g`, so each one
    loads its own signed-in user, as on a server."""
    with app.app_context():
        session = app_session()
        user = create_account(session, email="ada@example.ca", password=PASSWORD, name="Ada Lovelace")
        session.commit()
        return Person(user.id, user.email)


@pytest.fixture
def account(db_session):
    """An applicant who can sign in through the sign-in page (a real password hash, unlike factories.user)."""
    return create_account(db_session, email="ada@example.ca", password=PASSWORD, name="Ada Lovelace")


@pytest.fixture
def owner(app):
    """(bearer headers, application id) of a submitted Toronto restaurant, committed in its own context."""
    with app.app_context():
        session = app_session()
        person = user(session)
        application, _ = submitted_application(session, person)
        token = issue_token(session, person)
        session.commit()
        return {"Authorization": f"Bearer {token}"}, application.id


def sign_in(client, email: str, password: str = PASSWORD):
    """Sign in through the real sign-in page, sending its CSRF token back when it carries one."""
    page = client.get("/account/signin").get_data(as_text=True)
    data = {"email": email, "password": password}
    if 'name="csrf_token"' in page:
        data["csrf_token"] = csrf_token(page)
    return client.post("/account/signin", data=data)


@contextmanager
def counted(app):
    """The SQL statements the app sends to the database while the block runs, whitespace folded."""
    connection = app.extensions["guichet.db"].sessions.kw["bind"]
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(" ".join(statement.split()))

    event.listen(connection, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(connection, "before_cursor_execute", count)
