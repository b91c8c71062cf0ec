"""The consolidated licence as a PDF: bilingual, every permit by level, signed, with a QR code.

Drawn only from a licence's stored, signed content, so the same version always prints the
same facts. Every page carries the licence number, version, issue date and "Page X of Y";
the fonts (DejaVu Sans, shipped in `licences/fonts`) are registered once per process and
embedded, so French accents print wherever the PDF is opened. The QR code holds the public
verification address.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.graphics.barcode.qr import QrCode
from reportlab.lib import colors
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate, Paragraph, Spacer, Table, TableStyle

from licences.business_number import PROGRAMS
from licences.signing import ALGORITHM
from workflows.numbered_pages import numbered_canvas
from workflows.packs.model import LEVELS
from workflows.text import Text

FONT, BOLD = "DejaVuSans", "DejaVuSans-Bold"
FONT_DIRECTORY = Path(__file__).resolve().parent / "fonts"
MARGIN = 0.75 * inch
WIDTH = LETTER[0] - 2 * MARGIN
QR_SIZE = 1.45 * inch
GREY = colors.HexColor("#4A4A4A")
#: The permits table's columns, as shares of the width: permit, authority, number, issued, expires.
COLUMNS = (0.31, 0.23, 0.23, 0.11, 0.12)
CELL_PADDING = 3

#: Every label, in both official languages: the licence is one bilingual document.
L = {
    "title": Text("Consolidated Business Licence", "Licence d'entreprise consolidée"),
    "intro": Text(
        "This licence brings together every permit granted to this business by the federal, provincial "
        "and municipal governments, under one Business Number.",
        "Cette licence regroupe tous les permis accordés à cette entreprise par les gouvernements fédéral, "
        "provincial et municipal, sous un seul numéro d'entreprise.",
    ),
    "licence": Text("Licence", "Licence"),
    "version": Text("Version", "Version"),
    "issued": Text("Issued", "Délivrée"),
    "business_number": Text("Business Number", "Numéro d'entreprise"),
    "program_accounts": Text("Program accounts", "Comptes de programme"),
    "legal_name": Text("Legal name", "Dénomination sociale"),
    "operating_name": Text("Operating name", "Nom commercial"),
    "premises": Text("Premises", "Établissement"),
    "municipality": Text("Municipality", "Municipalité"),
    "permit": Text("Permit", "Permis"),
    "authority": Text("Issuing authority", "Autorité émettrice"),
    "permit_number": Text("Permit number", "Numéro du permis"),
    "permit_issued": Text("Issued", "Délivré"),
    "expires": Text("Expires", "Expiration"),
    "no_expiry": Text("No expiry", "Sans échéance"),
    "conditions": Text("Conditions", "Conditions"),
    "federal": Text("Federal", "Fédéral"),
    "provincial": Text("Provincial", "Provincial"),
    "municipal": Text("Municipal", "Municipal"),
    "signature": Text(f"Digital signature ({ALGORITHM})", f"Signature numérique ({ALGORITHM})"),
    "key": Text("Key", "Clé"),
    "verify": Text(
        "Check that this licence is genuine and in force: scan the QR code or visit",
        "Vérifiez que cette licence est authentique et en vigueur : balayez le code QR ou visitez",
    ),
    "page": Text("Page {page} of {pages}", "Page {page} de {pages}"),
}
NONE = "—"

_registered = False


def register_fonts() -> None:
    """Register the shipped fonts with ReportLab, once per process (the first render pays for it)."""
    global _registered
    if _registered:
        return
    pdfmetrics.registerFont(TTFont(FONT, str(FONT_DIRECTORY / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(BOLD, str(FONT_DIRECTORY / "DejaVuSans-Bold.ttf")))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=BOLD, italic=FONT, boldItalic=BOLD)
    _registered = True


_BASE = ParagraphStyle("base", fontName=FONT, fontSize=8.5, leading=10.5)
_SMALL = ParagraphStyle("small", parent=_BASE, fontSize=7.5, leading=9, textColor=GREY)
_LABEL = ParagraphStyle("label", parent=_BASE, fontName=BOLD)
_TITLE = ParagraphStyle("title", parent=_BASE, fontName=BOLD, fontSize=17, leading=21)
_SUBTITLE = ParagraphStyle("subtitle", parent=_TITLE, fontName=FONT, fontSize=13, leading=17, textColor=GREY)
_HEADING = ParagraphStyle("heading", parent=_LABEL, fontSize=11, leading=14)
_MONO = ParagraphStyle("mono", parent=_BASE, fontSize=7, leading=8.5, wordWrap="CJK")
_NUMBER = ParagraphStyle("number", parent=_BASE, fontSize=7.5)
#: Every table's cells: text at the top, and DejaVu as the cells' own font (a table selects it for
#: each cell, even one holding a paragraph or nothing), so the PDF names no Helvetica it does not embed.
_CELLS = [("VALIGN", (0, 0), (-1, -1), "TOP"), ("FONTNAME", (0, 0), (-1, -1), FONT)]


def both(key: str) -> str:
    """A label as printed: English / French, or once when both languages write it the same."""
    return L[key].en if L[key].en == L[key].fr else f"{L[key].en} / {L[key].fr}"


def _day(moment: str | None) -> str:
    """A date as both languages read it: 2026-11-30."""
    return datetime.fromisoformat(moment).date().isoformat() if moment else NONE


def _text(value: str | None, style: ParagraphStyle = _BASE) -> Paragraph:
    return Paragraph(escape(value or NONE).replace("\n", "<br/>"), style)


def _bilingual(names: Mapping[str, str], style: ParagraphStyle = _BASE) -> list[Paragraph]:
    """The English name, and under it the French one when it differs."""
    cells = [Paragraph(escape(names["en"]), style)]
    if names["fr"] != names["en"]:
        cells.append(Paragraph(escape(names["fr"]), _SMALL))
    return cells


def licence_pdf(content: Mapping[str, Any], *, signature: str, key_id: str, verify_url: str) -> bytes:
    """Draw one licence version from its signed content."""
    register_fonts()
    identity = content["licence"]
    buffer = io.BytesIO()
    document = BaseDocTemplate(
        buffer,
        pagesize=LETTER,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN + 0.35 * inch,
        bottomMargin=MARGIN + 0.2 * inch,
        title=f"{L['title'].en} / {L['title'].fr} — {identity['number']}",
        author="Guichet",
        subject=identity["number"],
        lang="en-CA",
        # Each page starts by selecting the canvas's initial font: DejaVu, not ReportLab's default
        # Helvetica, which the PDF would name without embedding.
        initialFontName=FONT,
    )
    frame = Frame(document.leftMargin, document.bottomMargin, document.width, document.height, id="body")
    document.addPageTemplates([PageTemplate(id="licence", frames=[frame])])
    document.build(
        _story(content, signature, key_id, verify_url), canvasmaker=_page_canvas(identity, verify_url)
    )
    return buffer.getvalue()


def _story(content: Mapping[str, Any], signature: str, key_id: str, verify_url: str) -> list:
    story: list = [
        Paragraph(escape(L["title"].en), _TITLE),
        Paragraph(escape(L["title"].fr), _SUBTITLE),
        Spacer(1, 4),
        Paragraph(escape(L["intro"].en), _BASE),
        Paragraph(escape(L["intro"].fr), _SMALL),
        Spacer(1, 8),
        _business_and_qr(content, verify_url),
    ]
    for level in LEVELS:
        permits = [permit for permit in content["permits"] if permit["level"] == level]
        if permits:
            story.append(_permits_table(level, permits))
    story += [Spacer(1, 12), _signature_block(signature, key_id, verify_url)]
    return story


def _business_and_qr(content: Mapping[str, Any], verify_url: str) -> Table:
    business = content["business"]
    accounts = [
        f"{account} — {PROGRAMS[account.split()[1]].en} / {PROGRAMS[account.split()[1]].fr}"
        if account.split()[1:2] and account.split()[1] in PROGRAMS
        else account
        for account in business["program_accounts"]
    ]
    place = business["municipality"]
    province = business.get("province")
    municipality = f"{place['en']}, {province['en']}" if province else place["en"]
    if province and (place["fr"], province["fr"]) != (place["en"], province["en"]):
        municipality += f" / {place['fr']}, {province['fr']}"
    premises = ", ".join(filter(None, [business["premises_address"], business["postal_code"]]))
    rows = [
        ("business_number", business["business_number"]),
        ("program_accounts", "\n".join(accounts) or None),
        ("legal_name", business["legal_name"]),
        ("operating_name", business["operating_name"]),
        ("premises", premises or None),
        ("municipality", municipality),
    ]
    facts = Table(
        [[Paragraph(escape(both(key)), _LABEL), _text(value)] for key, value in rows],
        colWidths=[1.75 * inch, WIDTH - QR_SIZE - 1.95 * inch],
    )
    facts.setStyle(
        TableStyle(
            [
                *_CELLS,
                ("LEFTPADDING", (0, 0), (0, -1), 0),
                ("LINEBELOW", (0, 0), (-1, -2), 0.25, colors.HexColor("#CCCCCC")),
            ]
        )
    )
    outer = Table(
        [[facts, _qr_code(verify_url)]], colWidths=[WIDTH - QR_SIZE - 0.1 * inch, QR_SIZE + 0.1 * inch]
    )
    outer.setStyle(
        TableStyle(
            [
                *_CELLS,
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return outer


def _qr_code(url: str) -> QrCode:
    """ReportLab's own vector QR code flowable of the verification address, quiet zone included.

    The flowable encodes once and draws straight on the canvas; the QrCodeWidget in a Drawing
    encoded twice and built a shape object per run of modules, a third of the render time.
    """
    return QrCode(url, width=QR_SIZE, height=QR_SIZE, qrLevel="M")


def _permits_table(level: str, permits: list[Mapping[str, Any]]) -> Table:
    """One level's permits under its heading, which repeats with the column header on each page it
    runs onto, so a heading is never left at the foot of a page and every page says which level.

    Each condition is a row of its own, so a permit with many long conditions still breaks
    across pages (one cell taller than a page cannot be drawn); a permit's row is never parted
    from its first condition's.
    """
    header = [
        Paragraph(
            escape(L[key].en)
            + (f"<br/><font color='#4A4A4A'>{escape(L[key].fr)}</font>" if L[key].fr != L[key].en else ""),
            _LABEL,
        )
        for key in ("permit", "authority", "permit_number", "permit_issued", "expires")
    ]
    rows: list[list] = [[Paragraph(escape(both(level)), _HEADING), "", "", "", ""], header]
    commands: list[tuple] = [("SPAN", (0, 0), (-1, 0))]
    for permit in permits:
        first = len(rows)
        rows.append(
            [
                _bilingual(permit["name"], _LABEL),
                _bilingual(permit["authority"]),
                _permit_number(permit["number"]),
                _text(_day(permit["issued_at"])),
                _text(_day(permit["expires_at"]))
                if permit["expires_at"]
                else _text(both("no_expiry"), _SMALL),
            ]
        )
        for index, condition in enumerate(permit["conditions"]):
            label = f"<b>{escape(both('conditions'))}</b><br/>" if index == 0 else ""
            rows.append([Paragraph(f"{label}• {escape(condition)}", _BASE), "", "", "", ""])
            commands.append(("SPAN", (0, len(rows) - 1), (-1, len(rows) - 1)))
            if index:
                commands.append(("TOPPADDING", (0, len(rows) - 1), (-1, len(rows) - 1), 0))
        commands.append(("NOSPLIT", (0, first), (-1, min(first + 1, len(rows) - 1))))
        commands.append(
            ("LINEBELOW", (0, len(rows) - 1), (-1, len(rows) - 1), 0.25, colors.HexColor("#BBBBBB"))
        )
    table = Table(rows, colWidths=[WIDTH * share for share in COLUMNS], repeatRows=2)
    table.setStyle(
        TableStyle(
            [
                *_CELLS,
                ("LEFTPADDING", (0, 0), (-1, -1), CELL_PADDING),
                ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING),
                ("LEFTPADDING", (0, 0), (0, 0), 0),
                ("TOPPADDING", (0, 0), (0, 0), 10),
                ("BOTTOMPADDING", (0, 0), (0, 0), 4),
                ("BACKGROUND", (0, 1), (-1, 1), colors.HexColor("#ECEFF3")),
                ("LINEBELOW", (0, 1), (-1, 1), 0.75, colors.black),
                *commands,
            ]
        )
    )
    return table


def _permit_number(number: str) -> Paragraph:
    """A permit number on one line when it fits, else broken only after a hyphen
    (ON-FOOD-HANDLER-/000006): a paragraph breaks only at spaces, and would cut it anywhere."""
    room = WIDTH * COLUMNS[2] - 2 * CELL_PADDING
    lines = [""]
    for part in re.findall(r"[^-]*-|[^-]+$", number):  # "ON-", "FOOD-", "HANDLER-", "000006"
        if lines[-1] and pdfmetrics.stringWidth(lines[-1] + part, FONT, _NUMBER.fontSize) > room:
            lines.append(part)
        else:
            lines[-1] += part
    return Paragraph("<br/>".join(escape(line) for line in lines), _NUMBER)


def _signature_block(signature: str, key_id: str, verify_url: str) -> Table:
    rows = [
        [Paragraph(escape(both("signature")), _LABEL), Paragraph(escape(signature), _MONO)],
        [Paragraph(escape(both("key")), _LABEL), _text(key_id)],
        [
            Paragraph(escape(f"{L['verify'].en} / {L['verify'].fr}"), _SMALL),
            Paragraph(escape(verify_url), _BASE),
        ],
    ]
    table = Table(rows, colWidths=[2.4 * inch, WIDTH - 2.4 * inch])
    table.setStyle(
        TableStyle(
            [
                *_CELLS,
                ("BOX", (0, 0), (-1, -1), 0.5, colors.HexColor("#999999")),
                ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#F7F7F7")),
                ("NOSPLIT", (0, 0), (-1, -1)),  # moved whole to the next page rather than cut
            ]
        )
    )
    return table


def _page_canvas(identity: Mapping[str, Any], verify_url: str) -> type[Canvas]:
    """A canvas putting the licence's number, version and issue date at the top of each page and
    "Page X of Y" at the bottom, once the count is known."""
    top = f"{both('licence')} {identity['number']}  ·  {both('version')} {identity['version']}  ·  "
    top += f"{both('issued')} {_day(identity['issued_at'])}"
    label = f"{L['page'].en} / {L['page'].fr}"

    def decorate(canvas: Canvas, number: int, pages: int) -> None:
        width, height = LETTER
        canvas.setFillColor(colors.black)
        canvas.setFont(BOLD, 8)
        canvas.drawString(MARGIN, height - MARGIN, "Guichet")
        canvas.setFont(FONT, 8)
        canvas.drawRightString(width - MARGIN, height - MARGIN, top)
        canvas.setStrokeColor(colors.HexColor("#999999"))
        canvas.line(MARGIN, height - MARGIN - 5, width - MARGIN, height - MARGIN - 5)
        canvas.setFont(FONT, 7.5)
        canvas.drawString(MARGIN, MARGIN - 2, verify_url)
        canvas.drawRightString(width - MARGIN, MARGIN - 2, label.format(page=number, pages=pages))

    return numbered_canvas(decorate)
