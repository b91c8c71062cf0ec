"""`flask renewals remind`: email the applicants whose permits expire within 60 (then 14) days."""

from __future__ import annotations

from datetime import UTC, datetime

import click
from flask.cli import AppGroup

from app.db import transaction
from workflows.db import utcnow
from workflows.renewals.reminders import send_renewal_reminders

renewals_group = AppGroup("renewals", help="Permit renewals: remind applicants before permits expire.")


class UtcMoment(click.ParamType):
    """An ISO 8601 date and time; read as UTC when it names no zone."""

    name = "ISO-DATETIME"

    def convert(self, value, param, ctx) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            self.fail(f"{value!r} is not an ISO date and time, e.g. 2027-09-28T09:00:00Z.", param, ctx)
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@renewals_group.command("remind")
@click.option(
    "--now",
    type=UtcMoment(),
    help="Act as if it were this moment (for tests and rehearsals); default: the current time.",
)
def renewals_remind(now: datetime | None) -> None:
    """Write the renewal reminders due to the outbox (`flask outbox send` sends them).

    Safe to run as often as wanted, even several at once: a reminder is never written twice.
    """
    with transaction() as session:
        report = send_renewal_reminders(session, now=now or utcnow())
    click.echo(f"Wrote {report.emails} renewal reminder email(s), for {report.permits} permit(s).")
