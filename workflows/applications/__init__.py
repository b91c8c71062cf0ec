"""One application for every permit a business needs: the entrepreneur's side of the engine.

Free of Flask. The web layer, in one transaction per action, loads the application with
`lock_application`, checks it belongs to the caller (this package does not know who is
asking), calls one function here, and commits. Nothing here commits.
"""

from workflows.applications.consent import ConsentRequest, consent_requests, give_consent
from workflows.applications.drafting import (
    AnswerChange,
    change_answers,
    create_application,
    created_with,
    fields_of,
    preview_answers,
    save_form,
)
from workflows.applications.errors import ApplicationError, CreationKeyReused, NotADraft
from workflows.applications.progress import ApplicationView, PermitProgress, view_application
from workflows.applications.store import lock_application
from workflows.applications.submission import program_accounts, submit

__all__ = [
    "AnswerChange",
    "ApplicationError",
    "ApplicationView",
    "ConsentRequest",
    "CreationKeyReused",
    "NotADraft",
    "PermitProgress",
    "change_answers",
    "consent_requests",
    "create_application",
    "created_with",
    "fields_of",
    "give_consent",
    "lock_application",
    "preview_answers",
    "program_accounts",
    "save_form",
    "submit",
    "view_application",
]
