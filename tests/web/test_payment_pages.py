"""The invoice and payment page: shown before payment, one payment per page, declines explained."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from tests.answer_sets import TORONTO_PLAIN
from tests.factories import user
from tests.web.conftest import sign_in
from tests.web.test_apply_pages import new_application, page_of, submitted_application
from workflows.payments import invoice_of, verify
from workflows.triage import format_cents

pytestmark = pytest.mark.money


def hidden(page: str, name: str) -> str:
    return re.search(rf'name="{name}" value="([^"]+)"', page).group(1)


def test_the_invoice_lists_each_permit_with_its_agency_before_payment(client, account, db_session):
    application = submitted_application(db_session, account)
    sign_in(client, account.email)
    page = page_of(client.get(f"/applications/{application.id}/payment"))
    assert application.business_number in page
    assert 'id="line-TO-CAFETO"' in page and "20 \u00d7 $132.42" in page
    assert f'id="invoice-total">{format_cents(666_370, "en")}' in page
    assert "Pay $6,663.70" in page
    dashboard = page_of(client.get(f"/applications/{application.id}"))
    assert f'href="/applications/{application.id}/payment">Pay the fees' in dashboard


def test_paying_once_moves_the_permits_on_and_a_resent_form_pays_nothing_more(
    app, client, account, db_session
):
    browser = client  # CSRF is off here: the shared test context would keep one token (see test_apply_pages)
    application = submitted_application(db_session, account)
    sign_in(browser, account.email)
    page = page_of(browser.get(f"/applications/{application.id}/payment"))
    form = {"key": hidden(page, "key"), "card_token": "tok_approved"}
    paid = browser.post(f"/applications/{application.id}/payment", data=form)
    assert paid.status_code == 302 and paid.headers["Location"].endswith(f"/applications/{application.id}")
    browser.post(f"/applications/{application.id}/payment", data=form)  # the same page sent again
    assert list(app.extensions["guichet.gateway"].charges.values()) == [666_370]
    dashboard = page_of(browser.get(f"/applications/{application.id}"))
    assert "your fees are paid" in dashboard
    assert invoice_of(db_session, application.id).paid_at is not None
    after = page_of(browser.get(f"/applications/{application.id}/payment"))
    assert "Pay $" not in after and 'id="paid-at"' in after
    assert f'href="/applications/{application.id}/receipt.pdf"' in after
    receipt = browser.get(f"/applications/{application.id}/receipt.pdf")
    assert receipt.mimetype == "application/pdf" and receipt.data.startswith(b"%PDF")
    assert application.business_number in "".join(
        page.extract_text() for page in PdfReader(io.BytesIO(receipt.data)).pages
    )
    assert verify(db_session) == []


def test_a_declined_card_is_explained_and_the_invoice_stays_payable(client, account, db_session):
    browser = client
    application = submitted_application(db_session, account)
    sign_in(browser, account.email)
    page = page_of(browser.get(f"/applications/{application.id}/payment"))
    form = {
        "key": hidden(page, "key"),
        "card_token": "tok_insufficient_funds",
    }
    declined = browser.post(f"/applications/{application.id}/payment", data=form)
    assert declined.status_code == 422
    assert "declined for insufficient funds" in page_of(declined)
    assert invoice_of(db_session, application.id).paid_at is None
    not_yet = browser.get(f"/applications/{application.id}/receipt.pdf")
    assert not_yet.status_code == 302 and not_yet.headers["Location"].endswith("/payment")


def test_a_draft_has_no_invoice_and_another_applicants_invoice_is_404(client, account, db_session):
    draft = new_application(db_session, account, TORONTO_PLAIN)
    stranger = submitted_application(db_session, user(db_session))
    sign_in(client, account.email)
    sent_back = client.get(f"/applications/{draft.id}/payment")
    assert sent_back.status_code == 302 and sent_back.headers["Location"].endswith(
        f"/applications/{draft.id}"
    )
    assert client.get(f"/applications/{stranger.id}/payment").status_code == 404
    assert (
        client.post(
            f"/applications/{stranger.id}/payment", data={"key": "k", "card_token": "tok_approved"}
        ).status_code
        == 404
    )
    assert invoice_of(db_session, stranger.id).paid_at is None


def test_the_payment_form_needs_a_csrf_token(browser):
    assert (
        browser.post("/applications/1/payment", data={"key": "k", "card_token": "tok_approved"}).status_code
        == 400
    )


def test_the_invoice_in_french(client, account, db_session):
    application = submitted_application(db_session, account)
    client.get("/?lang=fr")  # chosen first: the test's shared context keeps the first request's language
    sign_in(client, account.email)
    page = page_of(client.get(f"/applications/{application.id}/payment"))
    assert f"Droits de la demande {application.id}" in page
    assert f"Payer {format_cents(666_370, 'fr')}" in page
    assert "Droits fixes" in page and "Mode de calcul" in page
