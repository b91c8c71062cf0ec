"""The consolidated licence for its owner: the PDF of the version in force."""

from __future__ import annotations

from flask import Response, flash, redirect, url_for
from flask_login import login_required

from app.apply import apply
from app.apply.access import read_application
from app.db import db_session
from app.i18n import current_language
from app.verify import verify_url
from licences.documents import LicenceUnavailable, file_name, licence_document, licence_to_download


@apply.get("/applications/<int:application_id>/licence.pdf")
@login_required
def licence(application_id: int):
    application = read_application(application_id)
    try:
        found = licence_to_download(db_session(), application)
    except LicenceUnavailable as error:
        flash(error.message.in_(current_language()))
        return redirect(url_for("apply.dashboard", application_id=application_id))
    return pdf_response(licence_document(found, verify_url(found.number)), file_name(found))


def pdf_response(pdf: bytes, name: str) -> Response:
    """A licence to keep: downloaded, and stored by no shared cache."""
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
