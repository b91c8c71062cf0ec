"""The payment receipt over the API: a PDF for the application's owner, once the invoice is paid.

Another account's application answers 404 exactly like one that does not exist, as every
application route does, so ids reveal nothing.
"""

from __future__ import annotations

from flask import Response

from app.api import api
from app.api.errors import field_errors
from app.api.ownership import read_own_application
from app.auth import api_user_required
from app.db import db_session
from app.i18n import current_language


@api.get("/v1/applications/<int:application_id>/receipt.pdf")
@api_user_required
def get_receipt(application_id: int):
    # ReportLab (8 MB) is loaded by the first PDF a worker draws, not by every worker at start.
    from workflows.payments.receipt import ReceiptUnavailable, render_receipt

    session = db_session()
    application = read_own_application(application_id)
    language = current_language()
    try:
        pdf = render_receipt(session, application, language)
    except ReceiptUnavailable as error:
        return field_errors(409, [(None, error.message.in_(language))])
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="receipt-{application.id}.pdf"'
    return response
