"""Renewing in the browser, CSRF on: the reminder by `flask renewals remind`, the dashboard's link, the
prefilled renewal page, one changed field, the renewal's payment, and the new licence version."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from accounts.service import create_account
from app.db import db_session as app_session
from licences.models import Licence
from tests.answer_sets import TORONTO_FULL
from tests.factories import licensed_application, paid_application
from tests.web.conftest import PASSWORD, csrf_token, sign_in
from workflows.applications.store import cases_of
from workflows.models import Application
from workflows.notifications.models import OutboxMessage
from workflows.renewals.models import Renewal

pytestmark = pytest.mark.money

EXPIRY = datetime(2027, 11, 26, 15, 0, tzinfo=UTC)  # the 12-month permits of a licence issued at NOW
#: Modules whose clock the tests move, as time passing would.
CLOCKS = ("app.apply.renewal_views", "app.api.renewals", "app.api.payments")


def set_clock(monkeypatch, moment: datetime) -> None:
    for module in CLOCKS:
        monkeypatch.setattr(f"{module}.utcnow", lambda: moment)


def licensed_owner(app, email: str = "ada@example.ca", *, licensed: bool = True) -> int:
    """A signed-up applicant's licensed Toronto restaurant, committed in its own context (so the
    browser's CSRF token is not held in a shared one); returns the application's id."""
    with app.app_context():
        session = app_session()
        person = create_account(session, email=email, password=PASSWORD, name="Ada Lovelace")
        make = licensed_application if licensed else paid_application
        application, _ = make(session, person, TORONTO_FULL)
        session.commit()
        return application.id


def page_of(response) -> str:
    return response.get_data(as_text=True)


class FormReader(HTMLParser):
    """What a browser would send for the page's form: inputs, checked boxes, selected options."""

    def __init__(self) -> None:
        super().__init__()
        self.data = MultiDict()
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        name = attributes.get("name")
        if tag == "input" and name:
            kind = attributes.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in attributes:
                    self.data.add(name, attributes.get("value", "on"))
            else:
                self.data.add(name, attributes.get("value", ""))
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select and "selected" in attributes:
            self.data.add(self._select, attributes.get("value", ""))
        elif tag == "textarea":
            self._textarea = name
            self.data.add(name, "")

    def handle_data(self, data):
        if self._textarea:
            self.data.setlist(self._textarea, [self.data.get(self._textarea, "") + data])

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def form_of(page: str) -> MultiDict:
    reader = FormReader()
    reader.feed(page)
    return reader.data


def outbox(app, application_id: int, kind: str = "renewal_reminder") -> list[OutboxMessage]:
    with app.app_context():
        return list(
            app_session().scalars(
                select(OutboxMessage).where(
                    OutboxMessage.application_id == application_id, OutboxMessage.kind == kind
                )
            )
        )


def remind(runner, moment: datetime) -> str:
    result = runner.invoke(args=["renewals", "remind", "--now", moment.isoformat()])
    assert result.exit_code == 0, result.output
    return result.output


def test_renewal_end_to_end_in_the_browser(app, browser, runner, monkeypatch):
    application_id = licensed_owner(app)

    # 59 days before expiry: the 60-day reminder, once; 13 days before: the 14-day one, once.
    assert remind(runner, EXPIRY - timedelta(days=59)) == (
        "Wrote 1 renewal reminder email(s), for 2 permit(s).\n"
    )
    assert (
        remind(runner, EXPIRY - timedelta(days=58)) == "Wrote 0 renewal reminder email(s), for 0 permit(s).\n"
    )
    assert len(outbox(app, application_id)) == 1
    remind(runner, EXPIRY - timedelta(days=13))
    remind(runner, EXPIRY - timedelta(days=13))
    reminders = outbox(app, application_id)
    assert len(reminders) == 2
    assert all(f"/applications/{application_id}/renewal\n" in email.body for email in reminders)

    now = EXPIRY - timedelta(days=13)
    set_clock(monkeypatch, now)
    sign_in(browser, "ada@example.ca")
    dashboard = page_of(browser.get(f"/applications/{application_id}"))
    assert f'href="/applications/{application_id}/renewal" id="renew-link">Renew your permits' in dashboard
    assert "November 26, 2027" in dashboard and "can be renewed now" in dashboard

    url = f"/applications/{application_id}/renewal"
    page = page_of(browser.get(url))
    assert 'id="renewable-TO-EATING"' in page and "$349.00" in page
    assert 'id="renewable-TO-CAFETO"' in page and "$2,648.40" in page
    assert 'id="renewable-ON-AGCO"' not in page  # 24 months: not yet
    form = form_of(page)
    assert form["operating_name"] == "Café Ça Va Inc."  # tell us once: what was given is filled in
    assert form.getlist("permits") == ["TO-EATING", "TO-CAFETO"]
    assert "business_number" not in form

    form["operating_name"] = "Ça Va Bistro"
    form.setlist("permits", ["TO-EATING"])
    form.setlist("patio_area_m2", [])  # the patio permit is not renewed: its field is not sent
    form["_shown"] = " ".join(name for name in form["_shown"].split() if name != "patio_area_m2")
    without_token = MultiDict(form)
    without_token.pop("csrf_token")
    assert browser.post(url, data=without_token).status_code == 400
    started = browser.post(url, data=form)
    assert started.status_code == 302 and started.location.endswith(f"{url}/payment")
    assert browser.get(url).location.endswith(f"{url}/payment")  # one open renewal at a time

    pay_page = page_of(browser.get(f"{url}/payment"))
    assert 'id="change-operating_name"' in pay_page and "Ça Va Bistro" in html.unescape(pay_page)
    assert 'id="line-TO-EATING"' in pay_page and 'id="line-TO-CAFETO"' not in pay_page
    assert 'id="invoice-total">$349.00' in pay_page
    payment = form_of(pay_page)
    assert payment["card_token"] == "tok_approved"
    paid = browser.post(f"{url}/payment", data=payment)
    assert paid.status_code == 302 and paid.location.endswith(f"/applications/{application_id}")
    again = browser.post(f"{url}/payment", data=payment)  # the same page sent again pays nothing more
    assert again.status_code == 302
    assert list(app.extensions["guichet.gateway"].charges.values()) == [34_900]

    dashboard = page_of(browser.get(f"/applications/{application_id}"))
    assert "your permits are renewed" in dashboard
    assert "version 2" in dashboard and "November 26, 2028" in dashboard
    eating = dashboard.split('id="permit-TO-EATING"')[1].split("</article>")[0]
    assert "November 26, 2028" in eating and "can be renewed now" not in eating
    with app.app_context():
        session = app_session()
        application = session.get(Application, application_id)
        assert application.form_values["operating_name"] == "Ça Va Bistro"
        first, second = session.scalars(
            select(Licence).where(Licence.application_id == application_id).order_by(Licence.version)
        ).all()
        assert first.superseded_at == now and (second.version, second.superseded_at) == (2, None)
        assert second.content["business"]["operating_name"] == "Ça Va Bistro"
        case = next(c for c in cases_of(session, application_id) if c.permit_code == "TO-EATING")
        assert case.expires_at == EXPIRY.replace(year=2028)


def test_bad_values_are_shown_next_to_their_fields_and_nothing_is_recorded(app, browser, monkeypatch):
    application_id = licensed_owner(app)
    set_clock(monkeypatch, EXPIRY - timedelta(days=5))
    sign_in(browser, "ada@example.ca")
    url = f"/applications/{application_id}/renewal"
    form = form_of(page_of(browser.get(url)))
    form["operating_name"] = ""
    form["contact_email"] = "not an address"
    refused = browser.post(url, data=form)
    assert refused.status_code == 422
    page = page_of(refused)
    assert '<p class="error" id="operating_name-error">This field is required.</p>' in page
    assert '<p class="error" id="contact_email-error">Enter a valid email address.</p>' in page
    assert 'value="not an address"' in page  # what was typed is kept

    none_chosen = form_of(page_of(browser.get(url)))
    none_chosen.setlist("permits", [])
    refused = browser.post(url, data=none_chosen)
    assert refused.status_code == 422 and "Choose at least one permit to renew" in page_of(refused)
    with app.app_context():
        assert (
            app_session().scalars(select(Renewal).where(Renewal.application_id == application_id)).all() == []
        )


def test_a_declined_card_is_explained_and_the_renewal_stays_payable(app, browser, monkeypatch):
    application_id = licensed_owner(app)
    set_clock(monkeypatch, EXPIRY - timedelta(days=5))
    sign_in(browser, "ada@example.ca")
    url = f"/applications/{application_id}/renewal"
    browser.post(url, data=form_of(page_of(browser.get(url))))
    payment = form_of(page_of(browser.get(f"{url}/payment")))
    payment["card_token"] = "tok_declined"
    declined = browser.post(f"{url}/payment", data=payment)
    assert declined.status_code == 422 and "The card was declined" in page_of(declined)
    assert browser.get(f"{url}/payment").status_code == 200  # still waiting for payment


def test_nothing_to_renew_yet_means_no_link_and_a_page_that_says_so(app, browser, monkeypatch):
    application_id = licensed_owner(app, licensed=False)  # paid, permits still with the agencies
    set_clock(monkeypatch, EXPIRY - timedelta(days=5))
    sign_in(browser, "ada@example.ca")
    assert "Renew your permits" not in page_of(browser.get(f"/applications/{application_id}"))
    page = page_of(browser.get(f"/applications/{application_id}/renewal"))
    assert 'id="nothing-renewable"' in page and 'name="permits"' not in page
    payment = browser.get(f"/applications/{application_id}/renewal/payment")
    assert payment.status_code == 302 and payment.location.endswith("/renewal")


def test_another_applicants_renewal_pages_are_404(app, browser, monkeypatch):
    application_id = licensed_owner(app)
    licensed_owner(app, "bo@example.ca", licensed=False)
    set_clock(monkeypatch, EXPIRY - timedelta(days=5))
    sign_in(browser, "bo@example.ca")
    token = csrf_token(page_of(browser.get("/account/")))
    for path in (
        f"/applications/{application_id}/renewal",
        f"/applications/{application_id}/renewal/payment",
    ):
        assert browser.get(path).status_code == 404, path
        assert browser.post(path, data={"csrf_token": token}).status_code == 404, path
