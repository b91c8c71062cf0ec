"""Two app workers on one database, as two gunicorn workers or two hosts would be: nothing a
visitor or an administrator does depends on which worker answers.

Sessions and CSRF tokens live in signed cookies (the shared SECRET_KEY checks them anywhere),
bearer tokens and applications in the database, and each worker notices newly published packs
by the database's pack revision. Background work that several workers may run at once (the
outbox sender, renewal reminders) is tested in tests/test_notifications.py and
tests/test_renewals.py.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app import create_app
from tests.answer_sets import TORONTO, TORONTO_FULL
from tests.conftest import SIGNING_KEY
from tests.web.conftest import PASSWORD, csrf_token
from workflows.pack_store import active_versions, publish_packs
from workflows.packs.loader import PackSource


def _worker(database: Engine):
    return create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database.url.render_as_string(hide_password=False),
            "SECRET_KEY": "one-secret-shared-by-every-worker",
            "PACKS_REFRESH_SECONDS": 0,
            "LICENCE_SIGNING_KEY": SIGNING_KEY,
            "WTF_CSRF_ENABLED": True,
        }
    )


@pytest.fixture
def workers(committing_database: Engine) -> Iterator[tuple]:
    first, second = _worker(committing_database), _worker(committing_database)
    yield first, second
    for worker in (first, second):
        worker.extensions["guichet.db"].engine.dispose()


def _move_cookies(source, target) -> None:
    """What a browser does: send the cookies one worker set to whichever worker answers next."""
    for name in ("session", "remember_token"):
        cookie = source.get_cookie(name)
        if cookie is not None:
            target.set_cookie(name, cookie.value)


def test_a_visitor_signed_up_on_one_worker_carries_on_with_another(workers):
    first, second = (worker.test_client() for worker in workers)
    token = csrf_token(first.get("/account/signup").get_data(as_text=True))
    signed_up = first.post(
        "/account/signup",
        data={
            "csrf_token": token,
            "email": "scale@example.ca",
            "name": "Scale Out",
            "password": PASSWORD,
            "confirm": PASSWORD,
        },
    )
    assert signed_up.status_code == 302

    _move_cookies(first, second)
    account = second.get("/account/")
    assert account.status_code == 200 and "scale@example.ca" in account.get_data(as_text=True)

    # A form drawn by the second worker is accepted by the first: the CSRF token is the session's.
    token = csrf_token(second.get("/account/").get_data(as_text=True))
    _move_cookies(second, first)
    assert first.post("/account/signout", data={"csrf_token": token}).status_code == 302
    assert first.post("/account/signout", data={"csrf_token": "forged"}).status_code == 400


def test_a_token_and_an_application_made_on_one_worker_are_served_by_another(workers):
    first, second = (worker.test_client() for worker in workers)
    made = first.post(
        "/api/v1/accounts", json={"email": "api@example.ca", "password": PASSWORD, "name": "Api"}
    )
    assert made.status_code == 201
    bearer = first.post("/api/v1/tokens", json={"email": "api@example.ca", "password": PASSWORD}).get_json()[
        "token"
    ]
    headers = {"Authorization": f"Bearer {bearer}"}

    created = second.post(
        "/api/v1/applications", json={"jurisdiction": TORONTO, "answers": TORONTO_FULL}, headers=headers
    )
    assert created.status_code == 201
    application_id = created.get_json()["id"]

    document = first.get(f"/api/v1/applications/{application_id}", headers=headers)
    assert document.status_code == 200 and document.get_json()["id"] == application_id


def test_a_pack_published_through_one_worker_is_in_force_on_the_other_at_once(workers, committing_database):
    first, second = workers
    before = second.test_client().get("/triage/3520005")  # the packs compiled into its cache
    assert before.status_code == 200 and "scale-out test" not in before.get_data(as_text=True)
    with Session(committing_database) as session, session.begin():
        toronto = next(v for v in active_versions(session) if v.jurisdiction_code == TORONTO)
        bundled = PackSource(toronto.filename, toronto.source)
    renamed = bundled.text.replace("name: {en: Toronto,", "name: {en: Toronto (scale-out test),", 1)
    assert renamed != bundled.text
    try:
        with first.app_context():
            from app.db import transaction

            with transaction() as session:
                publish_packs(session, [PackSource(bundled.filename, renamed)])

        page = second.test_client().get("/triage/3520005").get_data(as_text=True)
        assert "Toronto (scale-out test)" in page
    finally:  # the module's other tests share this database: put the bundled text back in force
        with first.app_context():
            from app.db import transaction

            with transaction() as session:
                publish_packs(session, [bundled])
