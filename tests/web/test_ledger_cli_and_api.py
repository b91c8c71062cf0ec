"""flask ledger verify / report / disburse, the receipt and the disbursement report over HTTP.

Ledger transactions are dated by the clock when written, so report periods are taken from
the day the test's payment was booked.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from accounts.models import User
from accounts.service import issue_token
from app.db import db_session as app_session
from tests.factories import user
from tests.test_payments import NOW, submitted
from tests.web.openapi_conformance import conforms
from workflows.payments import SimulatedGateway, agency_balances, invoice_of, pay
from workflows.payments.models import Disbursement, LedgerEntry, LedgerTransaction

pytestmark = pytest.mark.money

DAY = timedelta(days=1)
TOTAL = 666_370


def pay_for(session, application) -> None:
    outcome = pay(
        session,
        application,
        idempotency_key="k",
        card_token="tok_approved",
        gateway=SimulatedGateway(),
        now=NOW,
    )
    assert outcome.payment.status == "succeeded"


def booked_day(session) -> tuple[str, str]:
    """--from and --to around the day the newest ledger transaction was written."""
    booked = session.scalar(select(func.max(LedgerTransaction.created_at)))
    return f"{booked:%Y-%m-%d}", f"{booked + DAY:%Y-%m-%d}"


# The command line ----------------------------------------------------------------------------


def test_verify_says_ok_on_sound_books(runner, db_session):
    application, _ = submitted(db_session)
    pay_for(db_session, application)
    result = runner.invoke(args=["ledger", "verify"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "Ledger OK: 1 transactions, 1 payments"


@pytest.mark.tampers_with_books
def test_verify_fails_naming_a_tampered_entry(runner, db_session):
    application, _ = submitted(db_session)
    pay_for(db_session, application)
    entry = db_session.scalars(select(LedgerEntry).where(LedgerEntry.amount_cents < 0)).first()
    db_session.execute(
        LedgerEntry.__table__.update()
        .where(LedgerEntry.id == entry.id)
        .values(amount_cents=entry.amount_cents - 1)
    )
    result = runner.invoke(args=["ledger", "verify"])
    assert result.exit_code == 1
    assert "Ledger has" in result.output and "Ledger OK" not in result.output
    assert (
        f"transaction {entry.transaction_id} (payment) does not balance: its entries add up to -1"
        in result.output
    )


def test_report_prints_a_table_per_agency_and_the_detail(runner, db_session):
    application, _ = submitted(db_session)
    pay_for(db_session, application)
    start, end = booked_day(db_session)
    result = runner.invoke(args=["ledger", "report", "--from", start, "--to", end])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"Ledger from {start} 00:00 UTC up to {end} 00:00 UTC (not included), in CAD"
    assert lines[1].split() == [
        "Agency",
        "GL",
        "accounts",
        "Owed",
        "at",
        "start",
        "Payments",
        "Refunds",
        "Net",
        "Disbursed",
        "Owed",
        "at",
        "end",
    ]
    ts = next(line for line in lines if line.startswith("TO-TS "))
    assert ts.split() == [
        "TO-TS",
        "TO-TS-4320",
        "$0.00",
        "$2,648.40",
        "$0.00",
        "$2,648.40",
        "$0.00",
        "$2,648.40",
    ]
    assert lines[-1].split()[:3] == ["Total", "$0.00", "$6,663.70"]
    assert "BN" not in result.output

    detail = runner.invoke(
        args=["ledger", "report", "--from", start, "--to", end, "--agency", "TO-TS", "--detail"]
    )
    assert detail.exit_code == 0, detail.output
    row = next(line for line in detail.output.splitlines() if "TO-CAFETO" in line)
    assert str(application.id) in row and application.business_number in row
    assert row.split()[-2:] == ["payment", "$2,648.40"]
    assert "TO-MLS" not in detail.output


def test_report_writes_csv_to_standard_output_or_a_file(runner, db_session, tmp_path):
    application, _ = submitted(db_session)
    pay_for(db_session, application)
    start, end = booked_day(db_session)
    result = runner.invoke(args=["ledger", "report", "--from", start, "--to", end, "--csv", "-"])
    assert result.exit_code == 0, result.output
    rows = {row["agency"]: row for row in csv.DictReader(io.StringIO(result.output))}
    assert rows["TO-TS"]["payments_cents"] == "264840"
    assert sum(int(row["owed_at_end_cents"]) for row in rows.values()) == TOTAL
    assert {code: int(row["owed_at_end_cents"]) for code, row in rows.items()} == agency_balances(db_session)

    path = tmp_path / "detail.csv"
    result = runner.invoke(
        args=["ledger", "report", "--from", start, "--to", end, "--detail", "--csv", str(path)]
    )
    assert result.exit_code == 0 and result.output == ""
    detail = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert {row["kind"] for row in detail} == {"payment"}
    assert sum(int(row["amount_cents"]) for row in detail) == TOTAL
    assert {row["permit_code"] for row in detail} == {
        line.permit_code for line in invoice_of(db_session, application.id).lines if line.amount_cents
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2026-13-01", "--to", "2026-12-01"], "'2026-13-01' is not a date in the form YYYY-MM-DD"),
        (["--from", "01/11/2026", "--to", "2026-12-01"], "'01/11/2026' is not a date in the form YYYY-MM-DD"),
        (["--from", "2026-12-01", "--to", "2026-11-01"], "must be a later day than --from"),
        (["--from", "2026-11-01"], "Missing option '--to'"),
    ],
)
def test_report_refuses_bad_dates(runner, args, message):
    result = runner.invoke(args=["ledger", "report", *args])
    assert result.exit_code == 2
    assert message in result.output


def test_disburse_pays_the_agencies_once(runner, db_session):
    application, _ = submitted(db_session)
    pay_for(db_session, application)
    owed = agency_balances(db_session)
    _, tomorrow = booked_day(db_session)

    result = runner.invoke(args=["ledger", "disburse", "--until", tomorrow])
    assert result.exit_code == 0, result.output
    assert "Disbursed $2,648.40 to TO-TS (disbursement " in result.output
    assert result.output.splitlines()[-1] == (
        f"Total: $6,663.70 to {len(owed)} agencies, for money received before {tomorrow} 00:00 UTC."
    )
    made = {d.agency_code: d.amount_cents for d in db_session.scalars(select(Disbursement))}
    assert made == owed
    assert set(agency_balances(db_session).values()) == {0}

    again = runner.invoke(args=["ledger", "disburse", "--until", tomorrow])
    assert again.exit_code == 0, again.output
    assert again.output.startswith("Nothing to disburse")

    earlier = runner.invoke(args=["ledger", "disburse", "--until", "2020-01-01"])
    assert earlier.exit_code == 0 and earlier.output.startswith("Nothing to disburse")  # never paid twice
    assert db_session.scalar(select(func.count()).select_from(Disbursement)) == len(owed)
    assert runner.invoke(args=["ledger", "verify"]).exit_code == 0

    bad = runner.invoke(args=["ledger", "disburse", "--until", "tomorrow"])
    assert bad.exit_code == 2 and "is not a date in the form YYYY-MM-DD" in bad.output


# The API ----------------------------------------------------------------------------------------


def headers_for(app, role: str = "applicant", agency: str | None = None, owner_id: int | None = None) -> dict:
    """Bearer headers, made in an app context of its own: each request then gets a fresh one."""
    with app.app_context():
        session = app_session()
        account = session.get(User, owner_id) if owner_id else user(session, role, agency)
        token = issue_token(session, account)
        session.commit()
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def books(app):
    """A paid application and an unpaid one, each with its owner's headers; and the day they were booked."""
    with app.app_context():
        session = app_session()
        paid, _ = submitted(session)
        pay_for(session, paid)
        unpaid, _ = submitted(session)
        start, end = booked_day(session)
        ids = paid.id, paid.owner_id, unpaid.id, unpaid.owner_id
        session.commit()
    return {
        "paid": ids[0],
        "owner": headers_for(app, owner_id=ids[1]),
        "unpaid": ids[2],
        "unpaid_owner": headers_for(app, owner_id=ids[3]),
        "period": {"from": start, "to": end},
    }


def pdf_text(data: bytes) -> str:
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(data)).pages)


def test_the_owner_downloads_the_receipt_in_their_language(client, books):
    url = f"/api/v1/applications/{books['paid']}/receipt.pdf"
    response = conforms(client.get(url, headers=books["owner"]))
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == f'attachment; filename="receipt-{books["paid"]}.pdf"'
    assert response.data.startswith(b"%PDF-")
    assert "Business Number" in pdf_text(response.data)

    french = conforms(client.get(url + "?lang=fr", headers=books["owner"]))
    assert french.status_code == 200
    text = pdf_text(french.data)
    assert "Reçu" in text and "Numéro d'entreprise" in text and "6 663,70 $" in text


def test_another_account_or_an_unknown_id_gets_the_same_404(app, client, books):
    other = client.get(f"/api/v1/applications/{books['paid']}/receipt.pdf", headers=books["unpaid_owner"])
    unknown = client.get("/api/v1/applications/999999/receipt.pdf", headers=books["owner"])
    for response in (other, unknown):
        conforms(response)
        assert response.status_code == 404
    assert other.json == unknown.json == {"errors": [{"field": None, "message": "No such application."}]}
    anonymous = conforms(client.get(f"/api/v1/applications/{books['paid']}/receipt.pdf"))
    assert anonymous.status_code == 401


def test_no_receipt_before_payment(client, books):
    url = f"/api/v1/applications/{books['unpaid']}/receipt.pdf"
    response = conforms(client.get(url, headers=books["unpaid_owner"]))
    assert response.status_code == 409
    assert "not paid" in response.json["errors"][0]["message"]
    french = conforms(client.get(url + "?lang=fr", headers=books["unpaid_owner"]))
    assert "pas payée" in french.json["errors"][0]["message"]


DISBURSEMENTS = "/api/v1/ledger/disbursements"


def test_an_admin_sees_every_agency_in_json_or_csv(app, client, books):
    admin = headers_for(app, "admin")
    response = conforms(client.get(DISBURSEMENTS, query_string=books["period"], headers=admin))
    assert response.status_code == 200
    agencies = {row["agency"]: row for row in response.json["agencies"]}
    assert {"TO-TS", "TO-MLS", "TO-TB", "ON-AGCO"} <= set(agencies)
    assert sum(row["payments_cents"] for row in agencies.values()) == TOTAL
    assert agencies["TO-TS"] == {
        "agency": "TO-TS",
        "gl_accounts": ["TO-TS-4320"],
        "owed_at_start_cents": 0,
        "payments_cents": 264_840,
        "refunds_cents": 0,
        "net_cents": 264_840,
        "disbursed_cents": 0,
        "owed_at_end_cents": 264_840,
    }
    assert response.json["from"].startswith(books["period"]["from"] + "T00:00:00")

    csv_response = conforms(
        client.get(DISBURSEMENTS, query_string={**books["period"], "format": "csv"}, headers=admin)
    )
    assert csv_response.status_code == 200 and csv_response.mimetype == "text/csv"
    period = books["period"]
    assert csv_response.headers["Content-Disposition"] == (
        f'attachment; filename="disbursements-{period["from"]}-{period["to"]}.csv"'
    )
    rows = list(csv.DictReader(io.StringIO(csv_response.get_data(as_text=True))))
    assert {row["agency"]: int(row["payments_cents"]) for row in rows} == {
        code: row["payments_cents"] for code, row in agencies.items()
    }


def test_a_supervisor_sees_their_own_agency_only(app, client, books):
    supervisor = headers_for(app, "supervisor", "TO-TS")
    own = conforms(client.get(DISBURSEMENTS, query_string=books["period"], headers=supervisor))
    assert own.status_code == 200
    assert [row["agency"] for row in own.json["agencies"]] == ["TO-TS"]
    named = conforms(
        client.get(
            DISBURSEMENTS,
            query_string={**books["period"], "agency": "TO-TS", "format": "csv"},
            headers=supervisor,
        )
    )
    assert named.status_code == 200 and "-TO-TS.csv" in named.headers["Content-Disposition"]

    other = conforms(
        client.get(DISBURSEMENTS, query_string={**books["period"], "agency": "TO-MLS"}, headers=supervisor)
    )
    assert other.status_code == 403
    assert other.json["errors"][0]["field"] is None


@pytest.mark.parametrize(("role", "agency"), [("clerk", "TO-TS"), ("applicant", None), ("supervisor", None)])
def test_clerks_applicants_and_supervisors_of_no_agency_are_refused(app, client, books, role, agency):
    response = conforms(
        client.get(DISBURSEMENTS, query_string=books["period"], headers=headers_for(app, role, agency))
    )
    assert response.status_code == 403
    assert "supervisors and administrators" in response.json["errors"][0]["message"]


def test_anonymous_callers_must_sign_in(client, books):
    response = conforms(client.get(DISBURSEMENTS, query_string=books["period"]))
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ({}, {"from", "to"}),
        ({"from": "2026-11-01", "to": "2026-11-31"}, {"to"}),
        ({"from": "1/11/2026", "to": "2026-12-01"}, {"from"}),
        ({"from": "2026-12-01", "to": "2026-12-01"}, {"to"}),
        ({"from": "2026-11-01", "to": "2026-12-01", "format": "xml"}, {"format"}),
    ],
)
def test_bad_dates_or_format_answer_422_by_field(app, client, query, fields):
    response = conforms(client.get(DISBURSEMENTS, query_string=query, headers=headers_for(app, "admin")))
    assert response.status_code == 422
    assert {error["field"] for error in response.json["errors"]} == fields


def test_the_messages_come_in_french_too(app, client):
    response = conforms(
        client.get(DISBURSEMENTS, query_string={"lang": "fr"}, headers=headers_for(app, "clerk", "TO-TS"))
    )
    assert response.status_code == 403
    assert "superviseurs" in response.json["errors"][0]["message"]
    response = conforms(
        client.get(DISBURSEMENTS, query_string={"lang": "fr"}, headers=headers_for(app, "admin"))
    )
    assert {error["field"] for error in response.json["errors"]} == {"from", "to"}
    assert "AAAA-MM-JJ" in response.json["errors"][0]["message"]
