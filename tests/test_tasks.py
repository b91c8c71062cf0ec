"""The clerks' side of the engine: queues, claims, decisions, data minimisation, on both databases."""

from __future__ import annotations

import dataclasses
import gc
import weakref
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.answer_sets import TORONTO
from tests.answer_sets import TORONTO_FULL_NO_SIGN as NO_SIGN
from tests.factories import NOW, draft_application, paid_application, submitted_application, user
from workflows.applications import lock_application
from workflows.applications.replies import answer_information_request
from workflows.applications.store import cases_of, chain_of
from workflows.audit.models import AuditEntry
from workflows.models import Consent, PermitCase
from workflows.notifications.models import OutboxMessage
from workflows.pack_store import load_active_pack_set
from workflows.payments import SimulatedGateway
from workflows.payments.models import Refund
from workflows.permit_workflow import TransitionNotAllowed
from workflows.tasks import (
    QueueFilter,
    QueueFilterError,
    TaskConflict,
    TaskInputError,
    TaskNotFound,
    approve,
    claim,
    queue_choices,
    queue_page,
    reassign,
    reject,
    release,
    request_info,
    view_task,
)
from workflows.tasks import queue as queue_module
from workflows.tasks.view import shared_fields

LATER = NOW + timedelta(hours=1)


@pytest.fixture
def gateway() -> SimulatedGateway:
    """The card processor the world's application was paid through (refunds go back through it)."""
    return SimulatedGateway()


@pytest.fixture
def world(db_session, gateway):
    """Applicant A's Toronto restaurant, paid; two clerks and a supervisor of Toronto Buildings
    (TO-TB), a clerk of Toronto Public Health (TO-TPH) and an administrator."""
    owner = user(db_session)
    application, _ = paid_application(db_session, owner, NO_SIGN, gateway=gateway)
    people = {
        "owner": owner,
        "clerk": user(db_session, "clerk", "TO-TB"),
        "clerk2": user(db_session, "clerk", "TO-TB"),
        "supervisor": user(db_session, "supervisor", "TO-TB"),
        "health": user(db_session, "clerk", "TO-TPH"),
        "admin": user(db_session, "admin"),
    }
    cases = {case.permit_code: case for case in cases_of(db_session, application.id)}
    return application, cases, people


def _queue(session, staff, **filters):
    return queue_page(session, staff, QueueFilter(**filters), LATER)


def _codes(page) -> list[str]:
    return [task.permit_code for task in page.tasks]


def test_each_agency_queues_what_waits_for_its_clerks_due_by_processing_days(db_session, world):
    _application, _cases, people = world
    page = _queue(db_session, people["clerk"])
    # Zoning starts at once; the building permit waits for zoning, the sign permit for the licence.
    assert _codes(page) == ["TO-ZONING"]
    (task,) = page.tasks
    assert task.state == "review" and task.waiting_on == "clerk" and task.claimed_by is None
    assert task.due_at == NOW + timedelta(days=10)  # submission plus the pack's processing days
    assert task.municipality == TORONTO and not task.overdue
    assert (
        _codes(_queue(db_session, people["health"])) == []
    )  # health inspection waits for the building permit
    assert _queue(db_session, people["admin"]).total == 0  # administrators have no queue
    assert _queue(db_session, people["owner"]).total == 0


def test_a_task_past_its_due_date_is_marked_overdue(db_session, world):
    _, _, people = world
    late = queue_page(db_session, people["clerk"], QueueFilter(), NOW + timedelta(days=11))
    assert [task.overdue for task in late.tasks] == [True]


def test_the_queue_is_sorted_by_due_date_filtered_and_paginated(db_session, world):
    _, _, people = world
    other, _ = paid_application(db_session, people["owner"], NO_SIGN)
    cases_of(db_session, other.id)
    zoning = db_session.scalar(
        select(PermitCase).where(PermitCase.application_id == other.id, PermitCase.permit_code == "TO-ZONING")
    )
    zoning.decision_due_at = NOW + timedelta(days=2)  # the second application's zoning is due sooner
    db_session.flush()
    page = _queue(db_session, people["clerk"])
    assert [task.application_id for task in page.tasks] == [other.id, world[0].id]
    first = _queue(db_session, people["clerk"], page=1, page_size=1)
    second = _queue(db_session, people["clerk"], page=2, page_size=1)
    assert (first.total, first.pages, second.total) == (2, 2, 2)
    assert [t.application_id for t in first.tasks + second.tasks] == [other.id, world[0].id]
    assert _queue(db_session, people["clerk"], permit_code="TO-SIGN").total == 0
    assert _queue(db_session, people["clerk"], state="review").total == 2
    assert _queue(db_session, people["clerk"], state="plan_review").total == 0
    assert _queue(db_session, people["clerk"], municipality="5915022").total == 0


def test_the_filter_menus_offer_the_agencys_permits_and_the_steps_its_queue_shows(db_session, world):
    """From the packs: Toronto Buildings decides zoning and signs (one review step) and building
    permits (plan review, inspection, final approval), only in Toronto; a supervisor's queue also
    holds the steps waiting for the applicant's answer."""
    _, _, people = world
    packs = load_active_pack_set(db_session)
    choices = queue_choices(packs, people["clerk"])
    assert (choices.permit_codes, choices.states, choices.municipalities) == (
        ("TO-BUILDING", "TO-SIGN", "TO-ZONING"),
        ("final_approval", "inspection", "plan_review", "review"),
        (TORONTO,),
    )
    supervisor = queue_choices(packs, user(db_session, "supervisor", "TO-TB"))
    assert set(supervisor.states) == set(choices.states) | {
        f"{step}_info_requested" for step in choices.states
    }
    provincial = queue_choices(packs, user(db_session, "clerk", "ON-AGCO"))
    assert "ON-AGCO" in provincial.permit_codes and provincial.municipalities == (TORONTO,)
    assert queue_choices(packs, people["owner"]).permit_codes == ()
    assert queue_choices(packs, people["clerk"]) is choices  # once per pack set and agency


def test_the_menus_cache_does_not_keep_a_superseded_pack_set_alive(db_session, world):
    _, _, people = world
    packs = dataclasses.replace(load_active_pack_set(db_session))  # a set of this test's own
    queue_choices(packs, people["clerk"])
    superseded = weakref.ref(packs)
    del packs
    gc.collect()
    assert superseded() is None


def test_the_count_stops_at_its_limit_and_the_pages_go_on_past_it(db_session, world, monkeypatch):
    _, _, people = world
    for _ in range(3):
        paid_application(db_session, people["owner"], NO_SIGN)
    monkeypatch.setattr(queue_module, "COUNT_LIMIT", 2)  # 4 zoning reviews wait
    first = _queue(db_session, people["clerk"], page_size=2)
    assert (first.total, first.more, first.has_next, len(first.tasks)) == (2, True, True, 2)
    second = _queue(db_session, people["clerk"], page=2, page_size=2)
    assert (second.more, second.has_next, len(second.tasks)) == (True, True, 2)
    third = _queue(db_session, people["clerk"], page=3, page_size=2)
    assert (third.tasks, third.has_next) == ((), False)
    assert {t.id for t in first.tasks}.isdisjoint(t.id for t in second.tasks)
    monkeypatch.setattr(queue_module, "COUNT_LIMIT", 4)  # exactly the limit: counted, no more
    exact = _queue(db_session, people["clerk"], page_size=2)
    assert (exact.total, exact.more, exact.pages) == (4, False, 2)


def test_tasks_without_a_due_date_come_last_then_by_age(db_session, world):
    _, cases, people = world
    others = [paid_application(db_session, people["owner"], NO_SIGN)[0] for _ in range(2)]
    zoning = [
        db_session.scalar(
            select(PermitCase).where(PermitCase.application_id == a.id, PermitCase.permit_code == "TO-ZONING")
        )
        for a in others
    ]
    zoning[0].decision_due_at = None
    zoning[1].decision_due_at = NOW  # sooner than the world's, due NOW + 10 days
    db_session.flush()
    assert [t.id for t in _queue(db_session, people["clerk"]).tasks] == [
        zoning[1].id,
        cases["TO-ZONING"].id,
        zoning[0].id,
    ]


@pytest.mark.parametrize(
    ("params", "field"),
    [({"page": "0"}, "page"), ({"page": "x"}, "page"), ({"page_size": "101"}, "page_size")],
)
def test_bad_queue_parameters_are_named(params, field):
    with pytest.raises(QueueFilterError) as refused:
        QueueFilter.parse(params)
    assert [error.field for error in refused.value.errors] == [field]


def test_a_claimed_task_belongs_to_one_clerk(db_session, world):
    _, cases, people = world
    zoning = cases["TO-ZONING"]
    claim(db_session, zoning.id, people["clerk"], now=LATER)
    assert zoning.claimed_by_id == people["clerk"].id
    assert _codes(_queue(db_session, people["clerk"])) == ["TO-ZONING"]
    assert _codes(_queue(db_session, people["clerk2"])) == []  # no longer offered to others
    supervised = _queue(db_session, people["supervisor"]).tasks
    assert [(t.permit_code, t.claimed_by) for t in supervised] == [("TO-ZONING", people["clerk"].id)]
    with pytest.raises(TaskConflict) as taken:
        claim(db_session, zoning.id, people["clerk2"], now=LATER)
    assert "already claimed" in taken.value.message.en and taken.value.allowed == ()
    with pytest.raises(TaskConflict):
        approve(db_session, zoning.id, people["clerk2"], None, now=LATER)
    claim(db_session, zoning.id, people["clerk"], now=LATER)  # again: nothing changes
    release(db_session, zoning.id, people["clerk"], now=LATER)
    assert zoning.claimed_by_id is None
    assert _codes(_queue(db_session, people["clerk2"])) == ["TO-ZONING"]
    actions = [
        e.action
        for e in db_session.scalars(
            select(AuditEntry).where(AuditEntry.subject == f"permit_case:{zoning.id}")
        )
    ]
    assert actions.count("task.claim") == 1 and "task.release" in actions


def test_deciding_needs_a_claim_and_says_what_is_allowed(db_session, world):
    _, cases, people = world
    with pytest.raises(TaskConflict) as refused:
        approve(db_session, cases["TO-ZONING"].id, people["clerk"], None, now=LATER)
    assert refused.value.allowed == ("claim",)
    with pytest.raises(TaskConflict) as waiting:  # not at a clerk's step yet: nothing to claim
        claim(db_session, cases["TO-BUILDING"].id, people["clerk"], now=LATER)
    assert waiting.value.allowed == ()
    with pytest.raises(TaskConflict):
        release(db_session, cases["TO-ZONING"].id, people["clerk"], now=LATER)


def test_approving_moves_the_permit_on_and_starts_what_waited_for_it(db_session, world):
    application, cases, people = world
    zoning, building = cases["TO-ZONING"], cases["TO-BUILDING"]
    claim(db_session, zoning.id, people["clerk"], now=LATER)
    approve(db_session, zoning.id, people["clerk"], ["Keep the patio 1.5 m from the curb.", "  "], now=LATER)
    assert zoning.state == "approved" and zoning.claimed_by_id is None and zoning.waiting_on is None
    assert zoning.conditions == ["Keep the patio 1.5 m from the curb."]
    assert building.state == "plan_review"  # started by itself once its prerequisite was approved
    assert _codes(_queue(db_session, people["clerk"])) == ["TO-BUILDING"]
    sent = db_session.scalars(
        select(OutboxMessage).where(OutboxMessage.application_id == application.id)
    ).all()
    assert [m.kind for m in sent] == ["permit_approved"]
    assert "Keep the patio 1.5 m from the curb." in sent[0].body


def test_each_clerk_step_is_decided_with_the_same_actions(db_session, world):
    application, cases, people = world
    for code in ("TO-ZONING",):
        claim(db_session, cases[code].id, people["clerk"], now=LATER)
        approve(db_session, cases[code].id, people["clerk"], None, now=LATER)
    building = cases["TO-BUILDING"]
    steps = []
    for _step in ("plan_review", "inspection", "final_approval"):
        steps.append(building.state)
        claim(db_session, building.id, people["clerk"], now=LATER)
        approve(db_session, building.id, people["clerk"], None, now=LATER)
        if building.state != "approved":  # the next step is a clerk's too: back in the queue, unclaimed
            assert building.waiting_on == "clerk" and building.claimed_by_id is None
    assert steps == ["plan_review", "inspection", "final_approval"] and building.state == "approved"
    kinds = [
        m.kind
        for m in db_session.scalars(
            select(OutboxMessage).where(OutboxMessage.application_id == application.id)
        )
    ]
    assert kinds == ["permit_approved", "permit_approved"]  # one per permit granted, none per step


def test_requesting_information_returns_the_answer_to_the_same_clerk(db_session, world):
    application, cases, people = world
    zoning = cases["TO-ZONING"]
    claim(db_session, zoning.id, people["clerk"], now=LATER)
    with pytest.raises(TaskInputError) as empty:
        request_info(db_session, zoning.id, people["clerk"], "  ", now=LATER)
    assert [e.field for e in empty.value.errors] == ["message"]
    request_info(db_session, zoning.id, people["clerk"], "Send the site plan, please.", now=LATER)
    assert zoning.state == "review_info_requested" and zoning.waiting_on == "applicant"
    assert _codes(_queue(db_session, people["clerk"])) == []  # out of the queue while the applicant answers
    assert [(t.permit_code, t.waiting_on) for t in _queue(db_session, people["supervisor"]).tasks] == [
        ("TO-ZONING", "applicant")
    ]
    message = db_session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "info_requested"))
    assert "Send the site plan, please." in message.body
    locked = lock_application(db_session, application.id)
    answer_information_request(
        db_session, locked, "TO-ZONING", "Attached to our file, page 3.", user_id=people["owner"].id
    )
    assert zoning.state == "review" and zoning.claimed_by_id == people["clerk"].id
    assert _codes(_queue(db_session, people["clerk"])) == ["TO-ZONING"]
    assert _codes(_queue(db_session, people["clerk2"])) == []  # it came back to the clerk who asked
    with pytest.raises(TransitionNotAllowed):  # nothing is asked any more
        answer_information_request(db_session, locked, "TO-ZONING", "More.", user_id=people["owner"].id)


@pytest.mark.money
def test_rejecting_needs_a_reason_and_refunds_a_refundable_fee(db_session, world, gateway):
    _application, cases, people = world
    eating = cases["TO-EATING"]
    licensing = user(db_session, "clerk", "TO-MLS")
    for code in ("TO-ZONING",):  # the eating licence waits for zoning and health
        claim(db_session, cases[code].id, people["clerk"], now=LATER)
        approve(db_session, cases[code].id, people["clerk"], None, now=LATER)
    building = cases["TO-BUILDING"]
    for _step in range(3):
        claim(db_session, building.id, people["clerk"], now=LATER)
        approve(db_session, building.id, people["clerk"], None, now=LATER)
    health = cases["TO-HEALTH"]
    for _step in range(3):
        claim(db_session, health.id, people["health"], now=LATER)
        approve(db_session, health.id, people["health"], None, now=LATER)
    assert eating.waiting_on == "clerk"
    claim(db_session, eating.id, licensing, now=LATER)
    with pytest.raises(TaskInputError) as silent:
        reject(db_session, eating.id, licensing, "", gateway=gateway, now=LATER)
    assert [e.field for e in silent.value.errors] == ["reason"]
    reject(
        db_session,
        eating.id,
        licensing,
        "The premises are not zoned for food.",
        gateway=gateway,
        now=LATER,
    )
    assert eating.state == "rejected" and eating.claimed_by_id is None
    refund = db_session.scalar(select(Refund))
    assert refund is not None and refund.amount_cents == eating.fee_cents > 0
    rejected = db_session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "permit_rejected"))
    assert "The premises are not zoned for food." in rejected.body


def test_another_agency_or_an_administrator_cannot_see_or_act(db_session, world):
    _, cases, people = world
    zoning = cases["TO-ZONING"]
    for outsider in (people["health"], people["admin"], people["owner"]):
        with pytest.raises(TaskNotFound):
            claim(db_session, zoning.id, outsider, now=LATER)
        with pytest.raises(TaskNotFound):
            view_task(db_session, zoning.id, outsider, now=LATER)
    with pytest.raises(TaskNotFound):
        claim(db_session, 10**9, people["clerk"], now=LATER)


def test_a_draft_or_unpaid_permit_is_nobodys_task(db_session, world):
    _, _, people = world
    unpaid, _ = submitted_application(db_session, people["owner"])
    zoning = next(c for c in cases_of(db_session, unpaid.id) if c.permit_code == "TO-ZONING")
    with pytest.raises(TaskNotFound):
        view_task(db_session, zoning.id, people["clerk"], now=LATER)


def test_supervisors_reassign_within_their_agency(db_session, world):
    _, cases, people = world
    zoning = cases["TO-ZONING"]
    claim(db_session, zoning.id, people["clerk"], now=LATER)
    with pytest.raises(TaskConflict):
        reassign(db_session, zoning.id, people["clerk"], people["clerk2"].id, now=LATER)
    for wrong in (people["health"].id, people["owner"].id, "x", None):
        with pytest.raises(TaskInputError) as refused:
            reassign(db_session, zoning.id, people["supervisor"], wrong, now=LATER)
        assert [e.field for e in refused.value.errors] == ["clerk_id"]
    reassign(db_session, zoning.id, people["supervisor"], people["clerk2"].id, now=LATER)
    assert zoning.claimed_by_id == people["clerk2"].id
    assert _codes(_queue(db_session, people["clerk2"])) == ["TO-ZONING"]
    assert _codes(_queue(db_session, people["clerk"])) == []


def test_a_clerk_sees_only_the_fields_shared_with_their_agency_and_the_view_is_logged(db_session, world):
    application, cases, people = world
    view = view_task(db_session, cases["TO-ZONING"].id, people["clerk"], now=LATER)
    shared = {field.definition.id for field in view.shared}
    by_code = {p.code: p for p in chain_of(db_session, application).permits}
    declared_tb = {f for code in cases if by_code[code].agency.code == "TO-TB" for f in by_code[code].fields}
    declared_elsewhere = {f for code in cases for f in by_code[code].fields} - declared_tb
    assert declared_elsewhere, "the test needs a field no TO-TB permit declares"
    assert shared and shared <= declared_tb and not shared & declared_elsewhere
    assert "legal_name" not in shared  # shown once, as the business's name
    assert view.business_name == application.form_values["operating_name"] or view.business_name
    assert view.business_number == application.business_number
    logged = db_session.scalars(
        select(AuditEntry).where(AuditEntry.action == "staff.view", AuditEntry.actor_id == people["clerk"].id)
    ).all()
    assert len(logged) == 1 and sorted(logged[0].details["fields"]) == sorted(shared)
    assert logged[0].subject == f"permit_case:{cases['TO-ZONING'].id}"


def test_a_field_the_applicant_did_not_consent_to_share_is_withheld(db_session):
    owner = user(db_session)
    application, _ = draft_application(db_session, owner)
    chain = chain_of(db_session, application)
    cases = cases_of(db_session, application.id)
    assert shared_fields(db_session, chain, application, cases, "TO-TB") == ()  # no consent yet
    db_session.add(
        Consent(
            application_id=application.id, agency_code="TO-TB", fields=["premises_address"], given_by=owner.id
        )
    )
    db_session.flush()
    shared = shared_fields(db_session, chain, application, cases, "TO-TB")
    assert [f.definition.id for f in shared] == ["premises_address"]
    assert shared[0].value == application.form_values["premises_address"]
