"""Workflows defined by packs: loaded and checked with the packs, pinned by content, restored after a restart.

The pure tests load the malformed-pack tests' valid trio (Ontario and Toronto each define a
workflow) and the example in docs/packs.md. The database tests publish an Ottawa pack under
the bundled federal and Ontario packs, triage, open cases, and follow them through the
pack's workflow: across a new version of the pack, and across a (simulated) restart.
"""

from __future__ import annotations

import copy
import re
import uuid
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import func, select, update

from accounts.models import User
from tests.answer_sets import FEDERAL_PLAIN
from tests.engine.test_malformed_packs import ON, TO, base_packs, dump, sources, text
from workflows.models import Application, PermitCase, WorkflowDefinition
from workflows.pack_store import load_active_pack_set, load_pinned_pack_set, pinned_versions, publish_packs
from workflows.packs import PackError, PackSource, load_pack_set
from workflows.packs.model import PackSet
from workflows.permit_workflow import (
    TransitionNotAllowed,
    UnknownWorkflow,
    WorkflowError,
    allowed_events,
    application_status,
    diagram,
    fire,
    history,
    machine,
    open_cases_from_triage,
    record_payment,
    restore_workflows,
    submit_application,
    template_for,
    with_row_lock,
)
from workflows.triage import TriageEngine
from workflows.workflow_templates import (
    MAX_KEY_LENGTH,
    forget_registered_templates,
    register_template,
    template_definition,
    template_from_definition,
    template_key,
    template_problems,
)

DOCS = Path(__file__).resolve().parent.parent / "docs"
OTTAWA = "3506008"
KEY = re.compile(r"^(?P<jurisdiction>[^:]+):(?P<name>[a-z][a-z0-9_]*):(?P<digest>[0-9a-f]{16})$")


def documented_workflow() -> dict[str, Any]:
    """The pack workflow docs/packs.md shows (the ```yaml block that defines food_inspection)."""
    page = (DOCS / "packs.md").read_text(encoding="utf-8")
    (block,) = [
        b for b in re.findall(r"^```yaml\n(.*?)^```$", page, re.M | re.S) if "name: food_inspection" in b
    ]
    (workflow,) = yaml.safe_load(block)["workflows"]
    return workflow


# -- loading ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def trio() -> PackSet:
    return load_pack_set(sources(base_packs()))


def test_a_permit_follows_its_own_pack_s_or_an_ancestor_s_workflow_by_key(trio):
    eat, patio, liquor = (trio.permits[code].workflow for code in ("TO-EAT", "TO-PATIO", "ON-LIQ"))
    assert KEY.match(eat)["jurisdiction"] == "CA-ON" and KEY.match(eat)["name"] == "site_check"
    assert KEY.match(patio)["jurisdiction"] == "3520005" and KEY.match(patio)["name"] == "patio_review"
    assert liquor == "inspection"  # a built-in template keeps its bare name
    assert trio.packs["CA-ON"].workflows == {"site_check": eat}
    assert trio.packs["3520005"].workflows == {"patio_review": patio}
    assert set(trio.workflows) == {eat, patio}


def test_the_frame_is_implied_and_who_acts_follows_from_the_trigger(trio):
    template = template_for(trio.permits["TO-PATIO"].workflow)
    assert template.states == (
        "draft",
        "submitted",
        "paid",
        "plan_check",
        "plan_check_info_requested",
        "issuing",
        "approved",
        "rejected",
        "withdrawn",
    )
    assert template.clerk_steps == ("plan_check", "issuing")
    assert template.queued_states == {"paid", "plan_check"}
    assert [(t.trigger, t.by, t.automatic) for t in template.transitions] == [
        ("submit", "applicant", False),
        ("withdraw", "applicant", False),
        ("pay", "system", False),
        ("start", "system", True),
        ("approve", "clerk", False),
        ("request_info", "clerk", False),
        ("provide_info", "applicant", False),
        ("reject", "clerk", False),
        ("approve", "clerk", False),
    ]
    assert template_problems(template) == []


def test_a_workflow_nobody_can_refuse_has_no_rejected_state():
    packs = base_packs()
    packs[TO]["workflows"].append(
        {
            "name": "self_service",
            "description": text("Granted once paid."),
            "states": [],
            "transitions": [
                {
                    "trigger": "complete",
                    "from": ["paid"],
                    "to": "approved",
                    "guards": ["fee_paid", "prerequisites_approved"],
                }
            ],
        }
    )
    packs[TO]["permits"][1]["workflow"] = "self_service"
    template = template_for(load_pack_set(sources(packs)).permits["TO-PATIO"].workflow)
    assert template.states == ("draft", "submitted", "paid", "approved", "withdrawn")
    assert template.clerk_steps == ()


def test_a_key_is_a_digest_of_the_whole_definition():
    again = load_pack_set(sources(base_packs()))
    first = load_pack_set(sources(base_packs()))
    key = first.permits["TO-PATIO"].workflow
    assert again.permits["TO-PATIO"].workflow == key
    assert template_for(key) is first.workflows[key] is again.workflows[key]  # registered once
    changed = base_packs()
    changed[TO]["workflows"][0]["description"]["fr"] = "Les plans sont vérifiés."
    other = load_pack_set(sources(changed)).permits["TO-PATIO"].workflow
    assert other != key and other.rsplit(":", 1)[0] == key.rsplit(":", 1)[0]
    assert template_for(key).description.fr != template_for(other).description.fr  # both stay known
    assert template_from_definition(template_definition(template_for(key))) == template_for(key)


def test_the_longest_names_fit_the_case_column():
    packs = base_packs()
    longest = "w" * 32  # the schema's limit
    packs[TO]["workflows"][0]["name"] = longest
    packs[TO]["permits"][1]["workflow"] = longest
    key = load_pack_set(sources(packs)).permits["TO-PATIO"].workflow
    assert len(key) == 7 + 1 + 32 + 1 + 16 <= MAX_KEY_LENGTH
    too_long = replace(template_for(key), name="w" * 40)
    with pytest.raises(ValueError, match="longer than 64"):
        template_key(OTTAWA, too_long)


def test_a_key_cannot_be_given_another_definition(trio):
    key = trio.permits["TO-PATIO"].workflow
    template = template_for(key)
    assert register_template(key, replace(template)) is template  # the same content: the same object
    with pytest.raises(ValueError, match="different definition"):
        register_template(key, replace(template, clerk_steps=("plan_check",)))


def test_a_set_with_a_faulty_workflow_registers_nothing(restart):
    packs = base_packs()
    packs[TO]["workflows"][0]["transitions"][5]["to"] = "aproved"
    restart()
    with pytest.raises(PackError, match="unknown state aproved"):
        load_pack_set(sources(packs))
    assert forget_registered_templates() == {}  # not even Ontario's sound site_check


def test_diagram_draws_a_pack_workflow(trio):
    key = trio.permits["TO-PATIO"].workflow
    drawing = diagram(key)
    assert drawing.startswith("---\ntitle: patio_review\n---\nstateDiagram-v2\n")
    for line in (
        "paid --> plan_check: start [fee_paid & prerequisites_approved]",
        "plan_check_info_requested --> plan_check: provide_info",
        "issuing --> approved: approve [fee_paid]",
        "[*] --> draft",
    ):
        assert line in drawing
    assert "Class issuing s_active" in diagram(key, highlight="issuing")
    assert machine(key) is machine(key)
    assert machine(key).models == []


def test_the_documented_example_loads_and_its_diagram_is_the_engine_s():
    packs = base_packs()
    packs[TO]["workflows"].append(documented_workflow())
    packs[TO]["permits"][1]["workflow"] = "food_inspection"
    key = load_pack_set(sources(packs)).permits["TO-PATIO"].workflow
    template = template_for(key)
    assert template.clerk_steps == ("document_check", "inspection", "sign_off")
    page = (DOCS / "packs.md").read_text(encoding="utf-8")
    assert f"```mermaid\n{diagram(key)}```" in page, "docs/packs.md: redraw food_inspection"


# -- in the database -------------------------------------------------------------------------


def ottawa(workflow: dict[str, Any]) -> PackSource:
    """Ottawa, under the bundled Ontario pack, with one permit following its own `workflow`."""
    pack = {
        "format": 1,
        "jurisdiction": {
            "code": OTTAWA,
            "level": "municipal",
            "parent": "CA-ON",
            "name": text("Ottawa"),
            "postal_prefixes": ["K1", "K2"],
        },
        "agencies": [{"code": "OTT-BL", "name": text("Ottawa By-law"), "gl_account": "OTT-4000"}],
        "permits": [
            {
                "code": "OTT-FOOD",
                "name": text("Food premises licence"),
                "description": text("Needed to sell food."),
                "agency": "OTT-BL",
                "applies_if": {"always": True},
                "depends_on": ["ON-FOOD-HANDLER"],
                "fee": {"kind": "flat", "amount_cents": 10000},
                "processing_days": 10,
                "workflow": workflow["name"],
                "refundable": True,
            }
        ],
        "workflows": [workflow],
    }
    return PackSource("ottawa-3506008.yaml", dump(pack))


def version_2() -> dict[str, Any]:
    """The documented workflow, changed: the inspector may now ask for information too."""
    workflow = copy.deepcopy(documented_workflow())
    workflow["states"].insert(workflow["states"].index("inspection") + 1, "inspection_info_requested")
    workflow["transitions"] += [
        {"trigger": "request_info", "from": ["inspection"], "to": "inspection_info_requested"},
        {"trigger": "provide_info", "from": ["inspection_info_requested"], "to": "inspection"},
    ]
    return workflow


@dataclass
class Ottawa:
    """One applicant's application in Ottawa, under the packs in force when it was made."""

    session: Any
    applicant: User
    clerk: User
    application: Application
    cases: dict[str, PermitCase]

    @property
    def food(self) -> PermitCase:
        return self.cases["OTT-FOOD"]

    def clerk_fires(self, case: PermitCase, event: str) -> None:
        fire(self.session, case, event, actor_id=self.clerk.id)

    def submit_and_pay(self) -> None:
        submit_application(self.session, self.application.id, actor_id=self.applicant.id)
        record_payment(self.session, self.application.id, reason="payment OTT-1")


def _user(session, role: str) -> User:
    user = User(email=f"{uuid.uuid4().hex}@example.ca", name=role, password_hash="x", role=role)
    session.add(user)
    session.flush()
    return user


def apply_in_ottawa(session) -> Ottawa:
    """Triage with the packs in force, pin their versions and open the cases, as the web layer will."""
    packs = load_active_pack_set(session)
    result = TriageEngine(packs).triage(OTTAWA, FEDERAL_PLAIN)
    applicant = _user(session, "applicant")
    application = Application(
        owner_id=applicant.id,
        jurisdiction_code=OTTAWA,
        answers=dict(result.answers),
        pack_versions=pinned_versions(packs, session, OTTAWA),
    )
    session.add(application)
    session.flush()
    cases = open_cases_from_triage(session, application.id, result)
    return Ottawa(session, applicant, _user(session, "clerk"), application, {c.permit_code: c for c in cases})


def stored_keys(session) -> list[str]:
    return list(session.scalars(select(WorkflowDefinition.key).order_by(WorkflowDefinition.key)))


@pytest.fixture
def published(db_session) -> str:
    """Ottawa's version 1 in force; returns the key of its workflow."""
    publish_packs(db_session, [ottawa(documented_workflow())])
    return load_active_pack_set(db_session).permits["OTT-FOOD"].workflow


def test_a_case_follows_its_pack_s_workflow(db_session, published):
    ottawa_app = apply_in_ottawa(db_session)
    food, handler = ottawa_app.food, ottawa_app.cases["ON-FOOD-HANDLER"]
    assert food.workflow == published and KEY.match(published)["jurisdiction"] == OTTAWA
    assert published in (DOCS / "workflows.md").read_text(encoding="utf-8")  # the key the guide shows
    assert stored_keys(db_session) == [published]  # written when the case was opened
    assert allowed_events(food) == ("submit", "withdraw")
    with pytest.raises(TransitionNotAllowed) as refused:
        ottawa_app.clerk_fires(food, "approve")
    assert refused.value.allowed == ("submit", "withdraw")

    ottawa_app.submit_and_pay()
    assert food.state == "paid"  # waits for the food handler certificate it depends on
    with pytest.raises(TransitionNotAllowed, match="happens by itself"):
        fire(db_session, food, "start")
    ottawa_app.clerk_fires(handler, "approve")
    assert food.state == "document_check"  # started by itself, with the pack's guards
    assert application_status(ottawa_app.cases.values()).state == "in_progress"

    assert allowed_events(food, by="clerk") == ("request_info", "approve", "reject")
    with pytest.raises(TransitionNotAllowed) as refused:
        fire(db_session, food, "withdraw", actor_id=ottawa_app.applicant.id)
    assert refused.value.allowed == ("request_info", "approve", "reject")
    ottawa_app.clerk_fires(food, "request_info")
    assert food.state == "document_check_info_requested"
    assert allowed_events(food, by="applicant") == ("provide_info",)
    assert application_status(ottawa_app.cases.values()).waiting_for_applicant == ("OTT-FOOD",)
    fire(db_session, food, "provide_info", actor_id=ottawa_app.applicant.id)
    for step in ("inspection", "sign_off", "approved"):
        ottawa_app.clerk_fires(food, "approve")
        assert food.state == step
    with pytest.raises(TransitionNotAllowed, match="allowed: none"):
        ottawa_app.clerk_fires(food, "reject")
    assert [(e.event, e.to_state) for e in history(db_session, food.id)] == [
        ("submit", "submitted"),
        ("pay", "paid"),
        ("start", "document_check"),
        ("request_info", "document_check_info_requested"),
        ("provide_info", "document_check"),
        ("approve", "inspection"),
        ("approve", "sign_off"),
        ("approve", "approved"),
    ]
    assert application_status(ottawa_app.cases.values()).state == "licensed"


def test_a_case_opened_under_version_1_keeps_it_after_version_2(db_session, published):
    first = apply_in_ottawa(db_session)
    first.submit_and_pay()
    first.clerk_fires(first.cases["ON-FOOD-HANDLER"], "approve")
    first.clerk_fires(first.food, "approve")
    assert first.food.state == "inspection"

    publish_packs(db_session, [ottawa(version_2())])
    second = apply_in_ottawa(db_session)
    changed = second.food.workflow
    assert changed != published and KEY.match(changed)["name"] == "food_inspection"
    assert (
        load_pinned_pack_set(db_session, first.application.pack_versions).permits["OTT-FOOD"].workflow
        == published
    )
    assert stored_keys(db_session) == sorted([published, changed])

    assert first.food.workflow == published
    with pytest.raises(TransitionNotAllowed) as refused:  # version 1's inspector cannot ask
        first.clerk_fires(first.food, "request_info")
    assert refused.value.allowed == ("approve", "reject")

    second.submit_and_pay()
    second.clerk_fires(second.cases["ON-FOOD-HANDLER"], "approve")
    second.clerk_fires(second.food, "approve")
    assert allowed_events(second.food, by="clerk") == ("approve", "reject", "request_info")
    second.clerk_fires(second.food, "request_info")
    assert second.food.state == "inspection_info_requested"


def test_opening_more_cases_stores_a_definition_once(db_session, published):
    apply_in_ottawa(db_session)
    apply_in_ottawa(db_session)
    count = db_session.scalar(
        select(func.count()).select_from(WorkflowDefinition).where(WorkflowDefinition.key == published)
    )
    assert count == 1
    stored = db_session.get(WorkflowDefinition, published)
    assert stored.definition == template_definition(template_for(published))
    stored.definition = {**stored.definition, "name": "other"}
    with pytest.raises(ValueError, match="cannot be changed"):
        db_session.flush()


def test_after_a_restart_a_case_is_restored_from_the_database(db_session, published, restart):
    ottawa_app = apply_in_ottawa(db_session)
    case_id = ottawa_app.food.id
    ottawa_app.submit_and_pay()
    ottawa_app.clerk_fires(ottawa_app.cases["ON-FOOD-HANDLER"], "approve")
    restart()
    with pytest.raises(UnknownWorkflow):
        template_for(published)
    db_session.expire_all()

    case = with_row_lock(db_session, case_id)  # reads workflow_definitions back
    assert template_for(published).clerk_steps == ("document_check", "inspection", "sign_off")
    assert case.state == "document_check"
    ottawa_app.clerk_fires(case, "approve")
    assert case.state == "inspection"
    assert "Class inspection s_active" in diagram(published, highlight="inspection")


def test_restore_reads_only_what_is_missing(db_session, published, restart):
    apply_in_ottawa(db_session)
    restart()
    restore_workflows(db_session, [published, "review"])
    assert template_for(published).name == "food_inspection"
    restore_workflows(db_session, ["3506008:nowhere:0123456789abcdef"])  # stored nowhere: stays unknown
    with pytest.raises(UnknownWorkflow):
        template_for("3506008:nowhere:0123456789abcdef")


def test_a_case_whose_workflow_is_stored_nowhere_is_refused(db_session, published):
    ottawa_app = apply_in_ottawa(db_session)
    lost = "3506008:food_inspection:0123456789abcdef"
    db_session.execute(update(PermitCase).where(PermitCase.id == ottawa_app.food.id).values(workflow=lost))
    db_session.expire_all()
    case = with_row_lock(db_session, ottawa_app.food.id)
    with pytest.raises(UnknownWorkflow, match=lost):
        fire(db_session, case, "submit")


def test_a_stored_definition_changed_behind_the_engine_s_back_is_refused(db_session, published, restart):
    ottawa_app = apply_in_ottawa(db_session)
    forged = template_definition(template_for(published))
    forged["transitions"][0]["to"] = "withdrawn"
    db_session.execute(
        update(WorkflowDefinition).where(WorkflowDefinition.key == published).values(definition=forged)
    )
    restart()
    db_session.expire_all()
    with pytest.raises(WorkflowError, match="does not match its key"):
        with_row_lock(db_session, ottawa_app.food.id)


def test_ancestor_workflows_are_pinned_per_content_too():
    """Ontario's workflow, changed, gives Toronto's permit a new key; the old one stays known."""
    packs = base_packs()
    before = load_pack_set(sources(packs)).permits["TO-EAT"].workflow
    packs[ON]["workflows"][0]["transitions"][5]["guards"] = ["prerequisites_approved"]
    after = load_pack_set(sources(packs)).permits["TO-EAT"].workflow
    assert before != after
    assert template_for(before).transitions[-1].guards == ()
    assert template_for(after).transitions[-1].guards == ("prerequisites_approved",)
