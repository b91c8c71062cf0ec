"""What the application service refuses, in terms the web layer turns into HTTP answers."""

from __future__ import annotations

from workflows.text import FieldError, Text


class ApplicationError(Exception):
    """Input refused, field by field (the API answers 422); nothing was changed."""

    def __init__(self, errors: list[FieldError]):
        self.errors = errors
        super().__init__("; ".join(f"{e.field}: {e.message.en}" for e in errors))


class NotADraft(Exception):
    """The application was submitted: its answers, form and consents are now fixed (the API answers 409)."""

    message = Text(
        "This application has been submitted: it can no longer be changed.",
        "Cette demande a été soumise : elle ne peut plus être modifiée.",
    )

    def __init__(self, application_id: int):
        self.application_id = application_id
        super().__init__(f"application {application_id} is not a draft")


class CreationKeyReused(Exception):
    """An Idempotency-Key already used for a different creation request (the API answers 409)."""

    message = Text(
        "This Idempotency-Key was already used for a different application. Use a new key.",
        "Cette clé d'idempotence a déjà servi pour une autre demande. Utilisez une nouvelle clé.",
    )
