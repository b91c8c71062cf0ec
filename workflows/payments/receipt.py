"""The payment receipt: a PDF of what was billed, paid and given back, in the applicant's language.

Free of Flask. `receipt_of` gathers the facts from the database (the invoice, its one
succeeded payment, its refunds, and the names in the pack pinned on the application, so a
pack published later never changes an old receipt); `receipt_pdf` only draws them, so its
layout can be checked on any receipt, however long.

The PDF uses the standard Helvetica font, which covers English and French (accents,
non-breaking spaces, the multiplication sign, ²) without embedding anything; characters outside Latin-1 are
drawn as boxes.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from xml.sax.saxutils import escape

from babel.dates import format_date
from babel.numbers import format_decimal
from reportlab.lib import colors
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.applications.store import chain_of
from workflows.applications.submission import program_accounts
from workflows.fees import TieredFee
from workflows.models import Application
from workflows.numbered_pages import numbered_canvas
from workflows.packs.model import Chain
from workflows.payments.invoices import invoice_of
from workflows.payments.models import InvoiceLine, Payment, Refund
from workflows.text import Text
from workflows.triage import BABEL_LOCALES, format_cents

TITLE = "Receipt / Reçu"
NOT_PAID = Text(
    "There is no receipt yet: the application's invoice is not paid.",
    "Il n'y a pas encore de reçu : la facture de cette demande n'est pas payée.",
)

L = {
    "legal_name": Text("Legal name", "Nom légal"),
    "operating_name": Text("Operating name", "Nom commercial"),
    "business_number": Text("Business Number", "Numéro d'entreprise"),
    "program_accounts": Text("Program accounts", "Comptes de programme"),
    "application": Text("Application number", "Numéro de la demande"),
    "invoice_date": Text("Invoice date", "Date de la facture"),
    "payment_date": Text("Payment date", "Date du paiement"),
    "payment": Text("Payment number", "Numéro du paiement"),
    "processor_reference": Text("Processor reference", "Référence du processeur"),
    "nothing_due": Text("None: nothing was due", "Aucun : rien n'était dû"),
    "lines": Text("Fees", "Droits"),
    "permit": Text("Permit", "Permis"),
    "agency": Text("Agency", "Organisme"),
    "gl_account": Text("GL account", "Compte du grand livre"),
    "basis": Text("Basis", "Calcul"),
    "amount": Text("Amount", "Montant"),
    "not_charged": Text("Not charged", "Non facturé"),
    "refunds": Text("Refunds", "Remboursements"),
    "date": Text("Date", "Date"),
    "reason": Text("Reason", "Motif"),
    "total_paid": Text("Total paid", "Total payé"),
    "total_refunded": Text("Total refunded", "Total remboursé"),
    "net": Text("Net", "Net"),
    "flat": Text("Flat fee", "Montant fixe"),
    "minimum": Text("Minimum fee", "Montant minimal"),
    "band_up_to": Text("Band up to {n}", "Tranche jusqu'à {n}"),
    "band_over": Text("Band over {n}", "Tranche de plus de {n}"),
    "top_band": Text("Top band", "Tranche supérieure"),
    "page": Text("Page {page} of {pages}", "Page {page} de {pages}"),
}
NONE = "—"
TIMES = "\u00d7"  # the multiplication sign
REASONS = {
    "rejected": Text("Permit refused", "Permis refusé"),
    "withdrawn": Text("Permit withdrawn", "Permis retiré"),
}


class ReceiptUnavailable(Exception):
    """Asked for the receipt of an application that is not paid (or not even submitted)."""

    def __init__(self, message: Text = NOT_PAID):
        self.message = message
        super().__init__(message.en)


@dataclass(frozen=True, slots=True)
class ReceiptLine:
    """One invoice line with the names the pinned pack gave its permit and agency."""

    line: InvoiceLine
    permit_name: Text
    agency_name: Text
    unit: Text | None  # what the quantity counts (seats, m²), from the pinned question
    top_band_floor: int | None  # for an open-ended band: the bound it is above


@dataclass(frozen=True, slots=True)
class ReceiptRefund:
    """One refund with the permit it gave back."""

    refund: Refund
    permit_code: str
    permit_name: Text


@dataclass(frozen=True, slots=True)
class Receipt:
    """Everything a receipt shows, read once from the database."""

    application_id: int
    legal_name: str | None
    operating_name: str | None
    business_number: str | None
    program_accounts: tuple[str, ...]
    invoiced_at: datetime
    paid_at: datetime
    payment: Payment | None  # None when nothing was due (every permit free)
    lines: tuple[ReceiptLine, ...]
    refunds: tuple[ReceiptRefund, ...]

    @property
    def paid_cents(self) -> int:
        return self.payment.amount_cents if self.payment else 0

    @property
    def refunded_cents(self) -> int:
        return sum(r.refund.amount_cents for r in self.refunds)

    @property
    def net_cents(self) -> int:
        return self.paid_cents - self.refunded_cents


def receipt_of(session: Session, application: Application) -> Receipt:
    """The facts of a paid application's receipt; ReceiptUnavailable before payment."""
    invoice = invoice_of(session, application.id)
    if invoice is None or invoice.paid_at is None:
        raise ReceiptUnavailable()
    payment = session.scalar(
        select(Payment).where(Payment.invoice_id == invoice.id, Payment.status == "succeeded")
    )
    refunds = (
        list(session.scalars(select(Refund).where(Refund.payment_id == payment.id).order_by(Refund.id)))
        if payment
        else []
    )
    chain = chain_of(session, application)
    lines = {line.id: _described(chain, line) for line in invoice.lines}
    values = application.form_values or {}
    return Receipt(
        application_id=application.id,
        legal_name=values.get("legal_name"),
        operating_name=values.get("operating_name"),
        business_number=application.business_number,
        program_accounts=tuple(str(account) for account in program_accounts(application)),
        invoiced_at=invoice.created_at,
        paid_at=invoice.paid_at,
        payment=payment,
        lines=tuple(lines.values()),
        refunds=tuple(
            ReceiptRefund(r, lines[r.invoice_line_id].line.permit_code, lines[r.invoice_line_id].permit_name)
            for r in refunds
        ),
    )


def render_receipt(session: Session, application: Application, language: str) -> bytes:
    """The receipt of a paid application as PDF bytes, in English or French."""
    return receipt_pdf(receipt_of(session, application), language)


def _described(chain: Chain, line: InvoiceLine) -> ReceiptLine:
    """Names from the pinned pack; a code stands in should the pack not know it (it always should)."""
    permit = next((p for p in chain.permits if p.code == line.permit_code), None)
    question = chain.questions_by_id.get(line.unit_question) if line.unit_question else None
    floor = None
    if line.basis == "band" and line.band_up_to is None and permit and isinstance(permit.fee, TieredFee):
        floor = max((band.up_to for band in permit.fee.bands if band.up_to is not None), default=None)
    return ReceiptLine(
        line=line,
        permit_name=permit.name if permit else Text(line.permit_code, line.permit_code),
        agency_name=permit.agency.name if permit else Text(line.agency_code, line.agency_code),
        unit=question.unit if question else None,
        top_band_floor=floor,
    )


# Drawing ---------------------------------------------------------------------------------------

_BASE = ParagraphStyle("base", fontName="Helvetica", fontSize=9, leading=11)
_BOLD = ParagraphStyle("bold", parent=_BASE, fontName="Helvetica-Bold")
_RIGHT = ParagraphStyle("right", parent=_BASE, alignment=2)
_RIGHT_BOLD = ParagraphStyle("right_bold", parent=_BOLD, alignment=2)
_TITLE = ParagraphStyle("title", parent=_BASE, fontName="Helvetica-Bold", fontSize=18, leading=22)
_HEADING = ParagraphStyle("heading", parent=_BOLD, fontSize=11, leading=14, spaceBefore=10, spaceAfter=4)
_GRID = TableStyle(
    [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, 0), 0.75, colors.black),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.HexColor("#BBBBBB")),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#EEEEEE")),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
)
_WIDTH = LETTER[0] - 1.5 * inch


def receipt_pdf(receipt: Receipt, language: str) -> bytes:
    """Draw a receipt; "Page X of Y" is printed on every page once it takes more than one."""
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=LETTER,
        leftMargin=0.75 * inch,
        rightMargin=0.75 * inch,
        topMargin=0.75 * inch,
        bottomMargin=0.9 * inch,
        title=f"{TITLE} — {receipt.application_id}",
        author="Guichet",
        lang="fr-CA" if language == "fr" else "en-CA",
    )
    document.build(_story(receipt, language), canvasmaker=_numbered_canvas(language))
    return buffer.getvalue()


def _story(receipt: Receipt, language: str) -> list:
    t = _translator(language)
    return [
        Paragraph(TITLE, _TITLE),
        Spacer(1, 8),
        _facts_table(receipt, language),
        Paragraph(t("lines"), _HEADING),
        _lines_table(receipt, language),
        *([Paragraph(t("refunds"), _HEADING), _refunds_table(receipt, language)] if receipt.refunds else []),
        Spacer(1, 10),
        _totals_table(receipt, language),
    ]


def _facts_table(receipt: Receipt, language: str) -> Table:
    t = _translator(language)
    payment = receipt.payment
    rows = [
        ("legal_name", receipt.legal_name or NONE),
        ("operating_name", receipt.operating_name or NONE),
        ("business_number", receipt.business_number or NONE),
        ("program_accounts", "\n".join(receipt.program_accounts) or NONE),
        ("application", str(receipt.application_id)),
        ("invoice_date", _when(receipt.invoiced_at, language)),
        ("payment_date", _when(receipt.paid_at, language)),
        ("payment", str(payment.id) if payment else t("nothing_due")),
        ("processor_reference", (payment.processor_reference or NONE) if payment else NONE),
    ]
    table = Table(
        [[Paragraph(t(key), _BOLD), _paragraph(value, _BASE)] for key, value in rows],
        colWidths=[1.9 * inch, _WIDTH - 1.9 * inch],
    )
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (0, -1), 0)]))
    return table


def _lines_table(receipt: Receipt, language: str) -> Table:
    t = _translator(language)
    header = [Paragraph(t(key), _BOLD) for key in ("permit", "agency", "gl_account", "basis")]
    rows = [[*header, Paragraph(t("amount"), _RIGHT_BOLD)]]
    for described in receipt.lines:
        line = described.line
        charged = line.cancelled_at is None
        rows.append(
            [
                _named(described.permit_name.in_(language), line.permit_code),
                _named(described.agency_name.in_(language), line.agency_code),
                _paragraph(line.gl_account, _BASE),
                _paragraph(_basis(described, language), _BASE),
                _paragraph(
                    format_cents(line.amount_cents, language) if charged else t("not_charged"), _RIGHT
                ),
            ]
        )
    return _grid(rows, [0.27, 0.25, 0.16, 0.18, 0.14])


def _refunds_table(receipt: Receipt, language: str) -> Table:
    t = _translator(language)
    rows = [[Paragraph(t(key), _BOLD) for key in ("permit", "date", "reason")]]
    rows[0].append(Paragraph(t("amount"), _RIGHT_BOLD))
    for refunded in receipt.refunds:
        refund = refunded.refund
        reason = REASONS.get(refund.reason)
        rows.append(
            [
                _named(refunded.permit_name.in_(language), refunded.permit_code),
                _paragraph(_when(refund.created_at, language), _BASE),
                _paragraph(reason.in_(language) if reason else refund.reason, _BASE),
                _paragraph(format_cents(refund.amount_cents, language), _RIGHT),
            ]
        )
    return _grid(rows, [0.4, 0.25, 0.2, 0.15])


def _totals_table(receipt: Receipt, language: str) -> Table:
    t = _translator(language)
    rows = [
        ("total_paid", receipt.paid_cents),
        ("total_refunded", receipt.refunded_cents),
        ("net", receipt.net_cents),
    ]
    table = Table(
        [
            [Paragraph(t(key), _BOLD), Paragraph(format_cents(cents, language), _RIGHT_BOLD)]
            for key, cents in rows
        ],
        colWidths=[_WIDTH * 0.3, _WIDTH * 0.2],
        hAlign="RIGHT",
    )
    table.setStyle(TableStyle([("LINEABOVE", (0, -1), (-1, -1), 0.75, colors.black)]))
    return table


def _basis(described: ReceiptLine, language: str) -> str:
    """How the amount was worked out: 20 m² times $132.42, a flat fee, a minimum, or a band."""
    t = _translator(language)
    line = described.line
    unit = described.unit.in_(language) if described.unit else ""
    if line.basis == "per_unit":
        quantity = " ".join(filter(None, [_number(line.quantity, language), unit]))
        return f"{quantity} {TIMES} {format_cents(line.unit_cents, language)}"
    if line.basis == "minimum":
        return t("minimum")
    if line.basis == "band":
        bound = line.band_up_to if line.band_up_to is not None else described.top_band_floor
        if bound is None:
            return t("top_band")
        key = "band_up_to" if line.band_up_to is not None else "band_over"
        return t(key).format(n=" ".join(filter(None, [_number(bound, language), unit])))
    return t("flat")


def _grid(rows: list[list], fractions: list[float]) -> Table:
    table = Table(rows, colWidths=[_WIDTH * f for f in fractions], repeatRows=1)
    table.setStyle(_GRID)
    return table


def _named(name: str, code: str) -> Paragraph:
    return Paragraph(f"{escape(name)}<br/><font size='7.5' color='#555555'>{escape(code)}</font>", _BASE)


def _paragraph(text: str, style: ParagraphStyle) -> Paragraph:
    """Text as given (a business name may hold & or <), line breaks kept."""
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def _translator(language: str):
    return lambda key: L[key].in_(language)


def _number(value: int, language: str) -> str:
    return format_decimal(value, locale=BABEL_LOCALES.get(language, "en_CA"))


def _when(moment: datetime, language: str) -> str:
    """The date in words and the time in UTC, as stored: "November 26, 2026, 15:00 UTC"."""
    day = format_date(moment, format="long", locale=BABEL_LOCALES.get(language, "en_CA"))
    if language == "fr":
        return f"{day}, {moment:%H} h {moment:%M} UTC"
    return f"{day}, {moment:%H:%M} UTC"


def _numbered_canvas(language: str) -> type[Canvas]:
    """Pages numbered at the foot, once the receipt takes more than one."""
    label = L["page"].in_(language)

    def number(canvas: Canvas, page: int, pages: int) -> None:
        if pages > 1:
            canvas.setFont("Helvetica", 8)
            canvas.drawRightString(LETTER[0] - 0.75 * inch, 0.5 * inch, label.format(page=page, pages=pages))

    return numbered_canvas(number)
