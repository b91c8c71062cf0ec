"""Renewing permits in the browser: pick the permits, change what changed, pay the renewal fees.

The renewal page is the application's form cut down to what the renewable permits need,
filled with what the applicant already gave; only fields they change are sent on. Paying
reuses the payment page's simulated cards, with a fresh Idempotency-Key per render.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from app.apply import apply
from app.apply.access import locked_application, read_application
from app.apply.forms import SHOWN, application_form
from app.apply.payment_views import TEST_CARD_LABELS, pay_from_card_form
from app.auth import limiter, payment_limit
from app.db import db_session, transaction
from app.i18n import current_language
from workflows.applications import ApplicationError
from workflows.applications.store import chain_of
from workflows.db import utcnow
from workflows.models import Application
from workflows.renewals.eligibility import renewable_permits
from workflows.renewals.errors import RenewalInProgress
from workflows.renewals.start import open_renewal, renewal_form, renewal_invoice, start_renewal


@apply.context_processor
def renewal_helpers() -> dict[str, Any]:
    """`renewable_now(application)` for the dashboard: the permits that can be renewed today."""
    return {"renewable_now": _renewable_now}


def _renewable_now(application: Application) -> list[str]:
    if application.submitted_at is None:
        return []
    return [item.permit.code for item in renewable_permits(db_session(), application, now=utcnow())]


@apply.route("/applications/<int:application_id>/renewal", methods=["GET", "POST"])
@login_required
def renewal(application_id: int):
    """The permits renewable now, their expiry and fee, and the fields they need, prefilled."""
    application = read_application(application_id)
    now = utcnow()
    offer = renewal_form(db_session(), application, now=now)
    if offer.open is not None:
        return redirect(url_for("apply.renewal_payment", application_id=application_id))
    language = current_language()
    values = {**application.form_values}
    if request.method != "POST":
        form = application_form(offer.fields, language, values=values)
        chosen = [item.permit.code for item in offer.renewable]
        return _page(application, offer, form, chosen, now)

    form = application_form(offer.fields, language, formdata=request.form)
    typed = form.values(request.form.get(SHOWN))
    changes = {field_id: value for field_id, value in typed.items() if value != values.get(field_id)}
    chosen = request.form.getlist("permits")
    try:
        with transaction() as session:
            started = start_renewal(
                session,
                locked_application(session, application_id),
                changes=changes,
                permit_codes=chosen,
                user_id=application.owner_id,
                now=now,
            )
    except ApplicationError as error:
        form.place_errors(error.errors, language)
        return _page(application, offer, form, chosen, now, status=422)
    except RenewalInProgress as error:
        flash(error.message.in_(language))
        return redirect(url_for("apply.renewal_payment", application_id=application_id))
    if started.completed_at is not None:
        flash(_("Your permits are renewed, with nothing to pay. A new version of your licence is issued."))
        return redirect(url_for("apply.dashboard", application_id=application_id))
    return redirect(url_for("apply.renewal_payment", application_id=application_id))


def _page(application: Application, offer, form, chosen: list[str], now: datetime, status: int = 200):
    return render_template(
        "apply/renewal.html",
        application=application,
        offer=offer,
        form=form,
        chosen=set(chosen),
        now=now,
        language=current_language(),
    ), status


@apply.route("/applications/<int:application_id>/renewal/payment", methods=["GET", "POST"])
@login_required
@limiter.limit(payment_limit, methods=["POST"])
def renewal_payment(application_id: int):
    """The open renewal's bill and its one payment; with no renewal open, back to the renewal page."""
    application = read_application(application_id)
    problem = None
    if request.method == "POST":

        def nothing_to_pay(session) -> Response | None:  # the renewal was paid meanwhile
            if open_renewal(session, application_id) is None:
                return redirect(url_for("apply.renewal", application_id=application_id))
            return None

        done, problem = pay_from_card_form(
            application_id,
            paid=_("Thank you: your permits are renewed and a new version of your licence is issued."),
            now=utcnow(),
            unless=nothing_to_pay,
        )
        if done is not None:
            return done
    session = db_session()
    pending = open_renewal(session, application_id)
    if pending is None:
        return redirect(url_for("apply.renewal", application_id=application_id))
    chain = chain_of(session, application)
    return render_template(
        "apply/renewal_payment.html",
        application=application,
        renewal=pending,
        invoice=renewal_invoice(session, pending.id),
        permits={permit.code: permit for permit in chain.permits},
        fields=chain.fields,
        language=current_language(),
        problem=problem,
        cards=TEST_CARD_LABELS,
        key=secrets.token_urlsafe(16),
    ), (422 if problem else 200)
