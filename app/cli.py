"""Command-line tools: `flask db`, `flask packs`, `flask triage`, `flask users`, `flask ledger`;
`flask audit`, `flask outbox`, `flask licences`, `flask renewals`, `flask backup` and
`flask restore` live in their own modules."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import func, select

from accounts.service import AccountError, create_account
from app.audit_cli import audit_group
from app.backup_cli import backup_command, restore_command
from app.db import database, transaction
from app.licences_cli import licences_group
from app.outbox_cli import outbox_group
from app.packs import triage_engine
from app.packs_cli import register as register_pack_admin_commands
from app.packs_cli import report_problems
from app.renewals_cli import renewals_group
from workflows import migrate
from workflows.db import utcnow
from workflows.pack_admin import publish
from workflows.pack_store import active_versions, validate_with_active
from workflows.packs import PackError
from workflows.packs.loader import bundled_pack_directory, read_pack_sources
from workflows.payments import disburse, verify
from workflows.payments.models import LedgerTransaction, Payment
from workflows.payments.reports import (
    AgencyTotals,
    LedgerLine,
    disbursement_report,
    report_lines,
    utc_day,
    write_csv,
)
from workflows.triage import TriageError, format_cents

users_group = AppGroup("users", help="Staff accounts: clerks, supervisors and administrators.")
db_group = AppGroup("db", help="Apply the Alembic migrations: the only way the schema is made.")
packs_group = AppGroup("packs", help="Validate, preview, load, list and restore permit packs.")
ledger_group = AppGroup("ledger", help="The books: check them, report on them, pay the agencies.")


@db_group.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Migrate the database up to REVISION (default: the newest)."""
    migrate.upgrade(database().engine, revision)
    click.echo(f"Database at {revision}.")


@db_group.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Migrate the database down to REVISION ("base" removes every table)."""
    migrate.downgrade(database().engine, revision)
    click.echo(f"Database at {revision}.")


def _sources(paths: tuple[Path, ...]):
    return read_pack_sources(paths or (bundled_pack_directory(),))


PATHS = click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))


@packs_group.command("validate")
@PATHS
def packs_validate(paths: tuple[Path, ...]) -> None:
    """Check pack files (default: the bundled packs) together with the packs in force."""
    with database().sessions() as session:
        try:
            pack_set = validate_with_active(session, _sources(paths))
        except PackError as error:
            report_problems(error)
            raise SystemExit(1) from None
    permits = sum(len(pack.permits) for pack in pack_set.packs.values())
    click.echo(f"Valid: {len(pack_set.packs)} pack(s), {permits} permit(s).")


@packs_group.command("load")
@PATHS
def packs_load(paths: tuple[Path, ...]) -> None:
    """Validate and publish pack files (default: the bundled packs), all or nothing."""
    with database().sessions() as session, session.begin():
        try:
            published = publish(session, _sources(paths), actor=None)
        except PackError as error:
            report_problems(error)
            raise SystemExit(1) from None
    for pack in published:
        state = (
            f"published as version {pack.version}" if pack.changed else f"unchanged (version {pack.version})"
        )
        click.echo(f"{pack.jurisdiction_code}: {state}")


@packs_group.command("list")
def packs_list() -> None:
    """The packs in force."""
    with database().sessions() as session:
        versions = active_versions(session)
    if not versions:
        click.echo("No pack loaded. Run: flask packs load")
        return
    for version in versions:
        click.echo(
            f"{version.jurisdiction_code:<8} v{version.version:<3} {version.filename:<28} "
            f"published {version.published_at:%Y-%m-%d %H:%M} UTC"
        )


@click.command("triage")
@click.option("--jurisdiction", required=True, help="The municipality's code, e.g. 3520005.")
@click.option(
    "--answers",
    "answers_file",
    required=True,
    type=click.File("r", encoding="utf-8"),
    help="A JSON file of question id to answer.",
)
@click.option("--lang", type=click.Choice(["en", "fr"]), default="en")
@with_appcontext
def triage_command(jurisdiction: str, answers_file, lang: str) -> None:
    """Print the permits, reasons and fees for a set of answers."""
    try:
        answers = json.load(answers_file)
    except json.JSONDecodeError as error:
        raise click.BadParameter(f"not valid JSON: {error}", param_hint="--answers") from None
    if not isinstance(answers, dict):
        raise click.BadParameter("must hold a JSON object of question id to answer", param_hint="--answers")
    try:
        result = triage_engine().triage(jurisdiction, answers)
    except TriageError as error:
        for problem in error.errors:
            click.echo(f"{problem.field}: {problem.message.in_(lang)}", err=True)
        raise SystemExit(1) from None
    for index, outcome in enumerate(result.permits, 1):
        permit = outcome.permit
        estimate = " (estimate)" if permit.fee.illustrative else ""
        click.echo(
            f"{index:>2}. [{permit.level}] {permit.name.in_(lang)} ({permit.code}) — "
            f"{permit.agency.name.in_(lang)} — {format_cents(outcome.fee_cents, lang)}{estimate}"
        )
        if outcome.depends_on:
            click.echo(f"      after: {', '.join(outcome.depends_on)}")
        for reason in outcome.reason_texts(lang):
            click.echo(f"      - {reason}")
    for outcome in result.suggestions:
        click.echo(f" * {outcome.suggestion.name.in_(lang)}: {outcome.suggestion.description.in_(lang)}")
    click.echo(
        f"Total: {format_cents(result.total_fee_cents, lang)}; "
        f"estimated time to open: {result.estimated_days} days"
    )


@users_group.command("create")
@click.option("--email", required=True)
@click.option("--password", required=True, help="At least 12 characters.")
@click.option("--role", required=True, type=click.Choice(["clerk", "supervisor", "admin"]))
@click.option("--agency", "agency_code", help="The agency's code, for clerks and supervisors (e.g. TO-MLS).")
@click.option(
    "--jurisdiction",
    "jurisdiction_code",
    help="For administrators: the jurisdiction they publish packs for, with every one below it "
    "(CA, a province such as CA-NS, or a municipality's code such as 1209034).",
)
@click.option("--name", help="Defaults to the email address.")
def users_create(
    email: str,
    password: str,
    role: str,
    agency_code: str | None,
    jurisdiction_code: str | None,
    name: str | None,
) -> None:
    """Create a staff account."""
    if agency_code and agency_code not in triage_engine().packs.agencies:
        raise click.BadParameter(f"no agency {agency_code} in the packs in force", param_hint="--agency")
    try:
        with transaction() as session:
            user = create_account(
                session,
                email=email,
                password=password,
                name=name or email,
                role=role,
                agency_code=agency_code,
                jurisdiction_code=jurisdiction_code,
            )
    except AccountError as error:
        for problem in error.errors:
            click.echo(f"{problem.field}: {problem.message.en}", err=True)
        raise SystemExit(1) from None
    agency = f" of {user.agency_code}" if user.agency_code else ""
    if user.jurisdiction_code:
        agency = f" of {user.jurisdiction_code} and below"
    click.echo(f"Created {user.role}{agency}: {user.email} (id {user.id})")


class UtcDay(click.ParamType):
    """A YYYY-MM-DD date, read as midnight UTC: the ledger's clock."""

    name = "YYYY-MM-DD"

    def convert(self, value, param, ctx) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            return utc_day(value)
        except ValueError:
            self.fail(f"{value!r} is not a date in the form YYYY-MM-DD, e.g. 2026-11-01.", param, ctx)


UTC_DAY = UtcDay()


def _day(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC"


@ledger_group.command("verify")
def ledger_verify() -> None:
    """Check every invariant of the books; exit 1 naming each problem found."""
    with database().sessions() as session:
        problems = verify(session)
        transactions = session.scalar(select(func.count()).select_from(LedgerTransaction))
        payments = session.scalar(select(func.count()).where(Payment.status == "succeeded"))
    if problems:
        click.echo(f"Ledger has {len(problems)} problem(s):", err=True)
        for problem in problems:
            click.echo(f"  {problem}", err=True)
        raise SystemExit(1)
    click.echo(f"Ledger OK: {transactions} transactions, {payments} payments")


@ledger_group.command("report")
@click.option("--from", "start", required=True, type=UTC_DAY, help="The first day counted (UTC).")
@click.option("--to", "end", required=True, type=UTC_DAY, help="The day after the last one counted (UTC).")
@click.option("--agency", help="Only this agency's code, e.g. TO-MLS.")
@click.option("--detail", is_flag=True, help="Every payment, refund and disbursement line as well.")
@click.option(
    "--csv",
    "csv_file",
    type=click.File("w", encoding="utf-8", lazy=True),
    help="Write CSV (integer cents) to FILE, or - for standard output, instead of the table.",
)
def ledger_report(start: datetime, end: datetime, agency: str | None, detail: bool, csv_file) -> None:
    """What each agency received, gave back, was paid and is still owed from --from up to --to."""
    if end <= start:
        raise click.BadParameter("must be a later day than --from.", param_hint="--to")
    with database().sessions() as session:
        rows = disbursement_report(session, start, end, agency)
        lines = report_lines(session, start, end, agency) if detail else []
    if csv_file is not None:
        if detail:
            write_csv(lines, csv_file, LedgerLine)
        else:
            write_csv(rows, csv_file, AgencyTotals)
        return
    click.echo(f"Ledger from {_day(start)} up to {_day(end)} (not included), in CAD")
    if not rows:
        click.echo("No agency received, gave back, was paid or is owed anything in this period.")
        return
    _table(
        ["Agency", "GL accounts", "Owed at start", "Payments", "Refunds", "Net", "Disbursed", "Owed at end"],
        [
            [row.agency, " ".join(row.gl_accounts) or "-"]
            + [format_cents(cents, "en") for cents in _amounts(row)]
            for row in rows
        ]
        + [
            ["Total", ""]
            + [format_cents(sum(column), "en") for column in zip(*map(_amounts, rows), strict=True)]
        ],
        amounts_from=2,
    )
    if detail:
        click.echo("")
        _table(
            ["Date", "Application", "BN", "Permit", "Agency", "GL account", "Kind", "Amount"],
            [
                [
                    _day(line.date),
                    str(line.application_id or ""),
                    line.business_number or "",
                    line.permit_code or "",
                    line.agency,
                    line.gl_account or "",
                    line.kind,
                    format_cents(line.amount_cents, "en"),
                ]
                for line in lines
            ],
            amounts_from=7,
        )


def _amounts(row: AgencyTotals) -> list[int]:
    return [
        row.owed_at_start_cents,
        row.payments_cents,
        row.refunds_cents,
        row.net_cents,
        row.disbursed_cents,
        row.owed_at_end_cents,
    ]


def _table(header: list[str], rows: list[list[str]], amounts_from: int) -> None:
    """Columns padded to their widest cell, the amounts (from column `amounts_from` on) to the right."""
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows, strict=True)]
    for row in [header, *rows]:
        cells = [
            cell.rjust(width) if index >= amounts_from else cell.ljust(width)
            for index, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        click.echo("  ".join(cells).rstrip())


@ledger_group.command("disburse")
@click.option(
    "--until", required=True, type=UTC_DAY, help="Pay out the money received before this day (UTC)."
)
def ledger_disburse(until: datetime) -> None:
    """Record a disbursement to every agency owed money received before --until."""
    now = utcnow()
    processor = current_app.config.get("PAYMENT_GATEWAY") or "simulated"
    with transaction() as session:  # disburse never pays twice: what was paid out already counts
        made = disburse(session, processor, until, now)
    if not made:
        click.echo(f"Nothing to disburse: no agency is owed money received before {_day(until)}.")
        return
    for disbursement in made:
        click.echo(
            f"Disbursed {format_cents(disbursement.amount_cents, 'en')} to {disbursement.agency_code} "
            f"(disbursement {disbursement.id})"
        )
    total = format_cents(sum(d.amount_cents for d in made), "en")
    click.echo(f"Total: {total} to {len(made)} agencies, for money received before {_day(until)}.")


register_pack_admin_commands(packs_group, _sources, PATHS)


def register(app: Flask) -> None:
    app.cli.add_command(users_group)
    app.cli.add_command(db_group)
    app.cli.add_command(packs_group)
    app.cli.add_command(triage_command)
    app.cli.add_command(ledger_group)
    app.cli.add_command(audit_group)
    app.cli.add_command(outbox_group)
    app.cli.add_command(licences_group)
    app.cli.add_command(renewals_group)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
