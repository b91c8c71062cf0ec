"""Reminding applicants that permits expire: 60 days before, then 14 days before.

`flask renewals remind` runs this from a scheduler, as often as wanted. Each reminder sent
is a row whose unique key (permit case, the expiry it is about, 60 or 14) is claimed in the
same transaction as the email written to the outbox: a second run, or two runs at once,
finds the key taken and writes nothing, so no reminder is ever sent twice. A renewed permit
has a new expiry, hence new keys and fresh reminders.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from workflows.applications.store import chain_of
from workflows.db import take_sqlite_write_lock
from workflows.models import Application, PermitCase
from workflows.notifications import notify
from workflows.renewals.models import RenewalReminder
from workflows.workflow_templates import APPROVED

#: Days before expiry each reminder goes out, the earliest first.
REMINDER_DAYS = (60, 14)


@dataclass(frozen=True, slots=True)
class ReminderReport:
    emails: int  # one per application and threshold
    permits: int  # reminder rows written


def threshold(expires_at: datetime, now: datetime) -> int | None:
    """The reminder due for an expiry: the nearest threshold already reached (14 once within 14
    days, so a late first run sends only that one), or None outside 60 days or once expired."""
    if expires_at <= now:
        return None
    due = [days for days in REMINDER_DAYS if expires_at - now <= timedelta(days=days)]
    return min(due) if due else None


def send_renewal_reminders(session: Session, *, now: datetime) -> ReminderReport:
    """Write the reminders due at `now` to the outbox, inside the caller's transaction (it commits).

    One email per application and threshold lists its permits and their expiry dates.
    """
    take_sqlite_write_lock(session)  # two runs take turns instead of one failing
    horizon = now + timedelta(days=max(REMINDER_DAYS))
    cases = session.scalars(
        select(PermitCase)
        .where(
            PermitCase._state == APPROVED,
            PermitCase.expires_at > now,
            PermitCase.expires_at <= horizon,
        )
        .order_by(PermitCase.application_id, PermitCase.id)
    ).all()
    claimed: dict[tuple[int, int], list[PermitCase]] = defaultdict(list)
    for case in cases:
        days = threshold(case.expires_at, now)
        if days is not None and _claim(session, case, days, now):
            claimed[(case.application_id, days)].append(case)
    for (application_id, _days), reminded in claimed.items():
        application = session.get(Application, application_id)
        permits = {permit.code: permit for permit in chain_of(session, application).permits}
        notify(
            session,
            "renewal_reminder",
            application,
            expiring=[(permits[case.permit_code].name, case.expires_at.date()) for case in reminded],
            now=now,
        )
    return ReminderReport(emails=len(claimed), permits=sum(len(cases) for cases in claimed.values()))


def _claim(session: Session, case: PermitCase, days: int, now: datetime) -> bool:
    """Insert the reminder's row unless it exists; True when this call inserted it.

    ON CONFLICT DO NOTHING: a run that meets a row another run is still writing waits for it
    (PostgreSQL) and then inserts nothing, instead of failing.
    """
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(RenewalReminder)
        .values(permit_case_id=case.id, expires_at=case.expires_at, days_before=days, sent_at=now)
        .on_conflict_do_nothing(index_elements=["permit_case_id", "expires_at", "days_before"])
        .returning(RenewalReminder.id)
    )
    return session.execute(statement).scalar_one_or_none() is not None
