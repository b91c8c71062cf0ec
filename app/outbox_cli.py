"""`flask outbox send`: send the emails waiting in the outbox, once or every interval."""

from __future__ import annotations

import threading

import click
from flask import current_app
from flask.cli import AppGroup

from app.config import smtp_mailer
from app.db import database
from workflows.notifications import SendReport, keep_sending, send_due

outbox_group = AppGroup("outbox", help="Emails to applicants: send what is due, with retries.")


def _echo(report: SendReport) -> None:
    click.echo(f"Sent {report.sent}, will retry {report.retried}, gave up on {report.failed}.")
    for problem in report.problems:
        click.echo(f"  {problem}", err=True)


def _echo_if_any(report: SendReport) -> None:
    if report.handled:
        _echo(report)


@outbox_group.command("send")
@click.option(
    "--loop", is_flag=True, help="Keep sending every OUTBOX_INTERVAL_SECONDS until stopped (Ctrl-C)."
)
@click.option("--batch-size", default=50, show_default=True, type=click.IntRange(min=1))
def outbox_send(loop: bool, batch_size: int) -> None:
    """Send the emails that are due. One pass exits 1 if any could not be sent (they stay
    scheduled, or are given up on after the last attempt), so a scheduler notices."""
    try:
        mailer = smtp_mailer(current_app.config)
    except ValueError as error:
        raise click.UsageError(f"SMTP settings: {error}") from None
    if loop:
        interval = float(current_app.config["OUTBOX_INTERVAL_SECONDS"])
        click.echo(f"Sending the outbox every {interval:g} s; stop with Ctrl-C.")
        try:
            keep_sending(
                database().sessions,
                mailer,
                interval=interval,
                stop=threading.Event(),
                batch_size=batch_size,
                on_pass=_echo_if_any,
            )
        except KeyboardInterrupt:
            click.echo("Stopped.")
        return
    report = send_due(database().sessions, mailer, batch_size=batch_size)
    _echo(report)
    if report.retried or report.failed:
        raise SystemExit(1)
