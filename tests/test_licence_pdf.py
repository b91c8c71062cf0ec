"""The licence PDF read back as a reader's software reads it: every fact on the page, in both
languages, the header and "Page X of Y" on every page, embedded fonts, and a QR code that a real
decoder (zxing-cpp) turns back into the verification address. Then the signature it prints:
content changed by one character, or signed by another key, does not verify.
"""

from __future__ import annotations

import copy
import io
import re
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

import pypdf
import pypdfium2
import pytest
import zxingcpp
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from licences.business_number import PROGRAMS
from licences.issuance import latest_licence
from licences.models import Licence
from licences.pdf import licence_pdf
from licences.signing import KeyRing, key_ring
from licences.verification import verify_licence
from tests.answer_sets import TORONTO_FULL, TORONTO_FULL_PERMITS
from tests.factories import NOW, approve_every_step, draft_application, user
from workflows.applications import consent_requests, give_consent, save_form, submit
from workflows.applications.store import chain_of
from workflows.payments import SimulatedGateway, pay

LEVEL_HEADINGS = {"federal": "Federal / Fédéral", "provincial": "Provincial", "municipal": "Municipal"}
CONDITIONS = {
    "TO-EATING": ["Température du réfrigérateur à 4 °C au plus.", "Réinspection à l'ouverture du patio."],
    "ON-AGCO": ["Service d'alcool sur la terrasse jusqu'à 23 h; aucune musique amplifiée."],
}
FORM = {
    "legal_name": "Café Ça Va Inc.",
    "operating_name": "Ça Va & Fils <Bistro> — Crêperie",
    "premises_address": "300 Queen St W, unité 2 (entrée côté cour)",
    "premises_postal_code": "M5V 3L9",
}
PAGE = re.compile(r"Page (\d+) of (\d+) / Page (\d+) de (\d+)")


# ---------------------------------------------------------------------------------------------
# Reading a PDF back
# ---------------------------------------------------------------------------------------------


def flat(text: str) -> str:
    """Text with every run of white space as one space: lines wrap wherever the layout puts them."""
    return " ".join(text.split())


def page_texts(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages]


def fonts_of(resources: Any) -> Iterator[Any]:
    """Every font a page's resources name, those of its form XObjects included."""
    resources = resources.get_object() if resources is not None else {}
    yield from (font.get_object() for font in resources.get("/Font", {}).values())
    for xobject in resources.get("/XObject", {}).values():
        xobject = xobject.get_object()
        if xobject.get("/Subtype") == "/Form":
            yield from fonts_of(xobject.get("/Resources"))


def qr_codes(pdf: bytes, page: int = 0) -> list[zxingcpp.Barcode]:
    """The QR codes zxing-cpp finds on a page rendered at about 200 dpi."""
    image = pypdfium2.PdfDocument(pdf)[page].render(scale=200 / 72).to_pil()
    return [code for code in zxingcpp.read_barcodes(image) if code.format == zxingcpp.BarcodeFormat.QRCode]


def check_pages(texts: list[str], number: str, version: int, issued: str) -> None:
    """Every page carries the licence's number, version and issue date, and its own 'Page X of Y'."""
    header = f"Licence {number} · Version {version} · Issued / Délivrée {issued}"
    for index, text in enumerate(texts, 1):
        assert header in flat(text), f"page {index} has no header"
        numbers = [tuple(map(int, found)) for found in PAGE.findall(text)]
        assert numbers == [(index, len(texts), index, len(texts))], f"page {index}: {numbers}"


def day(moment: str | None) -> str:
    return datetime.fromisoformat(moment).date().isoformat() if moment else "No expiry / Sans échéance"


def printed(number: str) -> re.Pattern[str]:
    """A permit number as printed: a long one breaks after a hyphen (ON-FOOD-HANDLER-/000006)."""
    return re.compile(r"-\s?".join(re.escape(part) for part in number.split("-")))


def check_permits(texts: list[str], permits: list[dict[str, Any]]) -> None:
    """Each permit under its level's heading, with its names, authority, number, dates and conditions.

    Cells are drawn row by row, so a permit's names and authority come between the previous
    permit's number and its own, and its dates and conditions between its number and the next.
    """
    document = flat(" ".join(texts))
    found = [list(printed(permit["number"]).finditer(document)) for permit in permits]
    assert [len(matches) for matches in found] == [1] * len(permits), "each permit number once"
    spans = [matches[0].span() for matches in found]
    assert spans == sorted(spans), "permits are not printed in the licence's order"
    for index, permit in enumerate(permits):
        before = document[spans[index - 1][1] if index else 0 : spans[index][0]]
        after = document[spans[index][1] : spans[index + 1][0] if index + 1 < len(spans) else len(document)]
        for names in (permit["name"], permit["authority"]):
            assert names["en"] in before, (permit["code"], names["en"])
            assert names["fr"] in before, (permit["code"], names["fr"])
        assert after.startswith(f" {day(permit['issued_at'])} {day(permit['expires_at'])}"), permit["code"]
        for condition in permit["conditions"]:
            assert f"• {condition}" in after, (permit["code"], condition)
        assert ("Conditions •" in after) == bool(permit["conditions"]), permit["code"]
    # On every page, the heading nearest above a permit is its level's (headings repeat when a
    # level runs onto another page).
    level_of = {heading: level for level, heading in LEVEL_HEADINGS.items()}
    for page, text in enumerate(texts, 1):
        headings = [
            (match.start(), level_of[match.group()])
            for match in re.finditer("^(" + "|".join(map(re.escape, level_of)) + ")$", text, re.M)
        ]
        for permit in permits:
            for match in printed(permit["number"]).finditer(text):
                above = [level for position, level in headings if position < match.start()]
                assert above, f"page {page}: {permit['number']} has no heading above it"
                assert above[-1] == permit["level"], f"page {page}: {permit['number']} under {above[-1]}"


def check_fonts(pdf: bytes) -> None:
    """Every font the pages use is embedded as a TrueType font file (DejaVu), none only named."""
    seen = set()
    for page in pypdf.PdfReader(io.BytesIO(pdf)).pages:
        for font in fonts_of(page.get("/Resources")):
            name = str(font["/BaseFont"])
            descriptor = font.get("/FontDescriptor")
            assert descriptor is not None, f"{name} is not embedded"
            assert "/FontFile2" in descriptor.get_object(), f"{name} has no embedded TrueType program"
            assert "/ToUnicode" in font, f"{name} has no ToUnicode map: its text could not be copied"
            seen.add(name.split("+")[-1])
    assert seen == {"DejaVuSans", "DejaVuSans-Bold"}


# ---------------------------------------------------------------------------------------------
# A real licence, issued by the engine
# ---------------------------------------------------------------------------------------------


def issued_licence(session) -> tuple[Any, Licence]:
    """A Toronto restaurant's licence, issued by the clerks' last approval, with accents, an
    ampersand and angle brackets in the names and conditions on two permits."""
    owner = user(session)
    application, _ = draft_application(session, owner, TORONTO_FULL)
    save_form(session, application, FORM)
    agencies = [request.agency_code for request in consent_requests(session, application)]
    give_consent(session, application, agencies, user_id=owner.id, now=NOW)
    submit(session, application, user_id=owner.id, now=NOW)
    paid = pay(
        session,
        application,
        idempotency_key=f"licence-pdf-{application.id}",
        card_token="tok_approved",
        gateway=SimulatedGateway(),
        now=NOW,
    )
    assert paid.payment.status == "succeeded"
    approve_every_step(session, application, conditions=CONDITIONS)
    licence = latest_licence(session, application.id)
    assert licence is not None
    return application, licence


@pytest.mark.money
def test_the_pdf_prints_every_fact_of_the_signed_licence(db_session):
    application, licence = issued_licence(db_session)
    content = licence.content
    verify_url = f"https://guichet.example.ca/verify/{licence.number}"
    pdf = licence_pdf(content, signature=licence.signature, key_id=licence.key_id, verify_url=verify_url)
    texts = page_texts(pdf)
    document = flat(" ".join(texts))

    # The content is what the application and its pinned packs say.
    business = content["business"]
    assert (
        business["legal_name"] == FORM["legal_name"] and business["operating_name"] == FORM["operating_name"]
    )
    assert business["business_number"] == application.business_number
    assert len(business["program_accounts"]) == 2
    chain = chain_of(db_session, application)
    packs = {permit.code: permit for permit in chain.permits}
    assert {permit["code"] for permit in content["permits"]} == TORONTO_FULL_PERMITS
    for permit in content["permits"]:
        pack = packs[permit["code"]]
        assert (permit["name"], permit["level"]) == ({"en": pack.name.en, "fr": pack.name.fr}, pack.level)
        assert permit["authority"]["en"] == pack.agency.name.en
        assert permit["authority"]["fr"] == pack.agency.name.fr
        assert permit["conditions"] == CONDITIONS.get(permit["code"], [])
    assert any(p["expires_at"] for p in content["permits"]) and not all(
        p["expires_at"] for p in content["permits"]
    )

    # The business, each fact after its label.
    assert f"Business Number / Numéro d'entreprise {application.business_number}" in document
    for account in business["program_accounts"]:
        program = PROGRAMS[account.split()[1]]
        assert f"{account} — {program.en} / {program.fr}" in document
    assert f"Legal name / Dénomination sociale {FORM['legal_name']}" in document
    assert f"Operating name / Nom commercial {FORM['operating_name']}" in document  # & and < as typed
    assert f"Premises / Établissement {FORM['premises_address']}, {FORM['premises_postal_code']}" in document
    assert "Municipality / Municipalité Toronto, Ontario" in document
    assert "&amp;" not in document and "&lt;" not in document

    # Every permit, grouped by level, with its conditions; the signature and key.
    check_permits(texts, content["permits"])
    assert "Température du réfrigérateur à 4 °C au plus." in document  # accents and ° survive
    assert f"Key / Clé {licence.key_id}" in document
    assert licence.signature in document.replace(" ", "")  # wrapped anywhere in the mono cell
    assert document.count(verify_url) == len(texts) + 1  # each page's foot and the signature box

    issued = licence.issued_at.date().isoformat()
    assert content["licence"] == {
        "number": licence.number,
        "version": 1,
        "issued_at": licence.issued_at.isoformat(),
    }
    check_pages(texts, licence.number, 1, issued)
    assert len(texts) >= 2  # 13 permits do not fit on one page
    check_fonts(pdf)
    metadata = pypdf.PdfReader(io.BytesIO(pdf)).metadata
    assert licence.number in metadata.title and metadata.subject == licence.number

    (code,) = qr_codes(pdf)
    assert code.text == verify_url
    assert qr_codes(pdf, page=len(texts) - 1) == []  # once, on the first page


@pytest.mark.money
def test_a_real_licence_edited_or_signed_with_another_key_does_not_verify(db_session):
    _, licence = issued_licence(db_session)
    assert key_ring().verify(licence.content, licence.signature, licence.key_id)

    # A copy of the stored content with one condition's accent dropped.
    edited = copy.deepcopy(licence.content)
    condition = next(p for p in edited["permits"] if p["code"] == "TO-EATING")["conditions"]
    condition[0] = condition[0].replace("Température", "Temperature")
    assert not key_ring().verify(edited, licence.signature, licence.key_id)

    # The same licence as the engine checks it, against a key ring that is not the service's.
    stranger = KeyRing(Ed25519PrivateKey.generate())
    assert verify_licence(db_session, licence, now=NOW).signature_valid
    assert not verify_licence(db_session, licence, now=NOW, keys=stranger).signature_valid
    # Re-signed by that other key, and claiming to be the service's key: refused either way.
    forged = stranger.sign(edited)
    assert not key_ring().verify(edited, forged.value, forged.key_id)
    assert not key_ring().verify(edited, forged.value, licence.key_id)


# ---------------------------------------------------------------------------------------------
# Layout edge cases, drawn from content built here (no database)
# ---------------------------------------------------------------------------------------------

AUTHORITIES = {
    "federal": {"code": "CRA", "en": "Canada Revenue Agency", "fr": "Agence du revenu du Canada"},
    "provincial": {
        "code": "AGCO",
        "en": "Alcohol & Gaming Commission of Ontario",
        "fr": "Commission des alcools et des jeux de l'Ontario",
    },
    "municipal": {
        "code": "TO-MLS",
        "en": "Toronto Municipal Licensing & Standards",
        "fr": "Permis et normes municipaux de Toronto",
    },
}


def built_content(permits: list[dict[str, Any]], **business: Any) -> dict[str, Any]:
    """A licence's content in the shape licences.content makes it."""
    return {
        "format": 1,
        "business": {
            "business_number": "123456782",
            "program_accounts": ["123456782 RP 0001", "123456782 RT 0001"],
            "legal_name": "Café Ça Va Inc.",
            "operating_name": "Café Ça Va",
            "premises_address": "300 Queen St W",
            "postal_code": "M5V 3L9",
            "municipality": {"code": "3520005", "en": "Toronto", "fr": "Toronto"},
            "province": {"code": "CA-ON", "en": "Ontario", "fr": "Ontario"},
            **business,
        },
        "permits": permits,
        "licence": {"number": "GL-7K3M9QXD2H-3", "version": 3, "issued_at": "2026-11-26T15:00:00+00:00"},
    }


def built_permit(
    index: int, level: str, conditions: Sequence[str] = (), code: str | None = None, **fields: Any
) -> dict[str, Any]:
    code = code or f"P{index}"
    return {
        "code": code,
        "number": f"{code}-{index:06d}",
        "level": level,
        "name": {"en": f"Permit {index} <&> for food premises", "fr": f"Permis {index} <&> pour locaux"},
        "authority": AUTHORITIES[level],
        "conditions": list(conditions),
        "issued_at": "2026-11-26T15:00:00+00:00",
        "expires_at": "2027-11-26T15:00:00+00:00" if index % 2 else None,
        **fields,
    }


def render(content: dict[str, Any], url: str = "https://guichet.example.ca/verify/GL-7K3M9QXD2H-3") -> bytes:
    return licence_pdf(
        content, signature="c2lnbmF0dXJl" * 7 + "AA==", key_id="0123456789abcdef", verify_url=url
    )


def test_forty_permits_with_long_conditions_run_onto_more_pages_numbered_right():
    long_condition = " ".join(["Le réfrigérateur reste à 4 °C & la hotte est nettoyée <chaque> semaine."] * 7)
    long_condition = long_condition[:500].rsplit(" ", 1)[0]
    assert 480 <= len(long_condition) <= 500  # the longest a clerk may give
    levels = ["federal"] * 6 + ["provincial"] * 10 + ["municipal"] * 24
    permits = [
        built_permit(
            i,
            level,
            [long_condition] if i % 5 == 0 else (["Affiché à l'entrée."] if i % 3 == 0 else []),
            # Numbers too long for their column break after a hyphen, never inside a part.
            code=f"TO-CAFETO-SIDEWALK-PATIO{i}" if i % 8 == 7 else None,
        )
        for i, level in enumerate(levels)
    ]
    content = built_content(permits, operating_name="Ça Va & Fils <Bistro>")
    pdf = render(content)
    texts = page_texts(pdf)

    assert len(texts) >= 5
    check_pages(texts, "GL-7K3M9QXD2H-3", 3, "2026-11-26")
    check_permits(texts, permits)
    assert "Operating name / Nom commercial Ça Va & Fils <Bistro>" in flat(" ".join(texts))
    check_fonts(pdf)
    (code,) = qr_codes(pdf)
    assert code.text == "https://guichet.example.ca/verify/GL-7K3M9QXD2H-3"


def test_a_permit_with_the_most_and_longest_conditions_still_renders_across_pages():
    # 20 conditions of 500 characters (the most one approval may give) are taller than a page.
    conditions = [
        f"{n:02d} " + ("Température contrôlée à 4 °C, registre tenu chaque jour. " * 9)[:496]
        for n in range(20)
    ]
    permits = [
        built_permit(0, "federal"),
        built_permit(1, "municipal", conditions),
        built_permit(2, "municipal"),
    ]
    texts = page_texts(render(built_content(permits)))

    assert len(texts) >= 3
    check_pages(texts, "GL-7K3M9QXD2H-3", 3, "2026-11-26")
    check_permits(texts, permits)
    # The permit is not parted from its first condition: both on the same page.
    (page,) = [text for text in texts if "P1-000001" in text]
    assert "• 00 Température" in page


@pytest.mark.parametrize("federal", [1, 2, 3, 4, 5, 6])
def test_a_level_heading_is_never_left_alone_at_the_foot_of_a_page(federal):
    # As the federal table grows, the provincial heading falls at every height of page 1.
    permits = [built_permit(i, "federal", ["Tenir le registre à jour."] * (i % 2)) for i in range(federal)]
    permits += [built_permit(10 + i, "provincial", ["Aucune vente après 23 h."]) for i in range(4)]
    texts = page_texts(render(built_content(permits)))
    for text in texts:
        for heading in re.finditer("^(Federal / Fédéral|Provincial)$", text, re.M):
            assert re.search(r"P\d+-\d{6}", text[heading.end() :]), f"{heading.group()} alone on a page"
    check_permits(texts, permits)


def test_a_licence_of_one_permit_is_one_page_with_its_qr_code():
    url = "https://guichet.example.ca/verify/GL-7K3M9QXD2H-3?lang=fr&source=qr"
    pdf = render(built_content([built_permit(1, "municipal")], program_accounts=[]), url)
    texts = page_texts(pdf)
    check_pages(texts, "GL-7K3M9QXD2H-3", 3, "2026-11-26")
    assert len(texts) == 1
    assert "Program accounts / Comptes de programme —" in flat(texts[0])
    (code,) = qr_codes(pdf)
    assert code.text == url


# ---------------------------------------------------------------------------------------------
# Signatures, at the engine level
# ---------------------------------------------------------------------------------------------


def test_content_changed_anywhere_fails_verification_and_key_order_does_not_matter():
    ring = KeyRing(Ed25519PrivateKey.generate())
    content = built_content(
        [built_permit(1, "municipal", ["Température à 4 °C."]), built_permit(2, "federal")]
    )
    signature = ring.sign(content)
    assert ring.verify(content, signature.value, signature.key_id)
    reordered = {key: content[key] for key in reversed(list(content))}
    assert list(reordered) != list(content) and ring.verify(reordered, signature.value, signature.key_id)

    def changed(edit) -> dict[str, Any]:
        copied = copy.deepcopy(content)
        edit(copied)
        return copied

    edits = {
        "an accent": lambda c: c["permits"][0]["conditions"].__setitem__(0, "Temperature à 4 °C."),
        "the legal name": lambda c: c["business"].__setitem__("legal_name", "Café Ça Va Inc"),
        "an expiry by a second": lambda c: c["permits"][0].__setitem__(
            "expires_at", "2027-11-26T15:00:01+00:00"
        ),
        "a permit dropped": lambda c: c["permits"].pop(),
        "the permits' order": lambda c: c["permits"].reverse(),
        "the version": lambda c: c["licence"].__setitem__("version", 4),
        "a key added": lambda c: c["business"].__setitem__("note", None),
        "a condition added": lambda c: c["permits"][1]["conditions"].append("Aucune."),
    }
    for name, edit in edits.items():
        assert not ring.verify(changed(edit), signature.value, signature.key_id), name


def test_a_signature_by_another_key_fails_unless_that_key_is_trusted():
    ours, theirs = KeyRing(Ed25519PrivateKey.generate()), KeyRing(Ed25519PrivateKey.generate())
    content = built_content([built_permit(1, "municipal")])
    foreign = theirs.sign(content)
    assert theirs.verify(content, foreign.value, foreign.key_id)
    assert not ours.verify(content, foreign.value, foreign.key_id)  # a key id we do not know
    assert not ours.verify(content, foreign.value, ours.key_id)  # passed off as ours
    # Trusting their public key (as a retired key of ours) is what would make it verify.
    assert KeyRing(Ed25519PrivateKey.generate(), [theirs.public_key]).verify(
        content, foreign.value, foreign.key_id
    )
