"""Sending the outbox after commit: claim a due email, send it, record what happened.

Each email goes through three steps, each short and on its own:

1. **Claim**, in a short transaction: the first due email (not sent, not given up on, its
   next attempt due) is locked, `FOR UPDATE SKIP LOCKED` on PostgreSQL so a second sender
   takes the next one instead of waiting, or behind SQLite's single write lock. Its attempt
   is counted and its next attempt pushed `SENDING_LEASE` ahead, then the transaction
   commits: no lock is held while the SMTP server is talked to, and another sender leaves
   the email alone.
2. **Send** over SMTP, outside any transaction.
3. **Record**, in a second short transaction: sent, or the error and when to try again
   (`RETRY_DELAYS`), or, after `MAX_ATTEMPTS`, given up (`failed_at`).

Delivery is at least once, not exactly once. If the sender dies (or loses the database)
between the SMTP server accepting an email and step 3 committing, the claim runs out after
`SENDING_LEASE` and the email is sent again; the copy carries the same Message-ID. Two
senders never send one email twice otherwise.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session, sessionmaker

from workflows.db import take_sqlite_write_lock, utcnow
from workflows.notifications.models import OutboxMessage
from workflows.notifications.smtp import Mailer, OutgoingEmail, describe_failure

log = logging.getLogger(__name__)

#: The wait after each failed attempt; after the last one, the email is given up on.
RETRY_DELAYS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=8),
    timedelta(hours=24),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1  # about a day and a half of trying
#: How long a claimed email is left to the sender that claimed it: far longer than one SMTP
#: conversation takes (each step times out after seconds), so only a sender that died loses it.
SENDING_LEASE = timedelta(minutes=5)
ERROR_MAX_LENGTH = 1000

# SQLite has no FOR UPDATE: an UPDATE that matches no row takes the database write lock instead.

Sessions = Callable[[], Session]


@dataclass(frozen=True, slots=True)
class SendReport:
    """One pass: how many emails went out, will be tried again, or were given up on, and why not."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    problems: tuple[str, ...] = ()

    @property
    def handled(self) -> int:
        return self.sent + self.retried + self.failed


def send_due(
    sessions: Sessions | Engine,
    mailer: Mailer,
    *,
    now: datetime | None = None,
    batch_size: int = 50,
) -> SendReport:
    """Send up to `batch_size` emails due at `now`, each claimed, sent and recorded on its own.

    `sessions` makes sessions (a sessionmaker) or is an Engine. Safe to run in several
    processes at once: each email is claimed by one sender only.
    """
    make_session = sessionmaker(sessions) if isinstance(sessions, Engine) else sessions
    moment = now or utcnow()
    sent = retried = failed = 0
    problems: list[str] = []
    for _ in range(batch_size):
        email = _claim(make_session, moment)
        if email is None:
            break
        try:
            mailer.send(email, moment)
        except Exception as error:  # any failure to hand it over is recorded and retried
            gave_up, problem = _record_failure(make_session, email, error, moment)
            problems.append(problem)
            log.warning("outbox: %s", problem)
            if gave_up:
                failed += 1
            else:
                retried += 1
        else:
            _record_sent(make_session, email, moment)
            sent += 1
    return SendReport(sent, retried, failed, tuple(problems))


def keep_sending(
    sessions: Sessions | Engine,
    mailer: Mailer,
    *,
    interval: float,
    stop: threading.Event,
    batch_size: int = 50,
    on_pass: Callable[[SendReport], None] | None = None,
) -> None:
    """Send what is due, then again every `interval` seconds, until `stop` is set.

    A pass that fails (the database is away, say) is logged and the next one tries again: the
    loop only ends when asked. After a full batch the next pass starts at once.
    """
    while not stop.is_set():
        try:
            report = send_due(sessions, mailer, batch_size=batch_size)
        except Exception:
            log.exception("outbox: a sending pass failed; trying again in %s s", interval)
            report = None
        else:
            if on_pass is not None:
                on_pass(report)
        if report is None or report.handled < batch_size:
            stop.wait(interval)


def _claim(make_session: Sessions, now: datetime) -> OutgoingEmail | None:
    with make_session() as session, session.begin():
        take_sqlite_write_lock(session)
        statement = (
            select(OutboxMessage)
            .where(
                OutboxMessage.sent_at.is_(None),
                OutboxMessage.failed_at.is_(None),
                OutboxMessage.next_attempt_at <= now,
            )
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        row = session.scalars(statement.execution_options(populate_existing=True)).first()
        if row is None:
            return None
        row.attempts += 1
        row.next_attempt_at = now + SENDING_LEASE
        return OutgoingEmail(
            id=row.id,
            kind=row.kind,
            to_address=row.to_address,
            language=row.language,
            subject=row.subject,
            body=row.body,
            created_at=row.created_at,
            attempt=row.attempts,
        )


def _record_sent(make_session: Sessions, email: OutgoingEmail, now: datetime) -> None:
    with make_session() as session, session.begin():
        session.execute(
            update(OutboxMessage).where(OutboxMessage.id == email.id).values(sent_at=now, last_error=None)
        )


def _record_failure(
    make_session: Sessions, email: OutgoingEmail, error: Exception, now: datetime
) -> tuple[bool, str]:
    """Keep the error (its type and the server's answer: never a credential); (gave up?, what happens)."""
    reason = describe_failure(error)[:ERROR_MAX_LENGTH]
    gave_up = email.attempt >= MAX_ATTEMPTS
    values: dict[str, object] = {"last_error": reason}
    if gave_up:
        values["failed_at"] = now
        outcome = f"gave up on email {email.id} ({email.kind}) after {email.attempt} attempts"
    else:
        values["next_attempt_at"] = now + RETRY_DELAYS[email.attempt - 1]
        outcome = (
            f"email {email.id} ({email.kind}): attempt {email.attempt} failed, "
            f"next at {values['next_attempt_at']:%Y-%m-%d %H:%M:%S} UTC"
        )
    with make_session() as session, session.begin():  # one UPDATE: SQLite's write lock is waited for
        session.execute(update(OutboxMessage).where(OutboxMessage.id == email.id).values(**values))
    return gave_up, f"{outcome}: {reason}"
