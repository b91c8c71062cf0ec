"""Emails to applicants through the outbox, delivered to a real SMTP server on localhost.

Most tests share the test's rolled-back transaction with the sender (the app's session factory
is bound to it). Those about transactions, concurrency and the background loop commit, on
`committing_database`, and look only at their own recipient's emails.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from accounts.models import User
from tests.factories import NOW, draft_application, user
from tests.web.openapi_conformance import conforms
from workflows.models import Application
from workflows.notifications import (
    KINDS,
    MAX_ATTEMPTS,
    RETRY_DELAYS,
    SENDING_LEASE,
    OutboxMessage,
    SmtpMailer,
    keep_sending,
    notify,
    send_due,
)
from workflows.text import Text

PERMIT = Text("Eating establishment licence", "Licence d'établissement de restauration")
PATIO = Text("Curb-lane café permit", "Permis de café-terrasse en bordure")
EXPIRING = [(PERMIT, date(2027, 11, 26)), (PATIO, date(2027, 12, 1))]
PASSWORD = "correct horse battery"


# --- data --------------------------------------------------------------------------------------


def _application(session: Session, language: str = "en") -> tuple[Application, User]:
    owner = user(session)
    owner.name, owner.language = "Ada Lovelace", language
    application, _result = draft_application(session, owner)
    return application, owner


LICENCE = "GL-7K3M9QXD2H-1"
ARGUMENTS = {
    "permit_approved": {"permit_name": PERMIT, "conditions": ["Keep the grease trap clean."]},
    "permit_rejected": {"permit_name": PERMIT, "message": "The kitchen has no ventilation."},
    "info_requested": {"permit_name": PERMIT, "message": "Please send the floor plan."},
    "licence_issued": {"licence": "GL-7K3M9QXD2H-1"},
    "renewal_reminder": {"expiring": EXPIRING},
}

#: For each kind and language: what the subject starts with and lines the body must hold.
EXPECTED = {
    ("permit_approved", "en"): (
        "Permit approved: Eating establishment licence (application {id})",
        [
            "Good news: your permit has been approved.",
            "Conditions you must meet:\n- Keep the grease trap clean.",
        ],
    ),
    ("permit_approved", "fr"): (
        "Permis approuvé : Licence d'établissement de restauration (demande {id})",
        [
            "Bonne nouvelle : votre permis est approuvé.",
            "Conditions à respecter :\n- Keep the grease trap clean.",
        ],
    ),
    ("permit_rejected", "en"): (
        "Permit refused: Eating establishment licence (application {id})",
        [
            "The agency has refused your permit.",
            "Reason given by the agency:\nThe kitchen has no ventilation.",
        ],
    ),
    ("permit_rejected", "fr"): (
        "Permis refusé : Licence d'établissement de restauration (demande {id})",
        [
            "L'organisme a refusé votre permis.",
            "Motif donné par l'organisme :\nThe kitchen has no ventilation.",
        ],
    ),
    ("info_requested", "en"): (
        "Information needed: Eating establishment licence (application {id})",
        ["The agency's question:\nPlease send the floor plan.", "To answer, sign in to Guichet and open"],
    ),
    ("info_requested", "fr"): (
        "Renseignements demandés : Licence d'établissement de restauration (demande {id})",
        ["Question de l'organisme :\nPlease send the floor plan.", "Pour répondre, connectez-vous à Guichet"],
    ),
    ("licence_issued", "en"): (
        "Your business licence is issued (application {id})",
        [
            "Your consolidated business licence has been issued.",
            "Licence number: GL-7K3M9QXD2H-1",
            "To download your licence (PDF), sign in to Guichet",
        ],
    ),
    ("licence_issued", "fr"): (
        "Votre licence d'entreprise est délivrée (demande {id})",
        [
            "Votre licence d'entreprise consolidée a été délivrée.",
            "Numéro de licence : GL-7K3M9QXD2H-1",
            "Pour télécharger votre licence (PDF), connectez-vous à Guichet",
        ],
    ),
    ("renewal_reminder", "en"): (
        "Renew your permits before they expire (application {id})",
        [
            "Some of your permits expire soon.",
            "Permits to renew:\n- Eating establishment licence: expires on 2027-11-26\n"
            "- Curb-lane café permit: expires on 2027-12-01",
            "To renew them, sign in to Guichet and open /applications/{id}/renewal\n",
        ],
    ),
    ("renewal_reminder", "fr"): (
        "Renouvelez vos permis avant leur expiration (demande {id})",
        [
            "Certains de vos permis expirent bientôt.",
            "Permis à renouveler :\n- Licence d'établissement de restauration : expire le 2027-11-26\n"
            "- Permis de café-terrasse en bordure : expire le 2027-12-01",
            "Pour les renouveler, connectez-vous à Guichet et ouvrez /applications/{id}/renewal\n",
        ],
    ),
}


def _row(session: Session, message_id: int) -> OutboxMessage:
    return session.scalars(
        select(OutboxMessage).where(OutboxMessage.id == message_id).execution_options(populate_existing=True)
    ).one()


@pytest.fixture
def sessions(app, db_session) -> sessionmaker:
    """What the sender gets: sessions on the test's transaction, as `flask outbox send` would."""
    return app.extensions["guichet.db"].sessions


# --- writing ----------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("kind", list(KINDS))
def test_each_kind_is_written_in_the_owners_language(db_session, kind, language):
    application, owner = _application(db_session, language)
    row = notify(db_session, kind, application, now=NOW, **ARGUMENTS[kind])
    subject, lines = EXPECTED[(kind, language)]
    assert (row.kind, row.to_address, row.language) == (kind, owner.email, language)
    assert (row.application_id, row.attempts, row.created_at, row.next_attempt_at) == (
        application.id,
        0,
        NOW,
        NOW,
    )
    assert row.subject == subject.format(id=application.id)
    greeting = "Hello," if language == "en" else "Bonjour,"
    assert row.body.startswith(f"{greeting}\n\n")
    for line in lines:
        assert line.format(id=application.id) in row.body
    facts = f"Application: {application.id}\n" if language == "en" else f"Demande : {application.id}\n"
    assert facts in row.body
    assert f"/applications/{application.id}{KINDS[kind].page}\n" in row.body
    if KINDS[kind].needs_permit:
        assert PERMIT.in_(language) in row.body
    other = "Hello" if language == "fr" else "Bonjour"
    assert other not in row.body
    # no more personal data than needed: neither their name nor their address
    assert "Lovelace" not in row.body and owner.email not in row.body


def test_notify_refuses_arguments_that_do_not_fit_the_kind(db_session):
    application, _owner = _application(db_session)
    mistakes = [
        ("permit_issued", {"permit_name": PERMIT}),
        ("permit_approved", {}),
        ("permit_rejected", {"permit_name": PERMIT}),
        ("info_requested", {"permit_name": PERMIT, "message": "   "}),
        ("permit_rejected", {"permit_name": PERMIT, "message": "No.", "conditions": ["x"]}),
        ("licence_issued", {"licence": "GL-7K3M9QXD2H-1", "permit_name": PERMIT}),
        ("licence_issued", {}),
        ("permit_approved", {"permit_name": PERMIT, "licence": "GL-7K3M9QXD2H-1"}),
        ("permit_approved", {"permit_name": PERMIT, "message": "Well done."}),
        ("renewal_reminder", {}),
        ("renewal_reminder", {"expiring": EXPIRING, "permit_name": PERMIT}),
        ("licence_issued", {"licence": "GL-7K3M9QXD2H-1", "expiring": EXPIRING}),
    ]
    for kind, arguments in mistakes:
        with pytest.raises(ValueError):
            notify(db_session, kind, application, **arguments)
    assert (
        db_session.scalars(select(OutboxMessage).where(OutboxMessage.application_id == application.id)).all()
        == []
    )


def test_a_rolled_back_change_leaves_no_email_and_nothing_is_sent(committing_database, smtp):
    engine = committing_database
    with Session(engine) as session, session.begin():
        application, owner = _application(session)
        application_id, address = application.id, owner.email

    with pytest.raises(RuntimeError), Session(engine) as session, session.begin():
        application = session.get(Application, application_id)
        application.form_values = {"changed": True}
        notify(session, "permit_approved", application, permit_name=PERMIT)
        raise RuntimeError("the decision failed after the email was written")

    with Session(engine) as session:
        application = session.get(Application, application_id)
        assert application.form_values != {"changed": True}
        assert session.scalars(select(OutboxMessage).where(OutboxMessage.to_address == address)).all() == []
    send_due(engine, smtp.mailer(), batch_size=1000)
    assert smtp.to(address) == []

    with Session(engine) as session, session.begin():  # the same change, committed this time
        notify(session, "licence_issued", session.get(Application, application_id), licence=LICENCE)
    report = send_due(engine, smtp.mailer(), batch_size=1000)
    assert report.sent >= 1
    [received] = smtp.to(address)
    assert received["Subject"].startswith("Your business licence is issued")


def test_notify_never_commits(committing_database):
    with Session(committing_database) as session:
        with session.begin():
            application, _owner = _application(session)
        row_id = notify(session, "licence_issued", application, licence=LICENCE).id
        session.rollback()
        assert session.get(OutboxMessage, row_id) is None


# --- sending -----------------------------------------------------------------------------------


def test_send_due_delivers_the_email_to_the_smtp_server(db_session, sessions, smtp):
    application, owner = _application(db_session, "fr")
    row = notify(
        db_session,
        "permit_approved",
        application,
        permit_name=PERMIT,
        conditions=["Affichez le permis."],
        now=NOW,
    )
    report = send_due(sessions, smtp.mailer(), now=NOW + timedelta(seconds=1))
    assert (report.sent, report.retried, report.failed) == (1, 0, 0)

    [received] = smtp.received
    assert received.rcpt_tos == [owner.email]
    assert received.mail_from == "guichet@example.ca"
    message = received.message
    assert message["To"] == owner.email
    assert message["From"] == "Guichet <guichet@example.ca>"
    assert (
        message["Subject"]
        == f"Permis approuvé : Licence d'établissement de restauration (demande {application.id})"
    )
    assert message["Content-Language"] == "fr"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Message-ID"].startswith(f"<outbox-{row.id}-")
    assert message.get_content_type() == "text/plain"
    assert message.get_content_charset() == "utf-8"
    assert message["Content-Transfer-Encoding"] == "quoted-printable"
    assert message.get_content().replace("\r\n", "\n") == row.body
    assert "- Affichez le permis." in message.get_content()

    sent = _row(db_session, row.id)
    assert (sent.sent_at, sent.attempts, sent.failed_at, sent.last_error) == (
        NOW + timedelta(seconds=1),
        1,
        None,
        None,
    )
    again = send_due(sessions, smtp.mailer(), now=NOW + timedelta(hours=1))
    assert (again.sent, again.retried, again.failed) == (0, 0, 0)
    assert len(smtp.received) == 1


def test_an_email_is_not_sent_before_it_is_due(db_session, sessions, smtp):
    application, _owner = _application(db_session)
    notify(db_session, "licence_issued", application, licence=LICENCE, now=NOW)
    assert send_due(sessions, smtp.mailer(), now=NOW - timedelta(seconds=1)).sent == 0
    assert smtp.received == []
    assert send_due(sessions, smtp.mailer(), now=NOW).sent == 1


def test_a_batch_sends_at_most_batch_size(db_session, sessions, smtp):
    application, owner = _application(db_session)
    for _ in range(3):
        notify(db_session, "licence_issued", application, licence=LICENCE, now=NOW)
    assert send_due(sessions, smtp.mailer(), now=NOW, batch_size=2).sent == 2
    assert send_due(sessions, smtp.mailer(), now=NOW, batch_size=2).sent == 1
    assert len(smtp.to(owner.email)) == 3


def test_a_stopped_server_means_retries_later_then_one_delivery(db_session, sessions, smtp):
    application, owner = _application(db_session)
    row = notify(
        db_session, "info_requested", application, permit_name=PERMIT, message="Which floor?", now=NOW
    )
    smtp.stop()

    first = send_due(sessions, smtp.mailer(), now=NOW)
    assert (first.sent, first.retried, first.failed) == (0, 1, 0)
    assert "attempt 1 failed" in first.problems[0]
    after_first = _row(db_session, row.id)
    assert after_first.attempts == 1
    assert after_first.next_attempt_at == NOW + RETRY_DELAYS[0]
    assert after_first.last_error.startswith("ConnectionRefusedError")
    assert after_first.sent_at is None and after_first.failed_at is None

    assert send_due(sessions, smtp.mailer(), now=NOW + timedelta(seconds=30)).handled == 0  # not due yet

    second_try = after_first.next_attempt_at
    assert send_due(sessions, smtp.mailer(), now=second_try).retried == 1
    after_second = _row(db_session, row.id)
    assert after_second.attempts == 2
    assert after_second.next_attempt_at == second_try + RETRY_DELAYS[1]
    assert RETRY_DELAYS[1] > RETRY_DELAYS[0]

    smtp.start()
    third_try = after_second.next_attempt_at
    assert send_due(sessions, smtp.mailer(), now=third_try).sent == 1
    assert send_due(sessions, smtp.mailer(), now=third_try + timedelta(days=3)).handled == 0
    [received] = smtp.to(owner.email)
    assert received["Subject"] == _row(db_session, row.id).subject
    assert "Which floor?" in received.get_content()
    sent = _row(db_session, row.id)
    assert (sent.attempts, sent.sent_at, sent.last_error) == (3, third_try, None)


def test_a_refusing_server_is_retried_and_the_error_kept_without_the_address(db_session, sessions, smtp):
    application, owner = _application(db_session)
    row = notify(db_session, "licence_issued", application, licence=LICENCE, now=NOW)
    smtp.refusing = True
    report = send_due(sessions, smtp.mailer(), now=NOW)
    assert report.retried == 1
    error = _row(db_session, row.id).last_error
    assert error.startswith("SMTPRecipientsRefused: 451 4.3.0 Mailbox busy")
    assert owner.email not in error and owner.email not in report.problems[0]
    assert smtp.received == []
    smtp.refusing = False
    assert send_due(sessions, smtp.mailer(), now=NOW + RETRY_DELAYS[0]).sent == 1
    assert len(smtp.to(owner.email)) == 1


def test_gives_up_after_the_last_attempt(db_session, sessions, smtp):
    application, owner = _application(db_session)
    row = notify(db_session, "licence_issued", application, licence=LICENCE, now=NOW)
    smtp.refusing = True
    moment, delays = NOW, []
    for attempt in range(1, MAX_ATTEMPTS + 1):
        report = send_due(sessions, smtp.mailer(), now=moment)
        current = _row(db_session, row.id)
        assert current.attempts == attempt
        if attempt < MAX_ATTEMPTS:
            assert (report.retried, report.failed, current.failed_at) == (1, 0, None)
            delays.append(current.next_attempt_at - moment)
            moment = current.next_attempt_at
    assert delays == list(RETRY_DELAYS)
    assert (report.retried, report.failed) == (0, 1)
    assert report.problems[0].startswith(
        f"gave up on email {row.id} (licence_issued) after {MAX_ATTEMPTS} attempts"
    )
    given_up = _row(db_session, row.id)
    assert (given_up.failed_at, given_up.sent_at) == (moment, None)
    smtp.refusing = False
    assert send_due(sessions, smtp.mailer(), now=moment + timedelta(days=30)).handled == 0
    assert smtp.to(owner.email) == []


def test_a_sender_that_dies_mid_send_leaves_the_email_to_be_sent_after_the_lease(db_session, sessions, smtp):
    """At least once: the claim outlives a dead sender, then another sends it."""

    class Dies:
        def send(self, email, now):
            raise SystemExit("killed while talking to the SMTP server")

    application, owner = _application(db_session)
    row = notify(db_session, "licence_issued", application, licence=LICENCE, now=NOW)
    with pytest.raises(SystemExit):
        send_due(sessions, Dies(), now=NOW)
    claimed = _row(db_session, row.id)
    assert (claimed.attempts, claimed.next_attempt_at, claimed.sent_at) == (1, NOW + SENDING_LEASE, None)
    assert send_due(sessions, smtp.mailer(), now=NOW + SENDING_LEASE - timedelta(seconds=1)).handled == 0
    assert send_due(sessions, smtp.mailer(), now=NOW + SENDING_LEASE).sent == 1
    assert len(smtp.to(owner.email)) == 1
    assert _row(db_session, row.id).attempts == 2


def test_smtp_settings_that_would_leak_a_password_are_refused():
    with pytest.raises(ValueError, match="STARTTLS"):
        SmtpMailer(username="guichet", password="secret")
    assert "secret" not in repr(SmtpMailer(username="guichet", password="secret", starttls=True))
    with pytest.raises(ValueError, match="no email address"):
        SmtpMailer(mail_from="Guichet")


# --- several senders, and the loop -------------------------------------------------------------

EMAILS = 24
SENDERS = 4


def test_senders_running_at_once_send_each_email_exactly_once(committing_database, smtp):
    engine = committing_database
    with Session(engine) as session, session.begin():
        application, owner = _application(session)
        for _ in range(EMAILS):
            notify(session, "licence_issued", application, licence=LICENCE)
        address = owner.email
    barrier = threading.Barrier(SENDERS)

    def sender(_index: int):
        barrier.wait()
        return send_due(engine, smtp.mailer(), batch_size=1000)

    with ThreadPoolExecutor(max_workers=SENDERS) as pool:
        reports = list(pool.map(sender, range(SENDERS)))

    received = smtp.to(address)
    assert len(received) == EMAILS
    assert len({message["Message-ID"] for message in received}) == EMAILS
    assert sum(report.sent for report in reports) >= EMAILS
    assert all(report.retried == report.failed == 0 for report in reports)
    with Session(engine) as session:
        rows = session.scalars(select(OutboxMessage).where(OutboxMessage.to_address == address)).all()
    assert len(rows) == EMAILS
    assert all(row.sent_at is not None and row.attempts == 1 for row in rows)


def test_keep_sending_survives_a_failed_pass_and_stops_when_asked(committing_database, smtp, caplog):
    engine = committing_database
    working = sessionmaker(engine)
    calls = []

    def sessions() -> Session:
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionError("the database is away")
        return working()

    with Session(engine) as session, session.begin():
        application, owner = _application(session)
        notify(session, "licence_issued", application, licence=LICENCE)
        address = owner.email
    stop = threading.Event()
    caplog.set_level(logging.ERROR, logger="workflows.notifications.sender")
    loop = threading.Thread(
        target=keep_sending, args=(sessions, smtp.mailer()), kwargs={"interval": 0.02, "stop": stop}
    )
    loop.start()
    try:
        assert len(smtp.wait_for(address, 1)) == 1
    finally:
        stop.set()
        loop.join(5)
    assert not loop.is_alive()
    assert "a sending pass failed" in caplog.text
    assert "the database is away" in caplog.text


# --- the applicant's language ------------------------------------------------------------------
# These tests read accounts through the app's sessions, not `db_session`: that fixture keeps an
# application context open, which every request would then share, with its cached locale.


def _language_of(client, email: str) -> str | None:
    with client.application.extensions["guichet.db"].sessions() as session:
        return session.scalar(select(User.language).where(User.email == email))


def _sign_up_form(email: str) -> dict[str, str]:
    return {"name": "Ada Lovelace", "email": email, "password": PASSWORD, "confirm": PASSWORD}


def test_web_sign_up_keeps_the_language_of_the_page(client):
    client.get("/account/signup?lang=fr")
    assert client.post("/account/signup", data=_sign_up_form("ada@example.ca")).status_code == 302
    assert _language_of(client, "ada@example.ca") == "fr"

    other = client.application.test_client()
    assert other.post("/account/signup", data=_sign_up_form("bo@example.ca")).status_code == 302
    assert _language_of(client, "bo@example.ca") == "en"


def test_switching_language_when_signed_in_is_kept_on_the_account(client):
    client.post("/account/signup", data=_sign_up_form("ada@example.ca"))
    assert _language_of(client, "ada@example.ca") == "en"
    assert client.get("/?lang=fr").status_code == 200
    assert _language_of(client, "ada@example.ca") == "fr"
    client.get("/api/v1/jurisdictions?lang=en")  # the API's ?lang= is for that answer only
    assert _language_of(client, "ada@example.ca") == "fr"
    client.get("/account/?lang=en")
    assert _language_of(client, "ada@example.ca") == "en"
    anonymous = client.application.test_client()
    assert anonymous.get("/?lang=fr").status_code == 200


def test_api_sign_up_takes_a_language(client):
    def sign_up(email: str, headers=None, **extra):
        body = {"email": email, "password": PASSWORD, "name": "Ada", **extra}
        return conforms(client.post("/api/v1/accounts", json=body, headers=headers))

    assert sign_up("ada@example.ca", language="fr").status_code == 201
    assert _language_of(client, "ada@example.ca") == "fr"
    assert sign_up("bo@example.ca", headers={"Accept-Language": "fr-CA,fr;q=0.8"}).status_code == 201
    assert _language_of(client, "bo@example.ca") == "fr"
    assert sign_up("cy@example.ca").status_code == 201
    assert _language_of(client, "cy@example.ca") == "en"

    refused = sign_up("di@example.ca", language="de")
    assert refused.status_code == 422
    assert refused.json["errors"] == [{"field": "language", "message": "Choose en (English) or fr (French)."}]
    assert _language_of(client, "di@example.ca") is None


def test_the_language_chosen_at_sign_up_is_the_emails(client):
    body = {"email": "ada@example.ca", "password": PASSWORD, "name": "Ada", "language": "fr"}
    assert client.post("/api/v1/accounts", json=body).status_code == 201
    with client.application.extensions["guichet.db"].sessions() as session:
        owner = session.scalars(select(User).where(User.email == "ada@example.ca")).one()
        application, _result = draft_application(session, owner)
        row = notify(session, "info_requested", application, permit_name=PERMIT, message="Quel étage ?")
    assert row.language == "fr"
    assert row.subject.startswith("Renseignements demandés : ")
