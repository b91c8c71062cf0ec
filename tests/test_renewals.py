"""Renewals in the engine: who can renew when, reminders sent once, the renewal, its bill and what
paying it does (a new expiry, the changes applied, a new licence version)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from licences import signing
from licences.issuance import latest_licence
from licences.models import Licence
from tests.answer_sets import TORONTO_FULL
from tests.conftest import SIGNING_KEY
from tests.factories import NOW, licensed_application, paid_application, user
from workflows.applications import ApplicationError, lock_application
from workflows.applications.store import cases_of
from workflows.audit.models import AuditEntry
from workflows.fees import FlatFee
from workflows.models import Application
from workflows.notifications.models import OutboxMessage
from workflows.payments import PaymentRefused, SimulatedGateway, due_invoice, invoice_of, pay, verify
from workflows.payments.service import charge_key
from workflows.payments.webhooks import ProcessorEvent, apply_event
from workflows.renewals import eligibility
from workflows.renewals.errors import RenewalInProgress
from workflows.renewals.models import Renewal, RenewalReminder
from workflows.renewals.reminders import send_renewal_reminders, threshold
from workflows.renewals.start import open_renewal, renewal_form, renewal_invoice, start_renewal

#: Tests on the shared test database end with `flask ledger verify` (see conftest.py).
money = pytest.mark.money

#: When the 12-month permits of an application licensed at NOW lapse.
EXPIRY = datetime(2027, 11, 26, 15, 0, tzinfo=UTC)
PATIO_FEE = 20 * 13242  # TO-CAFETO has no renewal fee: its per-m² fee applies again


@pytest.fixture
def gateway() -> SimulatedGateway:
    return SimulatedGateway()


@pytest.fixture
def signing_key() -> None:
    """Tests on `committing_database` make no app, whose factory would configure the licence key."""
    signing.configure(signing.KeyRing.from_settings(SIGNING_KEY))


def licensed(session: Session) -> Application:
    application, _ = licensed_application(session, user(session), TORONTO_FULL)
    return application


def case_of(session: Session, application: Application, code: str):
    return next(c for c in cases_of(session, application.id) if c.permit_code == code)


def reminders(session: Session, application: Application) -> list[OutboxMessage]:
    return list(
        session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.application_id == application.id, OutboxMessage.kind == "renewal_reminder")
            .order_by(OutboxMessage.id)
        )
    )


def licences_of(session: Session, application: Application) -> list[Licence]:
    return list(
        session.scalars(
            select(Licence).where(Licence.application_id == application.id).order_by(Licence.version)
        )
    )


def renew(session, application, gateway, *, now, key="renewal-1", **options):
    """Start a renewal and pay it by card: what the applicant does in two steps."""
    renewal = start_renewal(session, application, user_id=application.owner_id, now=now, **options)
    outcome = pay(
        session, application, idempotency_key=key, card_token="tok_approved", gateway=gateway, now=now
    )
    return renewal, outcome


# --- who can renew, and when --------------------------------------------------------------------


@money
def test_renewal_opens_60_days_before_expiry_and_stays_open_after_it(db_session):
    application = licensed(db_session)
    assert case_of(db_session, application, "TO-EATING").expires_at == EXPIRY

    def renewable(now):
        return {
            item.permit.code: item.charge.amount_cents
            for item in eligibility.renewable_permits(db_session, application, now=now)
        }

    assert renewable(NOW) == {}
    assert renewable(EXPIRY - timedelta(days=60, seconds=1)) == {}
    assert renewable(EXPIRY - timedelta(days=60)) == {"TO-EATING": 34_900, "TO-CAFETO": PATIO_FEE}
    assert renewable(EXPIRY + timedelta(days=90)) == {"TO-EATING": 34_900, "TO-CAFETO": PATIO_FEE}
    # The 24-month AGCO licence opens a year later; permits that never expire never do.
    later = renewable(datetime(2028, 10, 1, tzinfo=UTC))
    assert "ON-AGCO" in later and later["ON-AGCO"] == 140_000
    assert "TO-ZONING" not in later


@money
def test_nothing_is_renewable_before_the_licence(db_session):
    application, _ = paid_application(db_session, user(db_session), TORONTO_FULL)
    assert eligibility.renewable_permits(db_session, application, now=NOW + timedelta(days=3000)) == []
    with pytest.raises(ApplicationError) as refused:
        start_renewal(db_session, application, changes={}, user_id=application.owner_id, now=NOW)
    assert [e.field for e in refused.value.errors] == ["permits"]


# --- reminders ------------------------------------------------------------------------------------


def test_the_reminder_due_is_the_nearest_threshold_reached():
    assert threshold(EXPIRY, EXPIRY - timedelta(days=61)) is None
    assert threshold(EXPIRY, EXPIRY - timedelta(days=60)) == 60
    assert threshold(EXPIRY, EXPIRY - timedelta(days=15)) == 60
    assert threshold(EXPIRY, EXPIRY - timedelta(days=14)) == 14
    assert threshold(EXPIRY, EXPIRY) is None  # lapsed: the renewal page says so, not an email


@money
def test_reminders_go_out_60_then_14_days_before_expiry_once_each(db_session):
    application = licensed(db_session)
    send_renewal_reminders(db_session, now=EXPIRY - timedelta(days=61))
    assert reminders(db_session, application) == []

    at_59 = EXPIRY - timedelta(days=59)
    send_renewal_reminders(db_session, now=at_59)
    (first,) = reminders(db_session, application)
    assert first.created_at == at_59
    assert first.subject == f"Renew your permits before they expire (application {application.id})"
    assert "- Eating or drinking establishment licence: expires on 2027-11-26" in first.body
    assert "- CaféTO curb-lane café permit: expires on 2027-11-26" in first.body
    assert "Liquor" not in first.body  # the AGCO licence runs another year
    assert f"/applications/{application.id}/renewal\n" in first.body
    rows = db_session.scalars(
        select(RenewalReminder).where(
            RenewalReminder.permit_case_id.in_([c.id for c in cases_of(db_session, application.id)])
        )
    ).all()
    assert sorted((r.days_before, r.expires_at) for r in rows) == [(60, EXPIRY), (60, EXPIRY)]

    for later in (at_59, at_59 + timedelta(days=10), EXPIRY - timedelta(days=15)):
        send_renewal_reminders(db_session, now=later)  # the 60-day reminder is never sent again
    assert len(reminders(db_session, application)) == 1

    at_13 = EXPIRY - timedelta(days=13)
    send_renewal_reminders(db_session, now=at_13)
    send_renewal_reminders(db_session, now=at_13 + timedelta(hours=1))
    assert len(reminders(db_session, application)) == 2
    assert send_renewal_reminders(db_session, now=EXPIRY + timedelta(days=1)).emails == 0
    assert len(reminders(db_session, application)) == 2


@money
def test_a_first_run_inside_14_days_sends_only_the_14_day_reminder(db_session):
    application = licensed(db_session)
    report = send_renewal_reminders(db_session, now=EXPIRY - timedelta(days=5))
    assert report.emails >= 1
    (email,) = reminders(db_session, application)
    assert "expires on 2027-11-26" in email.body
    days = {
        r.days_before
        for r in db_session.scalars(
            select(RenewalReminder).where(
                RenewalReminder.permit_case_id == case_of(db_session, application, "TO-EATING").id
            )
        )
    }
    assert days == {14}
    send_renewal_reminders(db_session, now=EXPIRY - timedelta(days=4))
    assert len(reminders(db_session, application)) == 1


@money
def test_the_reminder_is_in_the_owners_language(db_session):
    owner = user(db_session)
    owner.language = "fr"
    application, _ = licensed_application(db_session, owner, TORONTO_FULL)
    send_renewal_reminders(db_session, now=EXPIRY - timedelta(days=30))
    (email,) = reminders(db_session, application)
    assert email.language == "fr"
    assert email.subject == f"Renouvelez vos permis avant leur expiration (demande {application.id})"
    assert "- Permis de café-terrasse en bordure CaféTO : expire le 2027-11-26" in email.body


def test_two_reminder_runs_at_once_send_each_reminder_once(committing_database, signing_key):
    engine = committing_database
    with Session(engine) as session, session.begin():
        application = licensed(session)
        application_id = application.id
    runs = 4
    barrier = threading.Barrier(runs)

    def run() -> None:
        with Session(engine) as session:
            barrier.wait()
            with session.begin():
                send_renewal_reminders(session, now=EXPIRY - timedelta(days=30))

    threads = [threading.Thread(target=run) for _ in range(runs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with Session(engine) as session:
        sent = session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.application_id == application_id, OutboxMessage.kind == "renewal_reminder"
            )
        ).all()
    assert len(sent) == 1


# --- the renewal ----------------------------------------------------------------------------------


@money
def test_renewal_end_to_end_reminded_once_changed_once_paid_once_and_a_new_licence(db_session, gateway):
    application = licensed(db_session)
    first_licence = latest_licence(db_session, application.id)
    old_values = dict(application.form_values)

    # 59 days before: the 60-day reminder, once; 13 days before: the 14-day one, once.
    for moment in (EXPIRY - timedelta(days=59), EXPIRY - timedelta(days=59), EXPIRY - timedelta(days=13)):
        send_renewal_reminders(db_session, now=moment)
    send_renewal_reminders(db_session, now=EXPIRY - timedelta(days=12))
    assert len(reminders(db_session, application)) == 2

    now = EXPIRY - timedelta(days=12)
    form = renewal_form(db_session, application, now=now)
    assert [item.permit.code for item in form.renewable] == ["TO-EATING", "TO-CAFETO"]
    assert form.values["operating_name"] == old_values["operating_name"]  # tell us once: prefilled
    assert "business_number" not in {f.definition.id for f in form.fields}
    assert form.open is None

    renewal = start_renewal(
        db_session,
        application,
        permit_codes=["TO-EATING"],
        changes={"operating_name": "Ça Va Bistro", "legal_name": old_values["legal_name"]},
        user_id=application.owner_id,
        now=now,
    )
    assert renewal.permit_codes == ["TO-EATING"]
    assert renewal.changes == {
        "operating_name": {"before": old_values["operating_name"], "after": "Ça Va Bistro"}
    }  # the unchanged name is not a change
    invoice = renewal_invoice(db_session, renewal.id)
    assert invoice.renewal_id == renewal.id and invoice.total_cents == 34_900
    (line,) = invoice.lines
    assert (line.permit_code, line.agency_code, line.gl_account, line.basis, line.amount_cents) == (
        "TO-EATING",
        "TO-MLS",
        "TO-MLS-4300",
        "flat",
        34_900,
    )
    assert invoice_of(db_session, application.id).renewal_id is None  # the first bill is still the first
    assert due_invoice(db_session, application.id).id == invoice.id
    assert application.form_values["operating_name"] == old_values["operating_name"]  # not before payment
    assert open_renewal(db_session, application.id).id == renewal.id

    outcome = pay(
        db_session, application, idempotency_key="renew", card_token="tok_approved", gateway=gateway, now=now
    )
    assert outcome.payment.status == "succeeded" and outcome.payment.invoice_id == invoice.id
    assert list(gateway.charges.values()) == [34_900]
    again = pay(
        db_session, application, idempotency_key="renew", card_token="tok_approved", gateway=gateway, now=now
    )
    assert again.replayed and again.payment.id == outcome.payment.id
    with pytest.raises(PaymentRefused) as paid:
        pay(
            db_session,
            application,
            idempotency_key="new",
            card_token="tok_approved",
            gateway=gateway,
            now=now,
        )
    assert paid.value.status == 409
    assert list(gateway.charges.values()) == [34_900]  # paid once

    assert renewal.completed_at == now and invoice.paid_at == now
    assert case_of(db_session, application, "TO-EATING").expires_at == EXPIRY.replace(year=2028)
    assert case_of(db_session, application, "TO-CAFETO").expires_at == EXPIRY  # not renewed
    assert application.form_values == {**old_values, "operating_name": "Ça Va Bistro"}
    assert open_renewal(db_session, application.id) is None

    first, second = licences_of(db_session, application)
    assert first.id == first_licence.id and first.superseded_at == now
    assert (second.version, second.issued_at, second.superseded_at) == (2, now, None)
    assert second.content["business"]["operating_name"] == "Ça Va Bistro"
    eating = next(p for p in second.content["permits"] if p["code"] == "TO-EATING")
    assert eating["expires_at"] == EXPIRY.replace(year=2028).isoformat()
    assert len(emails_of(db_session, application, "licence_issued")) == 2
    actions = [
        entry.action
        for entry in db_session.scalars(
            select(AuditEntry).where(AuditEntry.subject == f"renewal:{renewal.id}")
        )
    ]
    assert actions == ["renewal.requested", "renewal.completed"]
    assert verify(db_session) == []

    # The renewed permit gets fresh reminders for its new expiry; the other is reminded no more.
    send_renewal_reminders(db_session, now=EXPIRY.replace(year=2028) - timedelta(days=30))
    latest = reminders(db_session, application)[-1]
    assert "Eating or drinking establishment licence: expires on 2028-11-26" in latest.body


def emails_of(session, application, kind):
    return session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.application_id == application.id, OutboxMessage.kind == kind
        )
    ).all()


@money
def test_a_lapsed_permit_is_renewed_from_the_day_it_is_renewed(db_session, gateway):
    application = licensed(db_session)
    now = EXPIRY + timedelta(days=40)
    renew(db_session, application, gateway, now=now, changes={})
    assert now == datetime(2028, 1, 5, 15, 0, tzinfo=UTC)
    assert case_of(db_session, application, "TO-EATING").expires_at == now.replace(year=2029)
    assert case_of(db_session, application, "TO-CAFETO").expires_at == now.replace(year=2029)
    assert verify(db_session) == []


@money
def test_a_changed_answer_is_charged_and_kept_for_the_next_renewal(db_session, gateway):
    application = licensed(db_session)
    now = EXPIRY - timedelta(days=20)
    renewal, _ = renew(db_session, application, gateway, now=now, changes={"patio_area_m2": 25})
    invoice = renewal_invoice(db_session, renewal.id)
    assert {line.permit_code: line.amount_cents for line in invoice.lines} == {
        "TO-EATING": 34_900,
        "TO-CAFETO": 25 * 13242,
    }
    assert application.answers["patio_area_m2"] == 25 and application.form_values["patio_area_m2"] == 25
    assert verify(db_session) == []


@money
def test_bad_changes_are_refused_field_by_field_and_nothing_is_recorded(db_session):
    application = licensed(db_session)
    now = EXPIRY - timedelta(days=10)

    def refused(**options) -> dict[str, str]:
        with pytest.raises(ApplicationError) as error:
            start_renewal(db_session, application, user_id=application.owner_id, now=now, **options)
        return {e.field: e.message.en for e in error.value.errors}

    assert refused(changes={"contact_email": "not an address", "operating_name": "  "}) == {
        "fields.contact_email": "Enter a valid email address.",
        "fields.operating_name": "This field is required.",
    }
    assert refused(changes={"favourite_colour": "blue"}) == {
        "fields.favourite_colour": "This form has no such field."
    }
    assert refused(changes={"business_number": "123456782"}) == {
        "fields.business_number": "This form has no such field."
    }
    assert refused(permit_codes=["TO-EATING"], changes={"patio_area_m2": 30}) == {
        "fields.patio_area_m2": "The permits you are renewing do not ask for this field."
    }
    assert refused(permit_codes=["ON-AGCO", "TO-NOPE"], changes={}) == {
        "permits.ON-AGCO": "ON-AGCO cannot be renewed now.",
        "permits.TO-NOPE": "TO-NOPE cannot be renewed now.",
    }
    assert list(refused(permit_codes=[], changes={})) == ["permits"]
    assert refused(changes={"patio_area_m2": 5000}) == {"fields.patio_area_m2": "Enter 1,000 or less."}
    assert db_session.scalars(select(Renewal).where(Renewal.application_id == application.id)).all() == []


@money
def test_a_change_that_would_need_other_permits_is_refused(db_session):
    # With a liquor licence and entertainment, over 150 seats means the expanded-activity licence
    # instead of the eating establishment licence: a new application, not a renewal.
    application, _ = licensed_application(
        db_session, user(db_session), {**TORONTO_FULL, "entertainment": True}
    )
    now = EXPIRY - timedelta(days=10)
    with pytest.raises(ApplicationError) as refused:
        start_renewal(
            db_session, application, changes={"seating_capacity": 200}, user_id=application.owner_id, now=now
        )
    assert [(e.field, e.message.en[:40]) for e in refused.value.errors] == [
        ("fields.seating_capacity", "With this answer your business would nee")
    ]
    renewal = start_renewal(
        db_session, application, changes={"seating_capacity": 120}, user_id=application.owner_id, now=now
    )
    assert renewal.changes == {"seating_capacity": {"before": 10, "after": 120}}  # the form's value
    assert application.answers["seating_capacity"] == 60  # until paid


@money
def test_one_open_renewal_at_a_time(db_session, gateway):
    application = licensed(db_session)
    now = EXPIRY - timedelta(days=10)
    first = start_renewal(
        db_session, application, permit_codes=["TO-EATING"], changes={}, user_id=application.owner_id, now=now
    )
    with pytest.raises(RenewalInProgress) as conflict:
        start_renewal(db_session, application, changes={}, user_id=application.owner_id, now=now)
    assert conflict.value.renewal_id == first.id
    pay(db_session, application, idempotency_key="k", card_token="tok_approved", gateway=gateway, now=now)
    # Paid: the patio permit, still due, can be renewed now.
    second = start_renewal(db_session, application, changes={}, user_id=application.owner_id, now=now)
    assert second.permit_codes == ["TO-CAFETO"]
    # The key of the first renewal's payment does not pay the second bill.
    with pytest.raises(PaymentRefused) as reused:
        pay(db_session, application, idempotency_key="k", card_token="tok_approved", gateway=gateway, now=now)
    assert reused.value.status == 409
    assert verify(db_session) == []


def test_two_renewals_started_at_once_make_one(committing_database, signing_key):
    engine = committing_database
    with Session(engine) as session, session.begin():
        application_id = licensed(session).id
    runs = 4
    barrier = threading.Barrier(runs)
    outcomes: list[str] = []

    def run() -> None:
        with Session(engine) as session:
            barrier.wait()
            try:
                with session.begin():
                    application = lock_application(session, application_id)
                    start_renewal(session, application, changes={}, user_id=application.owner_id, now=EXPIRY)
                outcomes.append("started")
            except RenewalInProgress:
                outcomes.append("conflict")

    threads = [threading.Thread(target=run) for _ in range(runs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["conflict"] * (runs - 1) + ["started"]
    with Session(engine) as session:
        renewals = session.scalars(select(Renewal).where(Renewal.application_id == application_id)).all()
        assert len(renewals) == 1 and renewal_invoice(session, renewals[0].id).total_cents > 0


@money
def test_a_renewal_with_nothing_to_pay_completes_at_once(db_session, monkeypatch):
    monkeypatch.setattr(eligibility, "renewal_schedule", lambda permit: FlatFee(0))
    application = licensed(db_session)
    now = EXPIRY - timedelta(days=10)
    renewal = start_renewal(db_session, application, changes={}, user_id=application.owner_id, now=now)
    assert renewal.completed_at == now
    invoice = renewal_invoice(db_session, renewal.id)
    assert (invoice.total_cents, invoice.paid_at) == (0, now)
    assert case_of(db_session, application, "TO-EATING").expires_at == EXPIRY.replace(year=2028)
    assert latest_licence(db_session, application.id).version == 2
    assert verify(db_session) == []


@money
def test_a_renewal_paid_through_the_processors_webhook_completes(db_session, gateway):
    application = licensed(db_session)
    now = EXPIRY - timedelta(days=10)
    renewal = start_renewal(db_session, application, changes={}, user_id=application.owner_id, now=now)
    failed = pay(
        db_session,
        application,
        idempotency_key="slow",
        card_token="tok_processor_error",
        gateway=gateway,
        now=now,
    ).payment
    assert failed.status == "failed" and renewal.completed_at is None
    event = ProcessorEvent(
        "evt_renewal", "payment.succeeded", now, "ch_late", charge_key(application.id, "slow")
    )
    assert apply_event(db_session, event, now) == "applied"
    assert renewal.completed_at == now
    assert renewal_invoice(db_session, renewal.id).paid_at == now
    assert latest_licence(db_session, application.id).version == 2
    assert verify(db_session) == []
