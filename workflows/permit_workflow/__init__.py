"""Permit state machines: each permit case follows the workflow its pack names.

Free of Flask. The web layer opens an application's cases once (`open_cases`), then, in
one transaction per action, loads a case with `with_row_lock` (or a case's application and
all its cases with `lock_application_of_case`), calls `fire` (or `submit_application`,
`record_payment`) and commits. `application_status` tells the dashboard where the whole
application stands; `diagram` draws a template. A workflow is a built-in template or one a
pack defines; `restore_workflows` reads the latter back from the database for cases loaded
without `with_row_lock`.
"""

from workflows.permit_workflow.errors import (
    ConcurrentChange,
    TransitionNotAllowed,
    UnknownWorkflow,
    WorkflowError,
)
from workflows.permit_workflow.machines import diagram, machine, template_for
from workflows.permit_workflow.service import (
    LockedApplication,
    allowed_events,
    fire,
    history,
    lock_application_of_case,
    open_cases,
    open_cases_from_triage,
    prerequisite_map,
    record_payment,
    restore_workflows,
    submit_application,
    whose_turn,
    with_row_lock,
)
from workflows.permit_workflow.status import ApplicationState, ApplicationStatus, application_status

__all__ = [
    "ApplicationState",
    "ApplicationStatus",
    "ConcurrentChange",
    "LockedApplication",
    "TransitionNotAllowed",
    "UnknownWorkflow",
    "WorkflowError",
    "allowed_events",
    "application_status",
    "diagram",
    "fire",
    "history",
    "lock_application_of_case",
    "machine",
    "open_cases",
    "open_cases_from_triage",
    "prerequisite_map",
    "record_payment",
    "restore_workflows",
    "submit_application",
    "template_for",
    "whose_turn",
    "with_row_lock",
]
