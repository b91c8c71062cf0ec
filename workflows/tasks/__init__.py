"""The staff side of the engine: each agency's work queue, claims and decisions, and what a clerk
may see of an application.

Free of Flask. The web layer, in one transaction per action, calls one function here with
the signed-in staff member and commits; the functions check the person's agency and claim
themselves, so no route can forget to.
"""

from workflows.tasks.access import can_see, is_agency_staff, is_overdue, is_supervisor
from workflows.tasks.actions import (
    ACTIONS,
    approve,
    claim,
    lock_task,
    perform,
    reassign,
    reject,
    release,
    request_info,
    staff_of_agency,
    task_actions,
)
from workflows.tasks.errors import TaskConflict, TaskError, TaskInputError, TaskNotFound
from workflows.tasks.queue import (
    QueueChoices,
    QueueFilter,
    QueueFilterError,
    QueuePage,
    QueueTask,
    queue_choices,
    queue_page,
)
from workflows.tasks.view import SharedField, TaskView, view_task

__all__ = [
    "ACTIONS",
    "QueueChoices",
    "QueueFilter",
    "QueueFilterError",
    "QueuePage",
    "QueueTask",
    "SharedField",
    "TaskConflict",
    "TaskError",
    "TaskInputError",
    "TaskNotFound",
    "TaskView",
    "approve",
    "can_see",
    "claim",
    "is_agency_staff",
    "is_overdue",
    "is_supervisor",
    "lock_task",
    "perform",
    "queue_choices",
    "queue_page",
    "reassign",
    "reject",
    "release",
    "request_info",
    "staff_of_agency",
    "task_actions",
    "view_task",
]
