"""Permit state machines: every template's transitions, guards, automatic advancement and history."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import pytest
from sqlalchemy import event as sqlalchemy_event
from sqlalchemy import select

from accounts.models import User
from tests.answer_sets import TORONTO, TORONTO_FULL, TORONTO_FULL_PERMITS
from workflows.db import take_sqlite_write_lock
from workflows.models import Application, PermitCase, PermitEvent, StateIsReadOnly
from workflows.packs.loader import bundled_pack_directory, load_pack_set, read_pack_directory
from workflows.packs.model import PackSet
from workflows.permit_workflow import (
    ApplicationStatus,
    TransitionNotAllowed,
    UnknownWorkflow,
    allowed_events,
    application_status,
    diagram,
    fire,
    history,
    lock_application_of_case,
    machine,
    open_cases,
    open_cases_from_triage,
    prerequisite_map,
    record_payment,
    submit_application,
    with_row_lock,
)
from workflows.triage import TriageEngine
from workflows.workflow_templates import (
    GUARDS,
    WORKFLOW_TEMPLATES,
    GuardContext,
    Transition,
    WorkflowTemplate,
    info_requested,
    template_problems,
)

CLERK_TEMPLATES = [name for name, template in WORKFLOW_TEMPLATES.items() if template.clerk_steps]


@cache
def bundled() -> PackSet:
    return load_pack_set(read_pack_directory(bundled_pack_directory()))


def _user(session, role="applicant") -> User:
    user = User(email=f"{uuid.uuid4().hex}@example.ca", name=role, password_hash="x", role=role)
    session.add(user)
    session.flush()
    return user


@dataclass
class World:
    session: object
    applicant: User
    clerk: User
    application: Application

    def open(self, workflows: dict[str, str], prerequisites=None, fees=None) -> dict[str, PermitCase]:
        """Cases for made-up permits: code -> workflow template."""
        model = bundled().permits["TO-ZONING"]
        permits = [replace(model, code=code, workflow=workflow) for code, workflow in workflows.items()]
        cases = open_cases(
            self.session,
            self.application.id,
            permits,
            prerequisites=prerequisites or {},
            fees_cents=fees or {},
        )
        return {case.permit_code: case for case in cases}

    def submit_and_pay(self) -> None:
        submit_application(self.session, self.application.id, actor_id=self.applicant.id)
        record_payment(self.session, self.application.id, reason="payment ABC-123")

    def approve(self, case: PermitCase, **options):
        return fire(self.session, case, "approve", actor_id=self.clerk.id, **options)


@pytest.fixture
def world(db_session) -> World:
    applicant = _user(db_session)
    application = Application(owner_id=applicant.id, jurisdiction_code=TORONTO, answers={}, pack_versions={})
    db_session.add(application)
    db_session.flush()
    return World(db_session, applicant, _user(db_session, "clerk"), application)


def _walk_to(world: World, case: PermitCase, step: str) -> None:
    """Approve the earlier steps until `case` stands at `step`."""
    while case.state != step:
        world.approve(case)


# -- every template ------------------------------------------------------------------------


@pytest.mark.parametrize("workflow", list(WORKFLOW_TEMPLATES))
def test_every_template_runs_from_draft_to_approved(world, workflow):
    case = world.open({"P": workflow})["P"]
    assert case.state == "draft"
    assert allowed_events(case) == ("submit", "withdraw")
    submit_application(world.session, world.application.id, actor_id=world.applicant.id)
    assert case.state == "submitted"
    assert allowed_events(case) == ("withdraw", "pay")
    record_payment(world.session, world.application.id)
    assert case.paid
    steps = WORKFLOW_TEMPLATES[workflow].clerk_steps
    visited = []
    while case.state != "approved":
        visited.append(case.state)
        assert allowed_events(case, by="clerk") == ("approve", "request_info", "reject")
        world.approve(case)
    assert tuple(visited) == steps  # a registration is granted as soon as it is paid
    assert allowed_events(case) == ()


@pytest.mark.parametrize("workflow", list(WORKFLOW_TEMPLATES))
def test_an_event_not_allowed_now_is_refused_with_the_allowed_ones(world, workflow):
    case = world.open({"P": workflow})["P"]
    for event in ("approve", "pay", "provide_info", "no_such_event"):
        with pytest.raises(TransitionNotAllowed) as refused:
            fire(world.session, case, event, actor_id=world.clerk.id)
        assert refused.value.allowed == ("submit", "withdraw")
        assert refused.value.state == "draft"
        assert refused.value.permit_code == "P"
        assert str(refused.value).endswith("in state draft; allowed: submit, withdraw")
    assert case.state == "draft"
    assert world.session.scalars(select(PermitEvent).where(PermitEvent.permit_case_id == case.id)).all() == []


@pytest.mark.parametrize("workflow", list(WORKFLOW_TEMPLATES))
def test_automatic_events_cannot_be_fired_by_hand(world, workflow):
    cases = world.open({"P": workflow, "BEFORE": "review"}, prerequisites={"P": ["BEFORE"]})
    world.submit_and_pay()
    automatic = "start" if WORKFLOW_TEMPLATES[workflow].clerk_steps else "complete"
    with pytest.raises(TransitionNotAllowed, match="happens by itself") as refused:
        fire(world.session, cases["P"], automatic)
    assert refused.value.allowed == ("withdraw",)
    assert cases["P"].state == "paid"


@pytest.mark.parametrize(
    ("workflow", "step"),
    [(name, step) for name in CLERK_TEMPLATES for step in WORKFLOW_TEMPLATES[name].clerk_steps],
)
def test_a_request_for_information_comes_back_to_the_same_step(world, workflow, step):
    case = world.open({"P": workflow})["P"]
    world.submit_and_pay()
    _walk_to(world, case, step)
    fire(world.session, case, "request_info", actor_id=world.clerk.id, reason="Send the floor plan.")
    assert case.state == info_requested(step)
    assert allowed_events(case, by="applicant") == ("provide_info",)
    assert allowed_events(case, by="clerk") == ("reject",)
    with pytest.raises(TransitionNotAllowed, match="allowed: provide_info, reject"):
        world.approve(case)
    fire(world.session, case, "provide_info", actor_id=world.applicant.id)
    assert case.state == step
    world.approve(case)
    assert case.state != step


@pytest.mark.parametrize("workflow", CLERK_TEMPLATES)
@pytest.mark.parametrize("waiting_for_information", [False, True])
def test_a_clerk_can_reject_at_any_step(world, workflow, waiting_for_information):
    steps = WORKFLOW_TEMPLATES[workflow].clerk_steps
    for code, step in enumerate(steps):
        case = world.open({f"P{code}": workflow})[f"P{code}"]
        world.submit_and_pay()
        _walk_to(world, case, step)
        if waiting_for_information:
            fire(world.session, case, "request_info", actor_id=world.clerk.id)
        fire(world.session, case, "reject", actor_id=world.clerk.id, reason="Zoning does not allow it.")
        assert case.state == "rejected"
        assert allowed_events(case) == ()
        with pytest.raises(TransitionNotAllowed, match="allowed: none"):
            world.approve(case)


@pytest.mark.parametrize("workflow", list(WORKFLOW_TEMPLATES))
@pytest.mark.parametrize("stage", ["draft", "submitted", "paid"])
def test_the_applicant_can_withdraw_before_review(world, workflow, stage):
    cases = world.open({"P": workflow, "BEFORE": "review"}, prerequisites={"P": ["BEFORE"]})
    if stage != "draft":
        submit_application(world.session, world.application.id)
    if stage == "paid":
        record_payment(world.session, world.application.id)
    assert cases["P"].state == stage
    fire(world.session, cases["P"], "withdraw", actor_id=world.applicant.id)
    assert cases["P"].state == "withdrawn"
    assert allowed_events(cases["P"]) == ()


@pytest.mark.parametrize("workflow", CLERK_TEMPLATES)
def test_the_applicant_cannot_withdraw_once_review_started(world, workflow):
    case = world.open({"P": workflow})["P"]
    world.submit_and_pay()
    for step in WORKFLOW_TEMPLATES[workflow].clerk_steps:
        _walk_to(world, case, step)
        with pytest.raises(
            TransitionNotAllowed, match=f"in state {step}; allowed: approve, request_info, reject"
        ):
            fire(world.session, case, "withdraw", actor_id=world.applicant.id)
        assert allowed_events(case, by="applicant") == ()


def test_a_registration_has_no_clerk_step_to_ask_or_refuse():
    registration = WORKFLOW_TEMPLATES["registration"]
    assert registration.states == ("draft", "submitted", "paid", "approved", "withdrawn")
    assert registration.events == ("submit", "withdraw", "pay", "complete")


# -- guards and automatic advancement ------------------------------------------------------


def test_nothing_enters_review_before_it_is_paid(world):
    case = world.open({"P": "review"})["P"]
    submit_application(world.session, world.application.id)
    assert case.state == "submitted"
    assert not GUARDS["fee_paid"].check(case, GuardContext({"P": "submitted"}))
    record_payment(world.session, world.application.id)
    assert case.state == "review"


def test_nothing_enters_review_before_its_prerequisites_are_approved(world):
    cases = world.open({"A": "review", "B": "inspection", "C": "review"}, prerequisites={"C": ["A", "B"]})
    world.submit_and_pay()
    assert [cases[code].state for code in "ABC"] == ["review", "inspection", "paid"]
    assert allowed_events(cases["C"], cases.values()) == ("withdraw",)
    world.approve(cases["A"])
    assert cases["C"].state == "paid"  # B is not approved yet
    world.approve(cases["B"])  # inspection passed: final approval next, still not approved
    assert cases["C"].state == "paid"
    records = world.approve(cases["B"])
    assert [(r.event, r.to_state) for r in records] == [("approve", "approved"), ("start", "review")]
    assert cases["C"].state == "review"
    start = records[1]
    assert start.permit_case_id == cases["C"].id
    assert start.actor_id is None  # the system
    assert start.reason == "automatic: fee_paid, prerequisites_approved"


def test_paying_grants_registrations_whose_prerequisites_are_approved(world):
    cases = world.open(
        {"BN": "registration", "TAX": "registration", "LATER": "registration", "CITY": "review"},
        prerequisites={"TAX": ["BN"], "LATER": ["CITY"]},
    )
    world.submit_and_pay()
    assert {code: case.state for code, case in cases.items()} == {
        "BN": "approved",
        "TAX": "approved",  # granted in the same payment, once BN was
        "LATER": "paid",
        "CITY": "review",
    }
    world.approve(cases["CITY"])
    assert cases["LATER"].state == "approved"


def test_approval_ripples_through_a_chain_in_one_transaction(world):
    cases = world.open(
        {"ZONING": "review", "REGISTRY": "registration", "HEALTH": "plan_review_inspection"},
        prerequisites={"REGISTRY": ["ZONING"], "HEALTH": ["REGISTRY"]},
    )
    world.submit_and_pay()
    records = world.approve(cases["ZONING"])
    assert [(r.event, r.from_state, r.to_state) for r in records] == [
        ("approve", "review", "approved"),
        ("complete", "paid", "approved"),
        ("start", "paid", "plan_review"),
    ]


def test_prerequisites_come_from_the_chain_limited_to_the_application(world):
    chain = bundled().chains[TORONTO]
    permits = [bundled().permits[code] for code in ("TO-EATING", "TO-ZONING")]
    assert set(chain.prerequisites(permits[0])) > {"TO-ZONING"}  # it also waits for health, not applied for
    assert prerequisite_map(chain, permits) == {"TO-EATING": ("TO-ZONING",), "TO-ZONING": ()}
    cases = open_cases(world.session, world.application.id, permits, prerequisites=chain, fees_cents={})
    assert [case.prerequisites for case in cases] == [["TO-ZONING"], []]
    assert [case.workflow for case in cases] == ["review", "review"]


def test_a_triaged_application_runs_end_to_end(world):
    result = TriageEngine(bundled()).triage(TORONTO, TORONTO_FULL)
    cases = {
        case.permit_code: case for case in open_cases_from_triage(world.session, world.application.id, result)
    }
    assert set(cases) == TORONTO_FULL_PERMITS
    assert sum(case.fee_cents for case in cases.values()) == result.total_fee_cents
    world.submit_and_pay()
    assert cases["CA-BN"].state == "approved"
    assert application_status(cases.values()).state == "paid"
    for _ in range(20):  # a clerk approves whatever is in front of them until nothing is left
        ready = [case for case in cases.values() if "approve" in allowed_events(case)]
        if not ready:
            break
        for case in ready:
            world.approve(case)
    assert application_status(cases.values()) == ApplicationStatus(
        "licensed", approved=tuple(cases), pending=(), refused=(), withdrawn=()
    )


def test_an_unknown_workflow_is_refused_when_the_case_is_opened(world):
    with pytest.raises(UnknownWorkflow, match="'nope'"):
        world.open({"P": "nope"})


def test_paying_twice_is_refused(world):
    world.open({"P": "review"})
    world.submit_and_pay()
    with pytest.raises(TransitionNotAllowed, match=r"no permit of application \d+ can \(P: review\)"):
        record_payment(world.session, world.application.id)


def _statements(session, action) -> list[str]:
    """The statements `action()` sends, whitespace folded."""
    connection = session.connection()
    statements = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(" ".join(statement.split()))

    sqlalchemy_event.listen(connection, "before_cursor_execute", count)
    try:
        action()
    finally:
        sqlalchemy_event.remove(connection, "before_cursor_execute", count)
    return statements


def _statements_to_approve(world: World, codes: int, *, locking_the_application: bool = False) -> list[str]:
    cases = world.open({f"S{codes}-{number}": "review" for number in range(codes)})
    world.submit_and_pay()
    case_id, clerk_id = next(iter(cases.values())).id, world.clerk.id
    world.session.expire_all()  # as in a new request

    def approve() -> None:
        if locking_the_application:
            locked = lock_application_of_case(world.session, case_id)
            fire(world.session, locked.case(case_id), "approve", actor_id=clerk_id, locked=locked.cases)
        else:
            fire(world.session, with_row_lock(world.session, case_id), "approve", actor_id=clerk_id)

    return _statements(world.session, approve)


def test_a_transition_costs_the_same_few_statements_however_many_permits(world):
    few, many = _statements_to_approve(world, 2), _statements_to_approve(world, 12)
    assert len(few) == len(many)
    kinds = [statement.split()[0] for statement in few]
    # lock and load, lock again in fire, update the case, write its history (on SQLite, the
    # transaction took the write lock when it opened the cases, and does not send it again)
    assert kinds == ["SELECT", "SELECT", "UPDATE", "INSERT"]
    if world.session.get_bind().dialect.name == "postgresql":
        assert all(statement.endswith("FOR UPDATE") for statement in few[:2])


def test_a_transition_on_cases_locked_with_their_application_reads_them_once(world):
    few = _statements_to_approve(world, 2, locking_the_application=True)
    many = _statements_to_approve(world, 12, locking_the_application=True)
    assert len(few) == len(many)
    kinds = [statement.split()[0] for statement in few]
    if world.session.get_bind().dialect.name == "postgresql":
        # the application, then its cases once its lock is granted; fire reads neither again
        assert kinds == ["SELECT", "SELECT", "UPDATE", "INSERT"]
        assert few[0].startswith("SELECT applications.") and few[0].endswith("FOR UPDATE")
        assert few[1].endswith("FOR UPDATE OF permit_cases")
    else:  # the write lock keeps every other writer out: one statement reads it all
        assert kinds == ["SELECT", "UPDATE", "INSERT"]


def test_locking_the_application_of_a_case(world):
    cases = world.open({"P": "review", "Q": "review"})
    locked = lock_application_of_case(world.session, cases["Q"].id)
    assert locked.application is world.application and locked.owner is world.applicant
    assert locked.cases == sorted(cases.values(), key=lambda case: case.id)
    assert locked.case(cases["P"].id) is cases["P"] and locked.case(10**9) is None
    assert lock_application_of_case(world.session, 10**9) is None


def test_fire_refuses_a_case_that_is_not_among_the_locked_cases_given(world):
    cases = world.open({"P": "review", "Q": "review"})
    world.submit_and_pay()
    with pytest.raises(ValueError, match="not among the locked cases"):
        fire(world.session, cases["P"], "approve", actor_id=world.clerk.id, locked=[cases["Q"]])
    assert cases["P"].state == "review"


def test_a_transaction_takes_sqlites_write_lock_once(db_session):
    """It lasts until the transaction ends: asking again sends nothing, nor does a savepoint; a
    new transaction takes it again, and so does one whose savepoint that took it rolled back."""

    def take() -> None:
        take_sqlite_write_lock(db_session)

    lock = ["UPDATE alembic_version SET version_num = version_num WHERE 0"]
    if db_session.get_bind().dialect.name != "sqlite":
        lock = []  # row locks and advisory locks instead: nothing to take
    assert _statements(db_session, take) == lock
    assert _statements(db_session, take) == []
    with db_session.begin_nested():
        assert _statements(db_session, take) == []
    db_session.commit()  # the test's savepoint: the session's transaction ends
    savepoint = db_session.begin_nested()
    assert _statements(db_session, take) == lock
    savepoint.rollback()
    assert _statements(db_session, take) == lock
    assert _statements(db_session, take) == []


# -- the state is the engine's -------------------------------------------------------------


def test_the_state_cannot_be_assigned(world):
    case = world.open({"P": "review"})["P"]
    with pytest.raises(StateIsReadOnly, match="fire"):
        case.state = "approved"
    with pytest.raises(AttributeError):
        PermitCase(application_id=world.application.id, permit_code="Q", state="approved")
    world.session.flush()
    world.session.expire_all()
    assert world.session.get(PermitCase, case.id).state == "draft"
    found = world.session.scalars(select(PermitCase).where(PermitCase.state == "draft")).all()
    assert case in found


def test_a_loaded_case_keeps_its_stored_state(world):
    """The machine's `initial` (draft) never overwrites a state read from the database."""
    case_id = world.open({"P": "review"})["P"].id
    world.submit_and_pay()
    world.session.expire_all()
    case = with_row_lock(world.session, case_id)
    assert case.state == "review"
    records = world.approve(case)
    assert (records[0].from_state, records[0].to_state) == ("review", "approved")
    assert with_row_lock(world.session, 10**9) is None


def test_every_transition_writes_one_history_line(world):
    case = world.open({"P": "inspection"})["P"]
    applicant, clerk = world.applicant.id, world.clerk.id
    world.submit_and_pay()
    fire(world.session, case, "request_info", actor_id=clerk, reason="Which date suits you?")
    fire(world.session, case, "provide_info", actor_id=applicant, reason="Any Tuesday.")
    world.approve(case, reason="Inspection passed.")
    world.approve(case)
    lines = [
        (e.event, e.from_state, e.to_state, e.actor_id, e.reason) for e in history(world.session, case.id)
    ]
    assert lines == [
        ("submit", "draft", "submitted", applicant, None),
        ("pay", "submitted", "paid", None, "payment ABC-123"),
        ("start", "paid", "inspection", None, "automatic: fee_paid, prerequisites_approved"),
        ("request_info", "inspection", "inspection_info_requested", clerk, "Which date suits you?"),
        ("provide_info", "inspection_info_requested", "inspection", applicant, "Any Tuesday."),
        ("approve", "inspection", "final_approval", clerk, "Inspection passed."),
        ("approve", "final_approval", "approved", clerk, None),
    ]
    assert all(event.at.tzinfo is not None for event in history(world.session, case.id))


def test_history_cannot_be_rewritten(world):
    case = world.open({"P": "review"})["P"]
    submit_application(world.session, world.application.id)
    event = history(world.session, case.id)[0]
    event.reason = "changed"
    with pytest.raises(ValueError, match="history"):
        world.session.flush()


def test_a_deadline_belongs_to_the_step_it_was_set_for(world):
    case = world.open({"P": "review"})["P"]
    world.submit_and_pay()
    reply_by = datetime(2026, 12, 1, 17, 0, tzinfo=UTC)
    fire(world.session, case, "request_info", actor_id=world.clerk.id, due_at=reply_by)
    assert case.due_at == reply_by
    fire(world.session, case, "provide_info", actor_id=world.applicant.id)
    assert case.due_at is None


# -- machines and diagrams -----------------------------------------------------------------


def test_one_machine_per_template_built_once_and_holding_no_rows(world):
    assert machine("review") is machine("review")
    assert machine("review") is not machine("inspection")
    assert machine("review").models == []
    case = world.open({"P": "review"})["P"]
    world.submit_and_pay()
    world.approve(case)
    assert machine("review").models == []
    assert not hasattr(case, "approve")  # no trigger methods were bound onto the row
    with pytest.raises(UnknownWorkflow):
        machine("nope")


@pytest.mark.parametrize("workflow", list(WORKFLOW_TEMPLATES))
def test_diagram_is_mermaid_with_every_state_and_event(workflow):
    text = diagram(workflow)
    assert text.startswith(f"---\ntitle: {workflow}\n---\nstateDiagram-v2\n")
    template = WORKFLOW_TEMPLATES[workflow]
    for state in template.states:
        assert f'state "{state}" as {state}' in text
    for transition in template.transitions:
        assert f"{transition.sources[0]} --> {transition.dest}: {transition.trigger}" in text
    assert "[*] --> draft" in text
    assert "s_active" not in text.split("classDef s_active")[1]  # no state stands out
    assert diagram(workflow) is text


def test_the_documented_diagrams_are_the_engines():
    page = (Path(__file__).resolve().parent.parent / "docs" / "workflows.md").read_text(encoding="utf-8")
    for workflow in WORKFLOW_TEMPLATES:
        assert f"```mermaid\n{diagram(workflow)}```" in page, f"docs/workflows.md: redraw {workflow}"


def test_diagram_can_mark_a_case_state():
    text = diagram("review", highlight="review_info_requested")
    assert "Class review_info_requested s_active" in text
    assert "[*] --> draft" in text
    with pytest.raises(ValueError, match="no state"):
        diagram("review", highlight="inspection")


# -- malformed templates -------------------------------------------------------------------


def _broken(transitions, states=None) -> WorkflowTemplate:
    review = WORKFLOW_TEMPLATES["review"]
    return replace(
        review, states=states or review.states, transitions=review.transitions + tuple(transitions)
    )


def test_the_bundled_templates_are_sound():
    for template in WORKFLOW_TEMPLATES.values():
        assert template_problems(template) == []


@pytest.mark.parametrize(
    ("template", "problem"),
    [
        (_broken([Transition("go", ("review",), "mars", "clerk")]), "go: unknown state mars"),
        (_broken([Transition("go", ("review",), "approved", "clerk", ("moon",))]), "go: unknown guard moon"),
        (_broken([Transition("undo", ("approved",), "review", "clerk")]), "undo: approved is final"),
        (_broken([Transition("go", ("review",), "approved", "system", automatic=True)]), "needs a guard"),
        (
            _broken(
                [
                    Transition("back", ("review",), "paid", "system", ("fee_paid",), automatic=True),
                ]
            ),
            "go round in a circle",
        ),
        (
            _broken([], states=(*WORKFLOW_TEMPLATES["review"].states, "limbo")),
            "state limbo cannot be reached",
        ),
    ],
)
def test_malformed_templates_are_reported(template, problem):
    assert any(problem in found for found in template_problems(template))


# -- the application's state ---------------------------------------------------------------


@dataclass
class Case:
    permit_code: str
    workflow: str
    state: str
    prerequisites: tuple[str, ...] = ()


def _status(*cases) -> ApplicationStatus:
    return application_status([Case(*case) for case in cases])


@pytest.mark.parametrize(
    ("cases", "state"),
    [
        ((), "draft"),
        ((("A", "review", "draft"), ("B", "registration", "draft")), "draft"),
        ((("A", "review", "submitted"), ("B", "registration", "submitted")), "submitted"),
        ((("A", "review", "paid"), ("B", "registration", "approved")), "paid"),
        ((("A", "review", "review"), ("B", "inspection", "inspection")), "paid"),
        ((("A", "review", "review_info_requested"), ("B", "registration", "approved")), "in_progress"),
        ((("A", "inspection", "final_approval"), ("B", "registration", "approved")), "in_progress"),
        ((("A", "review", "approved"), ("B", "review", "paid")), "in_progress"),
        ((("A", "review", "approved"), ("B", "registration", "approved")), "licensed"),
        ((("A", "review", "approved"), ("B", "registration", "withdrawn")), "licensed"),
        ((("A", "review", "rejected"), ("B", "review", "review")), "refused"),
        ((("A", "review", "withdrawn"), ("B", "registration", "withdrawn")), "withdrawn"),
    ],
)
def test_application_state_follows_from_its_permits(cases, state):
    assert _status(*cases).state == state


def test_refused_status_says_which_permits_stand_where():
    status = _status(
        ("ZONING", "review", "rejected"),
        ("BUILDING", "plan_review_inspection", "paid", ("ZONING",)),
        ("HEALTH", "plan_review_inspection", "paid", ("BUILDING",)),
        ("SIGN", "review", "review_info_requested"),
        ("BN", "registration", "approved"),
        ("PATIO", "review", "withdrawn"),
    )
    assert status == ApplicationStatus(
        state="refused",
        approved=("BN",),
        refused=("ZONING",),
        withdrawn=("PATIO",),
        pending=("BUILDING", "HEALTH", "SIGN"),
        waiting_for_applicant=("SIGN",),
        blocked=("BUILDING", "HEALTH"),  # HEALTH waits on BUILDING, which can never start
    )


def test_application_status_of_stored_cases(world):
    cases = world.open({"A": "review", "B": "registration"}, prerequisites={"B": ["A"]})
    assert application_status(cases.values()).state == "draft"
    submit_application(world.session, world.application.id)
    assert application_status(cases.values()).state == "submitted"
    record_payment(world.session, world.application.id)
    assert application_status(cases.values()).state == "paid"
    fire(world.session, cases["A"], "request_info", actor_id=world.clerk.id)
    assert application_status(cases.values()).state == "in_progress"
    fire(world.session, cases["A"], "provide_info", actor_id=world.applicant.id)
    world.approve(cases["A"])
    assert application_status(cases.values()).state == "licensed"
