"""The licence as the applicant downloads it: the newest version, drawn from its signed content."""

from __future__ import annotations

from sqlalchemy.orm import Session

from licences.issuance import latest_licence
from licences.models import Licence
from workflows.models import Application
from workflows.text import Text

NOT_ISSUED = Text(
    "There is no licence yet: it is issued once every permit of the application is approved.",
    "Il n'y a pas encore de licence : elle est délivrée une fois tous les permis de la demande approuvés.",
)
REVOKED = Text(
    "This licence was revoked: it can no longer be downloaded.",
    "Cette licence a été révoquée : elle ne peut plus être téléchargée.",
)


class LicenceUnavailable(Exception):
    """Asked for the licence of an application that has none in force."""

    def __init__(self, message: Text):
        self.message = message
        super().__init__(message.en)


def licence_to_download(session: Session, application: Application) -> Licence:
    """The newest version of the application's licence; LicenceUnavailable before issue or once revoked."""
    licence = latest_licence(session, application.id)
    if licence is None:
        raise LicenceUnavailable(NOT_ISSUED)
    if licence.revoked_at is not None:
        raise LicenceUnavailable(REVOKED)
    return licence


def licence_document(licence: Licence, verify_url: str) -> bytes:
    """The PDF of one licence version; `verify_url` is its public verification page, put in the QR code."""
    # ReportLab (8 MB) is loaded by the first PDF a worker draws, not by every worker at start.
    from licences.pdf import licence_pdf

    return licence_pdf(
        licence.content, signature=licence.signature, key_id=licence.key_id, verify_url=verify_url
    )


def file_name(licence: Licence) -> str:
    return f"licence-{licence.number}.pdf"
