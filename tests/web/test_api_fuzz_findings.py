"""What the API fuzzer (tests/web/test_api_fuzz.py) and the security review found, each pinned
by a plain test.

- An id past the database's integer columns reached the database and answered 500.
- A queue page past what the database can take as an offset answered 500.
- Reassigning a task to a clerk id past the integer columns answered 500.
- A signed webhook whose `created` is past year 9999 answered 500.
- On PostgreSQL, asking for a token with a NUL in the email answered 500 (text cannot hold NUL).
- Task actions and provide-info answered 400 (a body that is not a JSON object) that the
  document did not list; `lang` other than en/fr and an empty `page` were accepted, which the
  document said were invalid. The code was right in these: the document now says so.
- A body of a few thousand nested brackets answered 500 on every operation that reads one.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from accounts.service import issue_token
from app.db import db_session as app_session
from tests.answer_sets import TORONTO_FULL_NO_SIGN
from tests.factories import paid_application, user
from tests.web.openapi_conformance import conforms
from tests.web.test_api_payments import event, webhook
from workflows.applications.store import cases_of
from workflows.audit.models import AuditEntry
from workflows.payments.webhooks import sign

PAST_THE_COLUMNS = 2**31  # one more than PostgreSQL's integer holds
HUGE = 10**30  # more than SQLite's 64-bit integer holds


@dataclass
class World:
    application_id: int
    zoning_task: int
    applicant: dict[str, str]
    clerk: dict[str, str]


@pytest.fixture
def world(app) -> World:
    """A paid Toronto application; its owner's token and a Toronto Buildings clerk's."""
    with app.app_context():
        session = app_session()
        owner, clerk = user(session), user(session, "clerk", "TO-TB")
        application, _ = paid_application(session, owner, TORONTO_FULL_NO_SIGN)
        (zoning,) = [c.id for c in cases_of(session, application.id) if c.permit_code == "TO-ZONING"]
        headers = {u.id: {"Authorization": f"Bearer {issue_token(session, u)}"} for u in (owner, clerk)}
        session.commit()
    return World(application.id, zoning, headers[owner.id], headers[clerk.id])


@pytest.mark.parametrize("number", [PAST_THE_COLUMNS, HUGE])
@pytest.mark.parametrize(
    ("method", "path", "who"),
    [
        ("GET", "/api/v1/applications/{n}", "applicant"),
        ("GET", "/api/v1/applications/{n}/form", "applicant"),
        ("PUT", "/api/v1/applications/{n}/form", "applicant"),  # GET and PUT share the path
        ("POST", "/api/v1/applications/{n}/consents", "applicant"),
        ("GET", "/api/v1/applications/{n}/invoice", "applicant"),
        ("POST", "/api/v1/applications/{n}/permits/TO-ZONING/withdraw", "applicant"),
        ("GET", "/api/v1/tasks/{n}", "clerk"),
        ("POST", "/api/v1/tasks/{n}/claim", "clerk"),
        ("POST", "/api/v1/tasks/{n}/reassign", "clerk"),
    ],
)
def test_an_id_past_the_integer_columns_is_no_such_row_not_a_server_error(
    client, world, number, method, path, who
):
    body = {"fields": {}} if method == "PUT" else {"agencies": ["TO-MLS"]} if "consents" in path else None
    response = client.open(path.format(n=number), method=method, json=body, headers=getattr(world, who))
    assert conforms(response).status_code == 404
    # the largest id the columns hold is just a missing row, as before
    response = client.open(
        path.format(n=PAST_THE_COLUMNS - 1), method=method, json=body, headers=getattr(world, who)
    )
    assert conforms(response).status_code == 404


def test_a_queue_page_past_what_the_database_can_offset_is_a_field_error(client, world):
    for page in (21474837, HUGE):
        response = conforms(client.get(f"/api/v1/queue?page={page}", headers=world.clerk))
        assert response.status_code == 422
        assert [e["field"] for e in response.json["errors"]] == ["page"]
    last = conforms(client.get("/api/v1/queue?page=21474836&page_size=100", headers=world.clerk))
    assert last.status_code == 200 and last.json["tasks"] == []


def test_an_empty_page_means_the_first_as_documented(client, world):
    response = conforms(client.get("/api/v1/queue?page=&page_size=", headers=world.clerk))
    assert response.status_code == 200
    assert (response.json["page"], response.json["page_size"]) == (1, 25)
    assert [t["id"] for t in response.json["tasks"]] == [world.zoning_task]


@pytest.mark.parametrize("action", ["claim", "release", "approve", "reject", "request-info", "reassign"])
def test_a_task_action_whose_body_is_not_a_json_object_is_a_documented_400(client, world, action):
    response = client.post(
        f"/api/v1/tasks/{world.zoning_task}/{action}",
        data="[1, 2]",
        content_type="application/json",
        headers=world.clerk,
    )
    assert conforms(response).status_code == 400
    assert response.json["errors"][0]["message"] == "The request body must be a JSON object."


def test_provide_info_whose_body_is_not_a_json_object_is_a_documented_400(client, world):
    response = client.post(
        f"/api/v1/applications/{world.application_id}/permits/TO-ZONING/provide-info",
        data="not json",
        content_type="application/json",
        headers=world.applicant,
    )
    assert conforms(response).status_code == 400


def test_a_language_other_than_en_or_fr_is_ignored_as_documented(client):
    response = conforms(client.get("/api/v1/jurisdictions?lang=de", headers={"Accept-Language": "fr"}))
    assert response.status_code == 200
    names = {j["code"]: j["name"] for j in response.json["jurisdictions"]}
    assert names["CA-BC"] == "Colombie-Britannique"  # the header decides
    english = conforms(client.get("/api/v1/jurisdictions?lang=de"))
    assert {j["code"]: j["name"] for j in english.json["jurisdictions"]}["CA-BC"] == "British Columbia"


@pytest.mark.parametrize("clerk_id", [PAST_THE_COLUMNS, HUGE, -HUGE])
def test_reassigning_to_a_clerk_id_past_the_integer_columns_is_a_field_error(app, client, world, clerk_id):
    with app.app_context():
        session = app_session()
        supervisor = user(session, "supervisor", "TO-TB")
        headers = {"Authorization": f"Bearer {issue_token(session, supervisor)}"}
        session.commit()
    url = f"/api/v1/tasks/{world.zoning_task}"
    assert conforms(client.post(f"{url}/claim", headers=headers)).status_code == 200
    response = conforms(client.post(f"{url}/reassign", json={"clerk_id": clerk_id}, headers=headers))
    assert response.status_code == 422
    assert [e["field"] for e in response.json["errors"]] == ["clerk_id"]


@pytest.mark.parametrize("created", [253402300800, 10**20])
def test_a_signed_webhook_created_past_year_9999_is_refused_not_a_server_error(app, client, created):
    response = webhook(
        app, client, event("evt_far_future", "payment.succeeded", "ch_unknown", created=created)
    )
    assert response.status_code == 422
    assert "created" in response.json["errors"][0]["message"]


def test_a_token_asked_with_a_nul_in_the_email_is_refused_and_logged(client, db_session):
    response = conforms(
        client.post(
            "/api/v1/tokens", json={"email": "ada\x00@example.ca", "password": "correct horse battery"}
        )
    )
    assert response.status_code == 401
    logged = db_session.scalars(
        select(AuditEntry).where(AuditEntry.action == "auth.signin_failed").order_by(AuditEntry.id.desc())
    ).first()
    assert logged.details["email"] == "ada\ufffd@example.ca"


@pytest.mark.parametrize(
    "body",
    [
        {"email": "ada\x00@example.ca", "password": "correct horse battery", "name": "Ada"},
        {"email": "ada@example.ca", "password": "correct horse battery", "name": "Ada\x00"},
        {"email": "ada@example.ca", "password": "correct horse\x00battery", "name": "Ada"},
    ],
)
def test_an_account_with_a_nul_is_never_a_server_error(client, body):
    assert conforms(client.post("/api/v1/accounts", json=body)).status_code in (201, 422)


def _operations_with_a_body(client) -> list[tuple[str, str]]:
    document = client.get("/api/openapi.json").json
    return [
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if isinstance(operation, dict) and "requestBody" in operation
    ]


@pytest.mark.parametrize(
    "nested",
    [
        "[" * 50_000 + "]" * 50_000,  # 100 KB, far past the parser's recursion limit
        '{"email": ' * 2_000 + '"x"' + "}" * 2_000,
    ],
    ids=["arrays", "objects"],
)
def test_a_body_nested_past_what_the_parser_follows_is_a_400_on_every_operation(app, client, world, nested):
    """Found by the security review: Python's JSON parser recurses, and RecursionError is not the
    ValueError Werkzeug treats as unreadable JSON, so every operation with a body answered 500."""
    operations = _operations_with_a_body(client)
    assert len(operations) >= 16
    for method, path in operations:
        url = path.replace("{code}", "TO-ZONING").replace(
            "{id}", str(world.zoning_task if path.startswith("/api/v1/tasks") else world.application_id)
        )
        headers = world.clerk if path.startswith("/api/v1/tasks") else world.applicant
        if path == "/api/v1/payments/webhook":  # signed: the body is read only once the signature holds
            headers = {
                "Guichet-Signature": sign(app.config["WEBHOOK_SECRET"], nested.encode(), int(time.time()))
            }
        response = conforms(
            client.open(url, method=method, data=nested, content_type="application/json", headers=headers)
        )
        assert response.status_code == 400, (method, path, response.status_code, response.json)
