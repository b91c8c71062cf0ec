"""What the clerk's side refuses, in terms the web layer turns into HTTP answers."""

from __future__ import annotations

from workflows.text import FieldError, Text


class TaskError(Exception):
    """Base of the task errors."""


class TaskNotFound(TaskError):
    """No such task for this person: it does not exist, or belongs to another agency (the same
    answer either way, so ids reveal nothing)."""

    def __init__(self, task_id: int):
        self.task_id = task_id
        super().__init__(f"no task {task_id} for this person")


class TaskConflict(TaskError):
    """The action does not fit the task's state now (claimed by someone else, not claimed, a
    decision its step does not allow). `allowed` lists what this person may do instead."""

    def __init__(self, message: Text, allowed: tuple[str, ...]):
        self.message = message
        self.allowed = allowed
        super().__init__(f"{message.en} Allowed: {', '.join(allowed) or 'none'}")


class TaskInputError(TaskError):
    """The action's input is wrong (a missing reason, a condition too long), field by field."""

    def __init__(self, errors: list[FieldError]):
        self.errors = errors
        super().__init__("; ".join(f"{e.field}: {e.message.en}" for e in errors))
