"""Handing an email to an SMTP server: one connection per email, UTF-8 plain text.

One connection per email keeps a failure to the one email it concerns; Guichet sends a few
emails per decision, not a newsletter.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import Protocol


@dataclass(frozen=True, slots=True)
class OutgoingEmail:
    """What the sender read from an outbox row, so sending needs no database session."""

    id: int
    kind: str
    to_address: str
    language: str
    subject: str
    body: str
    created_at: datetime
    attempt: int  # this attempt's number, from 1


class Mailer(Protocol):
    """Anything that delivers an email or raises; the sender records which."""

    def send(self, email: OutgoingEmail, now: datetime) -> None: ...


@dataclass(frozen=True, slots=True)
class SmtpMailer:
    """An SMTP server to hand emails to. The password is never shown (repr) nor kept in errors."""

    host: str = "localhost"
    port: int = 8025
    mail_from: str = "Guichet <guichet@localhost>"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    starttls: bool = False
    timeout: float = 10.0  # seconds for each network operation

    def __post_init__(self) -> None:
        if self.username and not self.starttls:
            raise ValueError("an SMTP password is only sent over STARTTLS: turn STARTTLS on")
        if "@" not in parseaddr(self.mail_from)[1]:
            raise ValueError(f"the From address {self.mail_from!r} holds no email address")

    def send(self, email: OutgoingEmail, now: datetime) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self.username:
                smtp.login(self.username, self.password or "")
            smtp.send_message(self.message(email, now))

    def message(self, email: OutgoingEmail, now: datetime) -> EmailMessage:
        """The email as sent. Its Message-ID is the same at every attempt, so a mail client can
        recognise the copy a retry after a crash may send."""
        domain = parseaddr(self.mail_from)[1].rpartition("@")[2]
        message = EmailMessage()
        message["From"] = self.mail_from
        message["To"] = email.to_address
        message["Subject"] = email.subject
        message["Date"] = format_datetime(now)
        message["Message-ID"] = f"<outbox-{email.id}-{int(email.created_at.timestamp())}@{domain}>"
        message["Auto-Submitted"] = "auto-generated"  # RFC 3834: out-of-office replies stay away
        # Quoted-printable keeps the accents intact through servers that take only 7-bit text.
        message.set_content(email.body, charset="utf-8", cte="quoted-printable")
        message["Content-Language"] = email.language  # after set_content, which drops Content-*
        return message


def describe_failure(error: Exception) -> str:
    """A line saying why sending failed, fit to keep and log: the SMTP server's code and answer
    rather than the exception's text, which for a refused recipient lists the addresses."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        answers = "; ".join(f"{code} {_text(answer)}" for code, answer in error.recipients.values())
        return f"SMTPRecipientsRefused: {answers}"
    if isinstance(error, smtplib.SMTPResponseException):
        return f"{type(error).__name__}: {error.smtp_code} {_text(error.smtp_error)}"
    return f"{type(error).__name__}: {error}"


def _text(answer: bytes | str) -> str:
    return answer.decode("utf-8", "replace") if isinstance(answer, bytes) else str(answer)
