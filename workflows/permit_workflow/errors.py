"""What the workflow engine refuses, in terms the web layer can turn into HTTP answers."""

from __future__ import annotations


class WorkflowError(Exception):
    """Base of the engine's errors."""


class UnknownWorkflow(WorkflowError):
    def __init__(self, name: str):
        self.name = name
        super().__init__(f"unknown workflow template {name!r}")


class TransitionNotAllowed(WorkflowError):
    """The event cannot happen now. `allowed` lists what can (the API answers 409 with it)."""

    def __init__(
        self,
        event: str,
        allowed: tuple[str, ...],
        *,
        case_id: int | None = None,
        permit_code: str | None = None,
        state: str | None = None,
        failed_guards: tuple[str, ...] = (),
        detail: str | None = None,
    ):
        self.event = event
        self.allowed = allowed
        self.case_id = case_id
        self.permit_code = permit_code
        self.state = state
        self.failed_guards = failed_guards
        subject = (
            f"permit {permit_code} (case {case_id}) in state {state}" if permit_code else "this application"
        )
        message = f"{event} is not allowed on {subject}"
        if failed_guards:
            message += f": not yet {', '.join(failed_guards)}"
        if detail:
            message += f": {detail}"
        super().__init__(f"{message}; allowed: {', '.join(allowed) or 'none'}")


class ConcurrentChange(WorkflowError):
    """Another transaction changed these permit cases since they were read: reload them and try again."""
