"""Clerks' API over HTTP and real databases: queue, claims, decisions, refusals, the applicant's answer."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select

from accounts.service import issue_token
from app.db import db_session as app_session
from tests.answer_sets import TORONTO_FULL_NO_SIGN as NO_SIGN
from tests.factories import paid_application, user
from tests.web.openapi_conformance import conforms
from workflows.applications.store import cases_of
from workflows.audit.models import AuditEntry
from workflows.models import PermitCase


@dataclass
class World:
    application_id: int
    tasks: dict[str, int]  # permit code -> task id
    headers: dict[str, dict[str, str]]  # who -> Authorization header
    ids: dict[str, int]  # who -> user id


@pytest.fixture
def world(app) -> World:
    """A paid Toronto application; tokens for its owner, another applicant, two clerks of Toronto
    Buildings (TO-TB), their supervisor, a Public Health clerk (TO-TPH) and an administrator."""
    with app.app_context():
        session = app_session()
        people = {
            "owner": user(session),
            "stranger": user(session),
            "clerk": user(session, "clerk", "TO-TB"),
            "clerk2": user(session, "clerk", "TO-TB"),
            "supervisor": user(session, "supervisor", "TO-TB"),
            "health": user(session, "clerk", "TO-TPH"),
            "admin": user(session, "admin"),
        }
        application, _ = paid_application(session, people["owner"], NO_SIGN)
        tasks = {case.permit_code: case.id for case in cases_of(session, application.id)}
        headers = {who: {"Authorization": f"Bearer {issue_token(session, u)}"} for who, u in people.items()}
        ids = {who: u.id for who, u in people.items()}
        session.commit()
    return World(application.id, tasks, headers, ids)


def post(client, world: World, who: str, task: str, action: str, body=None):
    url = f"/api/v1/tasks/{world.tasks[task]}/{action}"
    return conforms(client.post(url, json=body, headers=world.headers[who]))


def test_the_queue_lists_the_agencys_tasks_in_the_documented_shape(client, world):
    response = conforms(client.get("/api/v1/queue", headers=world.headers["clerk"]))
    assert response.status_code == 200
    (task,) = response.json["tasks"]
    assert {k: task[k] for k in ("id", "application_id", "permit_code", "state", "claimed_by")} == {
        "id": world.tasks["TO-ZONING"],
        "application_id": world.application_id,
        "permit_code": "TO-ZONING",
        "state": "review",
        "claimed_by": None,
    }
    assert task["due_at"].startswith("2026-12-06")  # submitted 2026-11-26, 10 processing days
    assert response.json["total"] == 1
    health = conforms(client.get("/api/v1/queue", headers=world.headers["health"]))
    assert health.json["tasks"] == []


@pytest.mark.parametrize("who", ["owner", "admin"])
def test_only_agency_staff_have_a_queue(client, world, who):
    response = conforms(client.get("/api/v1/queue", headers=world.headers[who]))
    assert response.status_code == 403
    assert conforms(client.get("/api/v1/queue")).status_code == 401


def test_bad_queue_parameters_get_field_errors(client, world):
    response = conforms(client.get("/api/v1/queue?page=0&page_size=500", headers=world.headers["clerk"]))
    assert response.status_code == 422
    assert {e["field"] for e in response.json["errors"]} == {"page", "page_size"}


def test_two_clerks_cannot_both_claim_a_task(client, world):
    first = post(client, world, "clerk", "TO-ZONING", "claim")
    assert first.status_code == 200 and first.json["claimed_by"] == world.ids["clerk"]
    assert first.json["allowed"] == ["release", "approve", "request-info", "reject"]
    second = post(client, world, "clerk2", "TO-ZONING", "claim")
    assert second.status_code == 409
    assert "already claimed" in second.json["errors"][0]["message"]
    assert second.json["allowed"] == []
    again = post(client, world, "clerk", "TO-ZONING", "claim")
    assert again.status_code == 200
    released = post(client, world, "clerk", "TO-ZONING", "release")
    assert released.status_code == 200 and released.json["claimed_by"] is None
    assert post(client, world, "clerk2", "TO-ZONING", "claim").status_code == 200


def test_an_action_the_state_does_not_allow_is_409_with_the_allowed_actions(client, world):
    unclaimed = post(client, world, "clerk", "TO-ZONING", "approve")
    assert unclaimed.status_code == 409 and unclaimed.json["allowed"] == ["claim"]
    waiting = post(client, world, "clerk", "TO-BUILDING", "claim")  # waits for zoning
    assert waiting.status_code == 409 and waiting.json["allowed"] == []


def test_approve_with_conditions_then_the_next_permit_enters_the_queue(client, world, db_session):
    post(client, world, "clerk", "TO-ZONING", "claim")
    approved = post(client, world, "clerk", "TO-ZONING", "approve", {"conditions": ["No signage above 2 m."]})
    assert approved.status_code == 200, approved.json
    assert approved.json["state"] == "approved" and approved.json["allowed"] == []
    case = db_session.get(PermitCase, world.tasks["TO-ZONING"])
    db_session.refresh(case)
    assert case.conditions == ["No signage above 2 m."]
    queue = conforms(client.get("/api/v1/queue", headers=world.headers["clerk"]))
    assert [t["permit_code"] for t in queue.json["tasks"]] == ["TO-BUILDING"]


@pytest.mark.parametrize(
    ("action", "body", "field"),
    [
        ("reject", {}, "reason"),
        ("reject", {"reason": "  "}, "reason"),
        ("request-info", {"message": 5}, "message"),
        ("approve", {"conditions": "not a list"}, "conditions"),
        ("approve", {"conditions": ["x" * 501]}, "conditions.0"),
        ("approve", {"surprise": 1}, "surprise"),
        ("reassign", {"clerk_id": 1}, "clerk_id"),
    ],
)
def test_bad_decision_input_gets_a_field_error_and_changes_nothing(
    client, world, db_session, action, body, field
):
    who = "supervisor" if action == "reassign" else "clerk"
    post(client, world, who, "TO-ZONING", "claim")
    response = post(client, world, who, "TO-ZONING", action, body)
    assert response.status_code == 422
    assert [e["field"] for e in response.json["errors"]] == [field]
    case = db_session.get(PermitCase, world.tasks["TO-ZONING"])
    db_session.refresh(case)
    assert case.state == "review"


def test_request_info_then_the_applicant_answers_and_the_task_returns(client, world):
    post(client, world, "clerk", "TO-ZONING", "claim")
    asked = post(client, world, "clerk", "TO-ZONING", "request-info", {"message": "Which lot number?"})
    assert asked.status_code == 200 and asked.json["waiting_on"] == "applicant"
    assert conforms(client.get("/api/v1/queue", headers=world.headers["clerk"])).json["tasks"] == []
    url = f"/api/v1/applications/{world.application_id}/permits/TO-ZONING/provide-info"
    refused = conforms(client.post(url, json={"message": "Lot 12"}, headers=world.headers["stranger"]))
    assert refused.status_code == 404  # not their application
    empty = conforms(client.post(url, json={"message": ""}, headers=world.headers["owner"]))
    assert empty.status_code == 422 and empty.json["errors"][0]["field"] == "message"
    answered = conforms(client.post(url, json={"message": "Lot 12"}, headers=world.headers["owner"]))
    assert answered.status_code == 200
    again = conforms(client.post(url, json={"message": "Lot 12"}, headers=world.headers["owner"]))
    assert again.status_code == 409 and "withdraw" not in again.json["allowed"]
    queue = conforms(client.get("/api/v1/queue", headers=world.headers["clerk"])).json["tasks"]
    assert [(t["permit_code"], t["claimed_by"]) for t in queue] == [("TO-ZONING", world.ids["clerk"])]
    task = conforms(client.get(f"/api/v1/tasks/{world.tasks['TO-ZONING']}", headers=world.headers["clerk"]))
    assert [(h["event"], h["reason"]) for h in task.json["history"]][-2:] == [
        ("request_info", "Which lot number?"),
        ("provide_info", "Lot 12"),
    ]


def test_another_agencys_task_is_404_like_a_missing_one(client, world):
    for action in ("claim", "release", "approve", "reject", "request-info", "reassign"):
        assert post(client, world, "health", "TO-ZONING", action, {}).status_code == 404
    task = conforms(client.get(f"/api/v1/tasks/{world.tasks['TO-ZONING']}", headers=world.headers["health"]))
    assert task.status_code == 404
    missing = conforms(client.get("/api/v1/tasks/999999", headers=world.headers["clerk"]))
    assert (
        missing.status_code == 404
        and missing.json["errors"][0]["message"] == task.json["errors"][0]["message"]
    )


def test_the_task_shows_only_the_agencys_shared_fields_and_each_read_is_logged(client, world, db_session):
    response = conforms(
        client.get(f"/api/v1/tasks/{world.tasks['TO-ZONING']}", headers=world.headers["clerk"])
    )
    assert response.status_code == 200
    shared = {f["id"] for f in response.json["shared_fields"]}
    assert "premises_address" in shared  # TO-ZONING declares it
    assert "owner_full_name" not in shared  # only the licensing office's and health's permits declare it
    assert "liability_insurance_policy_number" not in shared  # only the patio permits' (TO-TS)
    assert response.json["business_number"] and response.json["business_name"]
    views = db_session.scalars(select(AuditEntry).where(AuditEntry.action == "staff.view")).all()
    assert [(v.actor_id, v.subject) for v in views] == [
        (world.ids["clerk"], f"permit_case:{world.tasks['TO-ZONING']}")
    ]


def test_a_supervisor_reassigns_and_sees_claimed_tasks(client, world):
    post(client, world, "clerk", "TO-ZONING", "claim")
    assert (
        post(client, world, "clerk", "TO-ZONING", "reassign", {"clerk_id": world.ids["clerk2"]}).status_code
        == 409
    )
    moved = post(client, world, "supervisor", "TO-ZONING", "reassign", {"clerk_id": world.ids["clerk2"]})
    assert moved.status_code == 200 and moved.json["claimed_by"] == world.ids["clerk2"]
    queue = conforms(client.get("/api/v1/queue", headers=world.headers["supervisor"])).json["tasks"]
    assert [(t["permit_code"], t["claimed_by"]) for t in queue] == [("TO-ZONING", world.ids["clerk2"])]
    assert conforms(client.get("/api/v1/queue", headers=world.headers["clerk"])).json["tasks"] == []
