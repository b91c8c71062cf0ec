"""Emails to applicants, through an outbox. Free of Flask.

A service that changes something the applicant must hear of calls `notify` inside its own
transaction: the email is written to the outbox table with the change, or not at all.
`send_due` (run by `flask outbox send`) sends what is due after commit, with retries; see
docs/notifications.md.
"""

from workflows.notifications.messages import KINDS, application_path, render
from workflows.notifications.models import OutboxMessage
from workflows.notifications.outbox import notify
from workflows.notifications.sender import (
    MAX_ATTEMPTS,
    RETRY_DELAYS,
    SENDING_LEASE,
    SendReport,
    keep_sending,
    send_due,
)
from workflows.notifications.smtp import Mailer, OutgoingEmail, SmtpMailer

__all__ = [
    "KINDS",
    "MAX_ATTEMPTS",
    "RETRY_DELAYS",
    "SENDING_LEASE",
    "Mailer",
    "OutboxMessage",
    "OutgoingEmail",
    "SendReport",
    "SmtpMailer",
    "application_path",
    "keep_sending",
    "notify",
    "render",
    "send_due",
]
