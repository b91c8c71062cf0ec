"""Every route, with every role: who gets what, checked on the server for every object.

Seven callers: nobody signed in, the application's owner (applicant A), another applicant
(B), a clerk of the agency whose task it is (X: Toronto Buildings), a clerk of another
agency (Y: Toronto Public Health), X's supervisor and an administrator. Each route is
called once by each, by cookie for the pages and by bearer token for the API, and each
answer is compared with the table below. Every request runs in a savepoint rolled back
afterwards, so each caller meets the same state. A route missing from the table fails the
test, so a new route cannot be added without saying who may use it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from accounts.service import create_account, issue_token
from app.db import db_session as app_session
from tests.answer_sets import TORONTO_FULL_NO_SIGN
from tests.factories import paid_application
from tests.web.conftest import PASSWORD
from workflows.applications.store import cases_of

ROLES = ("anonymous", "applicant_a", "applicant_b", "clerk_x", "clerk_y", "supervisor", "admin")
APPLICANTS = ("applicant_a", "applicant_b")
PAGE_SIGN_IN = 302  # a page that needs an account sends anonymous callers to sign in
API_SIGN_IN = 401
SUBMITTED = 302  # a draft's page, once submitted, sends its owner to the dashboard


def everyone(status: int) -> dict[str, int]:
    return dict.fromkeys(ROLES, status)


def signed_in(status: int, anonymous: int) -> dict[str, int]:
    return {**everyone(status), "anonymous": anonymous}


def owner_only(owner: int, anonymous: int) -> dict[str, int]:
    """The owner's application: anybody else gets 404, as if it did not exist."""
    return {**everyone(404), "anonymous": anonymous, "applicant_a": owner}


def agency_staff(ok: int, anonymous: int) -> dict[str, int]:
    """A queue: an agency's clerks and supervisors only; applicants and administrators have none."""
    return {**everyone(403), "anonymous": anonymous, "clerk_x": ok, "clerk_y": ok, "supervisor": ok}


def task_of_x(clerk: int, supervisor: int, anonymous: int) -> dict[str, int]:
    """Agency X's task: another agency's clerk gets 404, as if it did not exist."""
    return {**agency_staff(0, anonymous), "clerk_x": clerk, "clerk_y": 404, "supervisor": supervisor}


def admin_only(ok: int) -> dict[str, int]:
    """The permit packs: administrators only; everyone else signed in is refused."""
    return {**everyone(403), "anonymous": PAGE_SIGN_IN, "admin": ok}


def supervisors_and_admins(ok: int) -> dict[str, int]:
    """Service-quality figures: supervisors (their agency's) and administrators (their jurisdiction's)."""
    return {**everyone(403), "anonymous": PAGE_SIGN_IN, "supervisor": ok, "admin": ok}


@dataclass(frozen=True)
class Call:
    method: str
    rule: str  # the Flask rule, to check every route is covered
    path: str  # with the world's ids; {app} and {task} are filled in
    expected: dict[str, int]
    json: dict | None = None
    data: dict | None = None
    headers: dict | None = None


LEDGER = "/api/v1/ledger/disbursements?from=2026-11-01&to=2026-12-01"

CALLS = [
    # Public pages and API: the same answer for everyone.
    Call("GET", "/", "/", everyone(200)),
    Call("GET", "/healthz", "/healthz", everyone(200)),
    Call("GET", "/triage/", "/triage/", everyone(200)),
    Call("GET", "/triage/<code>", "/triage/3520005", everyone(200)),
    Call("POST", "/triage/<code>", "/triage/3520005", everyone(200), data={}),  # the questions again
    Call("GET", "/workflows/<name>", "/workflows/review", everyone(200)),
    Call("GET", "/api/openapi.json", "/api/openapi.json", everyone(200)),
    Call("GET", "/verify/", "/verify/", everyone(200)),
    Call("GET", "/verify/<number>", "/verify/GL-0000000000-1", everyone(404)),  # no such licence
    Call("GET", "/api/v1/licences/<number>", "/api/v1/licences/GL-0000000000-1", everyone(404)),
    Call("GET", "/api/v1/jurisdictions", "/api/v1/jurisdictions", everyone(200)),
    Call("GET", "/api/v1/triage/questions", "/api/v1/triage/questions?jurisdiction=3520005", everyone(200)),
    Call("POST", "/api/v1/triage", "/api/v1/triage", everyone(422), json={}),
    Call("POST", "/api/v1/accounts", "/api/v1/accounts", everyone(422), json={}),
    Call("POST", "/api/v1/tokens", "/api/v1/tokens", everyone(401), json={}),
    Call("POST", "/api/v1/payments/webhook", "/api/v1/payments/webhook", everyone(400), json={}),
    Call("GET", "/account/signin", "/account/signin", everyone(200)),
    Call("POST", "/account/signin", "/account/signin", everyone(200), data={}),  # the form again
    Call("GET", "/account/signup", "/account/signup", everyone(200)),
    Call("POST", "/account/signup", "/account/signup", everyone(200), data={}),
    Call("GET", "/applications/new", "/applications/new", everyone(302)),  # to triage, or to confirm
    Call("POST", "/applications/new", "/applications/new", everyone(400), data={}),
    # Anyone signed in: their own account and their own (here empty) list.
    Call("GET", "/account/", "/account/", signed_in(200, PAGE_SIGN_IN)),
    Call("GET", "/account/password", "/account/password", signed_in(200, PAGE_SIGN_IN)),
    Call("POST", "/account/password", "/account/password", signed_in(200, PAGE_SIGN_IN), data={}),
    Call("GET", "/applications/", "/applications/", signed_in(200, PAGE_SIGN_IN)),
    Call("GET", "/api/v1/me", "/api/v1/me", signed_in(200, API_SIGN_IN)),
    Call("GET", "/api/v1/applications", "/api/v1/applications", signed_in(200, API_SIGN_IN)),
    Call("POST", "/api/v1/applications", "/api/v1/applications", signed_in(422, API_SIGN_IN), json={}),
    # Applicant A's application (submitted and paid): A only.
    Call("GET", "/applications/<int:application_id>", "/applications/{app}", owner_only(200, PAGE_SIGN_IN)),
    Call(  # paid, not yet licensed: back to the dashboard, which says so
        "GET",
        "/applications/<int:application_id>/licence.pdf",
        "/applications/{app}/licence.pdf",
        owner_only(302, PAGE_SIGN_IN),
    ),
    Call(
        "GET",
        "/applications/<int:application_id>/receipt.pdf",
        "/applications/{app}/receipt.pdf",
        owner_only(200, PAGE_SIGN_IN),
    ),
    Call(
        "GET",
        "/applications/<int:application_id>/form",
        "/applications/{app}/form",
        owner_only(200, PAGE_SIGN_IN),
    ),
    Call(
        "POST",
        "/applications/<int:application_id>/form",
        "/applications/{app}/form",
        owner_only(SUBMITTED, PAGE_SIGN_IN),
        data={},
    ),
    Call(
        "GET",
        "/applications/<int:application_id>/answers",
        "/applications/{app}/answers",
        owner_only(SUBMITTED, PAGE_SIGN_IN),
    ),
    Call(
        "POST",
        "/applications/<int:application_id>/answers",
        "/applications/{app}/answers",
        owner_only(SUBMITTED, PAGE_SIGN_IN),
        data={},
    ),
    Call(
        "POST",
        "/applications/<int:application_id>/answers/confirm",
        "/applications/{app}/answers/confirm",
        owner_only(SUBMITTED, PAGE_SIGN_IN),
        data={},
    ),
    Call(
        "GET",
        "/applications/<int:application_id>/consent",
        "/applications/{app}/consent",
        owner_only(200, PAGE_SIGN_IN),
    ),
    Call(
        "POST",
        "/applications/<int:application_id>/consent",
        "/applications/{app}/consent",
        owner_only(SUBMITTED, PAGE_SIGN_IN),
        data={},
    ),
    Call(
        "GET",
        "/applications/<int:application_id>/payment",
        "/applications/{app}/payment",
        owner_only(200, PAGE_SIGN_IN),
    ),
    Call(
        "POST",
        "/applications/<int:application_id>/payment",
        "/applications/{app}/payment",
        owner_only(422, PAGE_SIGN_IN),  # no card given
        data={},
    ),
    Call(  # paid, not licensed: nothing to renew yet, and the page says so
        "GET",
        "/applications/<int:application_id>/renewal",
        "/applications/{app}/renewal",
        owner_only(200, PAGE_SIGN_IN),
    ),
    Call(
        "POST",
        "/applications/<int:application_id>/renewal",
        "/applications/{app}/renewal",
        owner_only(422, PAGE_SIGN_IN),  # nothing renewable
        data={},
    ),
    Call(  # no renewal waiting for payment: back to the renewal page
        "GET",
        "/applications/<int:application_id>/renewal/payment",
        "/applications/{app}/renewal/payment",
        owner_only(302, PAGE_SIGN_IN),
    ),
    Call(
        "POST",
        "/applications/<int:application_id>/renewal/payment",
        "/applications/{app}/renewal/payment",
        owner_only(302, PAGE_SIGN_IN),
        data={"card_token": "tok_approved", "key": "authorisation-walk"},
    ),
    Call(
        "POST",
        "/applications/<int:application_id>/permits/<code>/provide-info",
        "/applications/{app}/permits/TO-ZONING/provide-info",
        owner_only(409, PAGE_SIGN_IN),
        data={"answer-TO-ZONING-message": "Lot 12"},
    ),
    Call(  # paid, not licensed: the survey is not open yet
        "POST",
        "/applications/<int:application_id>/survey",
        "/applications/{app}/survey",
        owner_only(409, PAGE_SIGN_IN),
        data={"survey-score": "5"},
    ),
    Call(
        "GET",
        "/api/v1/applications/<int:application_id>",
        "/api/v1/applications/{app}",
        owner_only(200, API_SIGN_IN),
    ),
    Call(
        "GET",
        "/api/v1/applications/<int:application_id>/form",
        "/api/v1/applications/{app}/form",
        owner_only(200, API_SIGN_IN),
    ),
    Call(
        "PUT",
        "/api/v1/applications/<int:application_id>/form",
        "/api/v1/applications/{app}/form",
        owner_only(409, API_SIGN_IN),
        json={"fields": {}},
    ),
    Call(
        "POST",
        "/api/v1/applications/<int:application_id>/answers/preview",
        "/api/v1/applications/{app}/answers/preview",
        owner_only(409, API_SIGN_IN),
        json={"answers": {}},
    ),
    Call(
        "PUT",
        "/api/v1/applications/<int:application_id>/answers",
        "/api/v1/applications/{app}/answers",
        owner_only(409, API_SIGN_IN),
        json={"answers": {}},
    ),
    Call(
        "GET",
        "/api/v1/applications/<int:application_id>/consents",
        "/api/v1/applications/{app}/consents",
        owner_only(200, API_SIGN_IN),
    ),
    Call(
        "POST",
        "/api/v1/applications/<int:application_id>/consents",
        "/api/v1/applications/{app}/consents",
        owner_only(200, API_SIGN_IN),  # consent already given: nothing to add
        json={"agencies": ["TO-TB"]},
    ),
    Call(
        "POST",
        "/api/v1/applications/<int:application_id>/submit",
        "/api/v1/applications/{app}/submit",
        owner_only(409, API_SIGN_IN),
    ),
    Call(
        "GET",
        "/api/v1/applications/<int:application_id>/invoice",
        "/api/v1/applications/{app}/invoice",
        owner_only(200, API_SIGN_IN),
    ),
    Call(
        "POST",
        "/api/v1/applications/<int:application_id>/payments",
        "/api/v1/applications/{app}/payments",
        owner_only(409, API_SIGN_IN),
        json={"card_token": "tok_approved"},
        headers={"Idempotency-Key": "authorisation-walk"},
    ),
    Call(
        "GET",
        "/api/v1/applications/<int:application_id>/renewal",
        "/api/v1/applications/{app}/renewal",
        owner_only(200, API_SIGN_IN),
    ),
    Call(
        "POST",
        "/api/v1/applications/<int:application_id>/renewals",
        "/api/v1/applications/{app}/renewals",
        owner_only(422, API_SIGN_IN),  # nothing renewable yet
        json={},
    ),
    Call(
        "GET",
        "/api/v1/applications/<int:application_id>/licence.pdf",
        "/api/v1/applications/{app}/licence.pdf",
        owner_only(409, API_SIGN_IN),  # not yet issued
    ),
    Call(
        "GET",
        "/api/v1/applications/<int:application_id>/receipt.pdf",
        "/api/v1/applications/{app}/receipt.pdf",
        owner_only(200, API_SIGN_IN),
    ),
    Call(
        "POST",
        "/api/v1/applications/<int:application_id>/permits/<code>/withdraw",
        "/api/v1/applications/{app}/permits/TO-ZONING/withdraw",
        owner_only(409, API_SIGN_IN),
    ),
    Call(
        "POST",
        "/api/v1/applications/<int:application_id>/permits/<code>/provide-info",
        "/api/v1/applications/{app}/permits/TO-ZONING/provide-info",
        owner_only(409, API_SIGN_IN),
        json={"message": "Lot 12"},
    ),
    # The agencies' side: queues, and agency X's zoning task (unclaimed, at its review step).
    Call("GET", "/staff/queue", "/staff/queue", agency_staff(200, PAGE_SIGN_IN)),
    Call("GET", "/api/v1/queue", "/api/v1/queue", agency_staff(200, API_SIGN_IN)),
    Call("GET", "/staff/tasks/<int:task_id>", "/staff/tasks/{task}", task_of_x(200, 200, PAGE_SIGN_IN)),
    Call("GET", "/api/v1/tasks/<int:task_id>", "/api/v1/tasks/{task}", task_of_x(200, 200, API_SIGN_IN)),
    Call(
        "POST",
        "/staff/tasks/<int:task_id>/<action>",
        "/staff/tasks/{task}/claim",
        task_of_x(302, 302, PAGE_SIGN_IN),
    ),
    Call(
        "POST",
        "/api/v1/tasks/<int:task_id>/claim",
        "/api/v1/tasks/{task}/claim",
        task_of_x(200, 200, API_SIGN_IN),
    ),
    Call(
        "POST",
        "/api/v1/tasks/<int:task_id>/release",
        "/api/v1/tasks/{task}/release",
        task_of_x(409, 409, API_SIGN_IN),
    ),
    Call(
        "POST",
        "/api/v1/tasks/<int:task_id>/approve",
        "/api/v1/tasks/{task}/approve",
        task_of_x(409, 409, API_SIGN_IN),
        json={},
    ),
    Call(
        "POST",
        "/api/v1/tasks/<int:task_id>/reject",
        "/api/v1/tasks/{task}/reject",
        task_of_x(409, 409, API_SIGN_IN),
        json={"reason": "No."},
    ),
    Call(
        "POST",
        "/api/v1/tasks/<int:task_id>/request-info",
        "/api/v1/tasks/{task}/request-info",
        task_of_x(409, 409, API_SIGN_IN),
        json={"message": "Which lot?"},
    ),
    Call(
        "POST",
        "/api/v1/tasks/<int:task_id>/reassign",
        "/api/v1/tasks/{task}/reassign",
        task_of_x(409, 200, API_SIGN_IN),
        json={"clerk_id": "{clerk_x}"},
    ),
    # Permit packs: administrators only (this one reaches CA: every jurisdiction).
    Call("GET", "/admin/packs", "/admin/packs", admin_only(200)),
    Call("GET", "/admin/packs/upload", "/admin/packs/upload", admin_only(200)),
    Call("POST", "/admin/packs/upload", "/admin/packs/upload", admin_only(422), data={}),  # no file
    Call("POST", "/admin/packs/publish", "/admin/packs/publish", admin_only(400), data={}),  # no preview
    Call("GET", "/admin/packs/<code>/versions", "/admin/packs/3520005/versions", admin_only(200)),
    Call(  # version 1 is in force: the preview says there is nothing to restore
        "GET",
        "/admin/packs/<code>/versions/<int:version>/restore",
        "/admin/packs/3520005/versions/1/restore",
        admin_only(200),
    ),
    Call(  # no revision posted: the preview again, to be confirmed
        "POST",
        "/admin/packs/<code>/versions/<int:version>/restore",
        "/admin/packs/3520005/versions/1/restore",
        admin_only(409),
        data={},
    ),
    # Service quality: supervisors (their agency) and administrators (their jurisdiction).
    Call("GET", "/staff/quality", "/staff/quality", supervisors_and_admins(200)),
    Call("GET", "/staff/quality.csv", "/staff/quality.csv", supervisors_and_admins(200)),
    Call("GET", "/staff/quality-summary.csv", "/staff/quality-summary.csv", supervisors_and_admins(200)),
    # Money: supervisors (their agency) and administrators.
    Call(
        "GET",
        "/api/v1/ledger/disbursements",
        LEDGER,
        {**everyone(403), "anonymous": API_SIGN_IN, "supervisor": 200, "admin": 200},
    ),
    Call("DELETE", "/api/v1/tokens/current", "/api/v1/tokens/current", signed_in(204, API_SIGN_IN)),
    # Last: they end each caller's session.
    Call(
        "POST",
        "/account/signout-everywhere",
        "/account/signout-everywhere",
        signed_in(302, PAGE_SIGN_IN),  # to the sign-in page, signed out
    ),
    Call("POST", "/account/signout", "/account/signout", everyone(302)),
]


@dataclass
class World:
    app_id: int
    task_id: int
    ids: dict[str, int]
    tokens: dict[str, str]


@pytest.fixture
def world(app) -> World:
    with app.app_context():
        session = app_session()

        def account(role: str, agency: str | None, name: str):
            return create_account(
                session,
                email=f"{name}@example.ca",
                password=PASSWORD,
                name=name,
                role=role,
                agency_code=agency,
                jurisdiction_code="CA" if role == "admin" else None,  # an administrator reaches all
            )

        people = {
            "applicant_a": account("applicant", None, "applicant_a"),
            "applicant_b": account("applicant", None, "applicant_b"),
            "clerk_x": account("clerk", "TO-TB", "clerk_x"),
            "clerk_y": account("clerk", "TO-TPH", "clerk_y"),
            "supervisor": account("supervisor", "TO-TB", "supervisor"),
            "admin": account("admin", None, "admin"),
        }
        application, _ = paid_application(session, people["applicant_a"], TORONTO_FULL_NO_SIGN)
        task = next(c.id for c in cases_of(session, application.id) if c.permit_code == "TO-ZONING")
        tokens = {who: issue_token(session, person) for who, person in people.items()}
        ids = {who: person.id for who, person in people.items()}
        session.commit()
    return World(application.id, task, ids, tokens)


def _client(app, world: World, role: str, index: int):
    """A client for `role`: signed in through the sign-in page (each from its own address, so the
    sign-in rate limit is not what is tested here)."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = f"10.0.0.{index + 1}"
    if role != "anonymous":
        response = client.post("/account/signin", data={"email": f"{role}@example.ca", "password": PASSWORD})
        assert response.status_code == 302, role
    return client


def _fill(value, world: World):
    if isinstance(value, str):
        return value.format(app=world.app_id, task=world.task_id, **world.ids)
    if isinstance(value, dict):
        return {k: _fill(v, world) for k, v in value.items()}
    return value


def _json(body, world: World):
    if body is None:
        return None
    filled = _fill(body, world)
    return {k: int(v) if isinstance(v, str) and v.isdigit() else v for k, v in filled.items()}


def test_every_route_is_in_the_table(app):
    routes = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    covered = {(call.method, call.rule) for call in CALLS}
    assert routes - covered == set(), "say who may use each new route in CALLS"
    assert covered - routes == set()


def test_every_role_gets_the_expected_answer_on_every_route(app, world):
    connection = app.extensions["guichet.db"].sessions.kw["bind"]
    clients = {role: _client(app, world, role, index) for index, role in enumerate(ROLES)}
    wrong, without_toggle = [], []
    for call in CALLS:
        path = _fill(call.path, world)
        for role in ROLES:
            headers = dict(call.headers or {})
            if path.startswith("/api/") and role != "anonymous":
                headers["Authorization"] = f"Bearer {world.tokens[role]}"
            savepoint = connection.begin_nested()
            try:
                response = clients[role].open(
                    path, method=call.method, json=_json(call.json, world), data=call.data, headers=headers
                )
            finally:
                savepoint.rollback()
            if response.status_code != call.expected[role]:
                wrong.append(
                    f"{call.method} {path} as {role}: {response.status_code}, expected {call.expected[role]}"
                )
            page = response.mimetype == "text/html" and not 300 <= response.status_code < 400
            if page and 'hreflang="fr"' not in response.get_data(as_text=True):
                without_toggle.append(f"{call.method} {path} as {role}: {response.status_code}")
    assert wrong == []
    # Every page answered, error pages included, is a page of the site with the language toggle.
    assert without_toggle == []
