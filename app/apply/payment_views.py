"""The invoice and the one payment, in the browser.

Each render of the payment page carries a fresh Idempotency-Key, so a double click or a
resent form pays once: the second request finds the first payment and shows its result.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_login import login_required
from sqlalchemy.orm import Session

from app.apply import apply
from app.apply.access import locked_application, read_application
from app.auth import limiter, payment_limit
from app.db import db_session, transaction
from app.i18n import current_language
from app.payments import payment_gateway
from workflows.applications.store import chain_of
from workflows.db import utcnow
from workflows.payments import PaymentRefused, invoice_of, pay, refunds_by_line
from workflows.payments.gateway import TEST_CARDS

#: What the simulated processor's test cards are called on the page (a real processor's own
#: card form would give the token instead).
TEST_CARD_LABELS = {
    "tok_approved": lazy_gettext("Test card: approved"),
    "tok_declined": lazy_gettext("Test card: declined"),
    "tok_insufficient_funds": lazy_gettext("Test card: insufficient funds"),
    "tok_processor_error": lazy_gettext("Test card: the processor does not answer"),
}
DECLINED = {
    "card_declined": lazy_gettext("The card was declined. Try another card."),
    "insufficient_funds": lazy_gettext("The card was declined for insufficient funds. Try another card."),
    "invalid_card_token": lazy_gettext("This card token is not valid. Enter the card again."),
    "processor_error": lazy_gettext("The card processor did not answer. Try again."),
}


@apply.route("/applications/<int:application_id>/payment", methods=["GET", "POST"])
@login_required
@limiter.limit(payment_limit, methods=["POST"])
def payment(application_id: int):
    application = read_application(application_id)
    problem = None
    if request.method == "POST":
        done, problem = pay_from_card_form(
            application_id,
            paid=_("Thank you: your fees are paid. Each agency now processes its permits."),
            now=utcnow(),
        )
        if done is not None:
            return done
    return _page(application, problem)


def pay_from_card_form(
    application_id: int,
    *,
    paid: str,
    now: datetime,
    unless: Callable[[Session], Response | None] | None = None,
) -> tuple[Response | None, str | None]:
    """Take a posted card form: (where to go next, None), or (None, the problem to show on the page).

    One transaction locks the application and pays its due bill with the form's key. `unless`
    may answer instead, under that lock (the renewal page when no renewal is open any more).
    """
    token, key = request.form.get("card_token", ""), request.form.get("key", "")
    try:
        with transaction() as session:
            locked = locked_application(session, application_id)
            if unless is not None and (elsewhere := unless(session)) is not None:
                return elsewhere, None
            if token not in TEST_CARDS or not key:
                return None, _("Choose a card.")
            outcome = pay(
                session,
                locked,
                idempotency_key=key,
                card_token=token,
                gateway=payment_gateway(),
                now=now,
            )
    except PaymentRefused as refusal:
        flash(refusal.message.in_(current_language()))
        return redirect(url_for("apply.dashboard", application_id=application_id)), None
    if outcome.payment.status == "succeeded":
        flash(paid)
        return redirect(url_for("apply.dashboard", application_id=application_id)), None
    return None, str(DECLINED.get(outcome.payment.decline_code, DECLINED["card_declined"]))


def _page(application, problem: str | None):
    session = db_session()
    invoice = invoice_of(session, application.id)
    if invoice is None:
        flash(_("Submit the application first: the invoice is made on submission."))
        return redirect(url_for("apply.dashboard", application_id=application.id))
    language = current_language()
    permits = {permit.code: permit for permit in chain_of(session, application).permits}
    refunds = refunds_by_line(session, invoice)
    return render_template(
        "apply/payment.html",
        application=application,
        invoice=invoice,
        permits=permits,
        refunds=refunds,
        language=language,
        problem=problem,
        cards=TEST_CARD_LABELS,
        key=secrets.token_urlsafe(16),
    ), (422 if problem else 200)


@apply.get("/applications/<int:application_id>/receipt.pdf")
@login_required
def receipt(application_id: int):
    """The receipt of the one payment, in the applicant's language, once the invoice is paid."""
    # ReportLab (8 MB) is loaded by the first PDF a worker draws, not by every worker at start.
    from workflows.payments.receipt import ReceiptUnavailable, render_receipt

    application = read_application(application_id)
    try:
        pdf = render_receipt(db_session(), application, current_language())
    except ReceiptUnavailable:
        flash(_("The receipt is available once the fees are paid."))
        return redirect(url_for("apply.payment", application_id=application_id))
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="receipt-{application.id}.pdf"'
    return response
