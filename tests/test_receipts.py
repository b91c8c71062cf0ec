"""The PDF receipt, rendered from a real paid application and read back with pypdf."""

from __future__ import annotations

import dataclasses
import io
import re

import pytest
from pypdf import PdfReader

from tests.answer_sets import TORONTO_FULL
from tests.test_payments import NOW, submitted
from workflows.applications import program_accounts
from workflows.applications.store import cases_of, chain_of
from workflows.payments import SimulatedGateway, invoice_of, pay, settle_ended_permits
from workflows.payments.models import InvoiceLine
from workflows.payments.receipt import (
    ReceiptLine,
    ReceiptUnavailable,
    receipt_of,
    receipt_pdf,
    render_receipt,
)
from workflows.permit_workflow import fire
from workflows.text import Text
from workflows.triage import format_cents

pytestmark = pytest.mark.money

TOTAL = 666_370  # TORONTO_FULL's fee, as tests/test_payments.py has it


@pytest.fixture
def gateway() -> SimulatedGateway:
    return SimulatedGateway()


def paid(db_session, gateway, answers=TORONTO_FULL):
    application, _ = submitted(db_session, answers)
    outcome = pay(
        db_session, application, idempotency_key="k", card_token="tok_approved", gateway=gateway, now=NOW
    )
    assert outcome.payment.status == "succeeded"
    return application, outcome.payment


def pages_of(pdf: bytes) -> list[str]:
    """Each page's text with runs of white space (non-breaking ones too) made one space."""
    assert pdf.startswith(b"%PDF-")
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages]


def text_of(pdf: bytes) -> str:
    return " ".join(pages_of(pdf))


def money(cents: int, language: str) -> str:
    return " ".join(format_cents(cents, language).split())


def row_pattern(*cells: str) -> re.Pattern:
    """The cells in this order within one table row (short gaps between them, nothing across rows)."""
    return re.compile(r".{0,60}?".join(re.escape(cell) for cell in cells))


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_receipt_shows_the_business_the_payment_and_every_line(db_session, gateway, language):
    application, payment = paid(db_session, gateway)
    text = text_of(render_receipt(db_session, application, language))

    assert "Receipt / Reçu" in text
    assert application.business_number and application.business_number in text
    accounts = [str(account) for account in program_accounts(application)]
    assert accounts and all(account in text for account in accounts)
    assert application.form_values["legal_name"] in text  # "Café Ça Va Inc.": accents drawn, not boxes
    assert payment.processor_reference and payment.processor_reference in text
    assert re.search(rf"\b{payment.id}\b", text)
    assert re.search(rf"\b{application.id}\b", text)

    chain = chain_of(db_session, application)
    permits = {permit.code: permit for permit in chain.permits}
    invoice = invoice_of(db_session, application.id)
    assert len(invoice.lines) > 10
    for line in invoice.lines:
        permit = permits[line.permit_code]
        assert row_pattern(
            permit.name.in_(language),
            line.permit_code,
            permit.agency.name.in_(language),
            line.agency_code,
            line.gl_account,
            money(line.amount_cents, language),
        ).search(text), line.permit_code

    patio = "20 m² \u00d7 " + money(13_242, language)
    assert row_pattern("TO-TS-4320", patio, money(264_840, language)).search(text)
    assert row_pattern("Total paid" if language == "en" else "Total payé", money(TOTAL, language)).search(
        text
    )
    assert row_pattern("Net", money(TOTAL, language)).search(text)


def test_the_french_receipt_is_in_french_with_its_accents(db_session, gateway):
    application, _ = paid(db_session, gateway)
    french = text_of(render_receipt(db_session, application, "fr"))
    english = text_of(render_receipt(db_session, application, "en"))
    for words in ("Reçu", "Numéro d'entreprise", "Nom légal", "Comptes de programme", "Total remboursé"):
        assert words in french
    assert "Business Number" in english and "Numéro d'entreprise" not in english
    assert "Normes et permis municipaux de Toronto" in french
    assert "Toronto Municipal Licensing & Standards" in english  # an ampersand survives the markup
    assert "novembre 2026" in french and "November 26, 2026" in english
    assert money(TOTAL, "fr") in french and "6 663,70 $" in french
    assert "$6,663.70" in english


def test_a_refund_after_a_withdrawal_is_listed_and_the_totals_follow(db_session, gateway):
    application, _ = paid(db_session, gateway)
    eating = next(
        line for line in invoice_of(db_session, application.id).lines if line.permit_code == "TO-EATING"
    )
    case = next(c for c in cases_of(db_session, application.id) if c.permit_code == "TO-EATING")
    fire(db_session, case, "withdraw", actor_id=application.owner_id)
    [refund] = settle_ended_permits(db_session, application, gateway=gateway, now=NOW)
    assert refund.amount_cents == eating.amount_cents > 0

    english = text_of(render_receipt(db_session, application, "en"))
    assert "Refunds" in english
    assert row_pattern(
        "Eating or drinking establishment licence",
        "TO-EATING",
        "Permit withdrawn",
        money(eating.amount_cents, "en"),
    ).search(english)
    assert row_pattern("Total paid", money(TOTAL, "en")).search(english)
    assert row_pattern("Total refunded", money(eating.amount_cents, "en")).search(english)
    assert row_pattern("Net", money(TOTAL - eating.amount_cents, "en")).search(english)

    french = text_of(render_receipt(db_session, application, "fr"))
    assert "Remboursements" in french and "Permis retiré" in french
    assert row_pattern("Total remboursé", money(eating.amount_cents, "fr")).search(french)
    assert row_pattern("Net", money(TOTAL - eating.amount_cents, "fr")).search(french)


def test_a_line_withdrawn_before_payment_is_marked_not_charged(db_session, gateway):
    application, _ = submitted(db_session)
    case = next(c for c in cases_of(db_session, application.id) if c.permit_code == "TO-CAFETO")
    fire(db_session, case, "withdraw", actor_id=application.owner_id)
    settle_ended_permits(db_session, application, gateway=gateway, now=NOW)
    pay(db_session, application, idempotency_key="k", card_token="tok_approved", gateway=gateway, now=NOW)

    text = text_of(render_receipt(db_session, application, "en"))
    assert row_pattern("TO-CAFETO", "TO-TS-4320", "Not charged").search(text)
    assert money(264_840, "en") not in text
    assert row_pattern("Total paid", money(TOTAL - 264_840, "en")).search(text)
    assert "Non facturé" in text_of(render_receipt(db_session, application, "fr"))


def test_an_unpaid_invoice_has_no_receipt(db_session, gateway):
    application, _ = submitted(db_session)
    with pytest.raises(ReceiptUnavailable) as refused:
        render_receipt(db_session, application, "en")
    assert "not paid" in refused.value.message.en and "pas payée" in refused.value.message.fr
    declined = pay(
        db_session, application, idempotency_key="k", card_token="tok_declined", gateway=gateway, now=NOW
    )
    assert declined.payment.status == "declined"
    with pytest.raises(ReceiptUnavailable):
        render_receipt(db_session, application, "fr")


def test_a_receipt_over_several_pages_numbers_every_page_and_one_page_needs_no_number(db_session, gateway):
    application, _ = paid(db_session, gateway)
    receipt = receipt_of(db_session, application)
    short = pages_of(receipt_pdf(dataclasses.replace(receipt, lines=receipt.lines[:3]), "en"))
    assert len(short) == 1 and "Page 1 of" not in short[0]

    long = dataclasses.replace(receipt, lines=receipt.lines * 6)
    for made, language, label in (
        (receipt, "en", "Page {} of {}"),  # the real one: 17 lines take two pages
        (long, "en", "Page {} of {}"),
        (long, "fr", "Page {} de {}"),
    ):
        pages = pages_of(receipt_pdf(made, language))
        assert len(pages) > 1
        for number, page in enumerate(pages, 1):
            assert label.format(number, len(pages)) in page
        assert ("Agency" if language == "en" else "Organisme") in pages[1]  # the header row is repeated


def test_a_receipt_with_nothing_to_pay_names_no_payment(db_session, gateway):
    """Every permit free: the invoice is marked paid on submission, with no payment to show."""
    application, _ = paid(db_session, gateway)
    receipt = receipt_of(db_session, application)
    free = dataclasses.replace(receipt, payment=None, lines=receipt.lines[:3])
    assert {d.line.amount_cents for d in free.lines} == {0}
    text = text_of(receipt_pdf(free, "en"))
    assert "None: nothing was due" in text
    assert row_pattern("Total paid", "$0.00").search(text) and row_pattern("Net", "$0.00").search(text)
    assert "Aucun : rien n'était dû" in text_of(receipt_pdf(free, "fr"))


def test_bands_and_minimums_say_how_the_amount_was_worked_out(db_session, gateway):
    application, _ = paid(db_session, gateway)
    receipt = receipt_of(db_session, application)
    seats = Text("seats", "places")

    def line(code: str, basis: str, band_up_to: int | None = None) -> ReceiptLine:
        charge = InvoiceLine(
            permit_code=code,
            agency_code="BC-VCH",
            gl_account="BC-VCH-4400",
            basis=basis,
            quantity=1,
            unit_cents=39_000,
            amount_cents=39_000,
            band_up_to=band_up_to,
            unit_question="seating_capacity",
        )
        return ReceiptLine(charge, Text(code, code), Text("Health", "Santé"), seats, 150)

    made = dataclasses.replace(
        receipt,
        lines=(line("BAND-1", "band", 1_500), line("BAND-TOP", "band"), line("MIN", "minimum")),
    )
    english, french = text_of(receipt_pdf(made, "en")), text_of(receipt_pdf(made, "fr"))
    assert row_pattern("BAND-1", "Band up to 1,500 seats", "$390.00").search(english)
    assert row_pattern("BAND-TOP", "Band over 150 seats", "$390.00").search(english)
    assert row_pattern("MIN", "Minimum fee", "$390.00").search(english)
    assert row_pattern("BAND-1", "Tranche jusqu'à 1 500 places", "390,00 $").search(french)
    assert row_pattern("BAND-TOP", "Tranche de plus de 150 places").search(french)
    assert "Montant minimal" in french
