"""One transitions Machine per workflow template, built once per process and never changed.

A machine holds no model (`model=None`): the engine fires `machine.events[name].trigger(row)`
on the row it loaded, so a transition costs microseconds and leaves nothing on the row,
and the state always comes from the database, never from a default `initial`.

A workflow is found by what a case stores: a built-in template's name, or a pack workflow's
key (`<jurisdiction>:<name>:<digest>`), registered when its pack was compiled or read back
from `workflow_definitions` (see `service.restore_workflows`). A pack workflow's machine is
built the first time it is needed, then kept: a key always names the same definition.
"""

from __future__ import annotations

import re
from functools import cache
from threading import Lock
from typing import Any

from transitions import EventData, Machine
from transitions.extensions import GraphMachine

from workflows.permit_workflow.errors import UnknownWorkflow
from workflows.workflow_templates import (
    GUARDS,
    WORKFLOW_TEMPLATES,
    Guard,
    WorkflowTemplate,
    registered_template,
)

STATE_ATTRIBUTE = "_state"  # PermitCase's private state column


def template_for(workflow: str) -> WorkflowTemplate:
    """The template a case follows: a built-in by name, or a registered pack workflow by key."""
    template = WORKFLOW_TEMPLATES.get(workflow) or registered_template(workflow)
    if template is None:
        raise UnknownWorkflow(workflow)
    return template


def is_known(workflow: str) -> bool:
    """Whether `template_for(workflow)` would find it without reading the database."""
    return workflow in WORKFLOW_TEMPLATES or registered_template(workflow) is not None


def _condition(guard: Guard):
    def check(event_data: EventData) -> bool:
        return guard.check(event_data.model, event_data.kwargs["context"])

    check.__name__ = guard.name
    return check


_CONDITIONS = {name: _condition(guard) for name, guard in GUARDS.items()}


def _transitions(template: WorkflowTemplate, conditions: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "trigger": transition.trigger,
            "source": list(transition.sources),
            "dest": transition.dest,
            "conditions": [conditions[guard] for guard in transition.guards],
        }
        for transition in template.transitions
    ]


def _build(template: WorkflowTemplate) -> Machine:
    return Machine(
        model=None,
        states=list(template.states),
        transitions=_transitions(template, _CONDITIONS),
        initial=template.initial,  # used by no model: rows keep the state they were loaded with
        auto_transitions=False,
        send_event=True,  # guards receive the EventData, with the context passed to trigger()
        model_attribute=STATE_ATTRIBUTE,
    )


_MACHINES: dict[str, Machine] = {name: _build(template) for name, template in WORKFLOW_TEMPLATES.items()}
_machines_lock = Lock()


def machine(workflow: str) -> Machine:
    """The machine of a workflow template: the same object every time, shared by all threads."""
    found = _MACHINES.get(workflow)
    if found is not None:
        return found
    template = template_for(workflow)  # unknown, or not registered in this process: UnknownWorkflow
    with _machines_lock:
        if workflow not in _MACHINES:
            _MACHINES[workflow] = _build(template)
        return _MACHINES[workflow]


class _Drawing:
    """A stand-in model: GraphMachine draws from a model's point of view."""


@cache
def diagram(workflow: str, highlight: str | None = None) -> str:
    """The template as Mermaid text (stateDiagram-v2), drawn by transitions without Graphviz.

    `workflow` is what a case stores: a built-in template's name or a pack workflow's key (the
    diagram's title is the workflow's name). `highlight` marks one state (a case's current one);
    otherwise no state stands out.
    """
    template = template_for(workflow)
    if highlight is not None and highlight not in template.states:
        raise ValueError(f"{workflow} has no state {highlight!r}")
    model = _Drawing()
    GraphMachine(
        model=model,
        states=list(template.states),
        transitions=_transitions(template, {name: name for name in GUARDS}),
        initial=template.initial,
        auto_transitions=False,
        graph_engine="mermaid",
        show_conditions=True,
        title=f"title: {template.name}",  # GraphMachine writes it as Mermaid's YAML front matter
    )
    model.state = highlight or template.initial  # the state drawn as active
    text = model.get_graph(force_new=True).draw(None)
    if highlight is None:
        text = re.sub(r" s_active$", " s_default", text, flags=re.MULTILINE)
    return "\n".join(line.rstrip() for line in text.splitlines()) + "\n"
