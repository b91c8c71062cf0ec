"""Sign-ins and failed sign-ins in the audit log, through the sign-in page and the API's token request.

Entries are read back through another session than the request's: they are there only if
the request committed them, failed attempts included.
"""

from sqlalchemy import select

from tests.web.conftest import PASSWORD, sign_in
from workflows.audit import AuditEntry
from workflows.audit.chain import canonical_json

WRONG = "not the password at all"


def signins(db_session) -> list[AuditEntry]:
    statement = select(AuditEntry).where(AuditEntry.action.like("auth.%")).order_by(AuditEntry.id)
    return list(db_session.scalars(statement))


def test_signing_in_through_the_page_is_logged_as_the_account(browser, account, db_session, runner):
    assert sign_in(browser, "Ada@Example.ca").status_code == 302
    [entry] = signins(db_session)
    assert (entry.action, entry.actor_id, entry.subject) == ("auth.signin", account.id, f"user:{account.id}")
    assert entry.details == {"through": "web", "client_address": "127.0.0.1"}
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0


def test_failed_sign_ins_through_the_page_are_logged_with_the_address_tried_and_no_password(
    browser, account, db_session, runner
):
    assert sign_in(browser, "  ADA@example.ca ", WRONG).status_code == 200
    assert sign_in(browser, "nobody@example.ca", PASSWORD).status_code == 200
    entries = signins(db_session)
    assert [(e.action, e.actor_id, e.subject) for e in entries] == [("auth.signin_failed", None, None)] * 2
    assert [e.details["email"] for e in entries] == ["ada@example.ca", "nobody@example.ca"]
    assert {e.details["through"] for e in entries} == {"web"}
    stored = canonical_json([[e.details, e.subject, e.action] for e in entries])
    assert WRONG not in stored and PASSWORD not in stored
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output


def test_a_token_request_is_the_apis_sign_in(client, account, db_session):
    issued = client.post("/api/v1/tokens", json={"email": "ada@example.ca", "password": PASSWORD})
    assert issued.status_code == 201
    refused = client.post("/api/v1/tokens", json={"email": "Ada@example.ca", "password": WRONG})
    assert refused.status_code == 401
    odd = client.post("/api/v1/tokens", json={"email": ["not", "a", "string"], "password": WRONG})
    assert odd.status_code == 401
    assert [(e.action, e.actor_id, e.details.get("email")) for e in signins(db_session)] == [
        ("auth.signin", account.id, None),
        ("auth.signin_failed", None, "ada@example.ca"),
        ("auth.signin_failed", None, None),
    ]
    assert {e.details["through"] for e in signins(db_session)} == {"api"}
    assert issued.json["token"] not in canonical_json([e.details for e in signins(db_session)])
