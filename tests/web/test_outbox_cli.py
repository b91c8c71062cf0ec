"""`flask outbox send`, and the development server's background sender, against a real SMTP server."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import create_app
from app.outbox_worker import EXTENSION, OutboxWorker
from tests.smtp_sink import SmtpSink
from tests.test_notifications import PERMIT, _application
from workflows.notifications import OutboxMessage, notify


@pytest.fixture
def smtp_app(app, smtp):
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp.port, MAIL_FROM="Guichet <guichet@example.ca>")
    return app


def _row(session: Session, message_id: int) -> OutboxMessage:
    statement = select(OutboxMessage).where(OutboxMessage.id == message_id)
    return session.scalars(statement.execution_options(populate_existing=True)).one()


def test_send_prints_what_it_sent(smtp_app, runner, db_session, smtp):
    application, owner = _application(db_session)
    row = notify(db_session, "permit_approved", application, permit_name=PERMIT)
    result = runner.invoke(args=["outbox", "send"])
    assert result.exit_code == 0, result.output
    assert result.output == "Sent 1, will retry 0, gave up on 0.\n"
    [received] = smtp.to(owner.email)
    assert received["From"] == "Guichet <guichet@example.ca>"
    assert received["Subject"] == row.subject
    assert _row(db_session, row.id).sent_at is not None
    again = runner.invoke(args=["outbox", "send"])
    assert (again.exit_code, again.output) == (0, "Sent 0, will retry 0, gave up on 0.\n")
    assert len(smtp.to(owner.email)) == 1


def test_send_exits_1_and_says_why_when_the_server_is_down(smtp_app, runner, db_session, smtp):
    application, owner = _application(db_session)
    row = notify(db_session, "licence_issued", application, licence="GL-7K3M9QXD2H-1")
    smtp.stop()
    result = runner.invoke(args=["outbox", "send"])
    assert result.exit_code == 1
    assert "Sent 0, will retry 1, gave up on 0." in result.output
    assert f"email {row.id} (licence_issued): attempt 1 failed, next at " in result.output
    assert "ConnectionRefusedError" in result.output
    assert owner.email not in result.output
    assert _row(db_session, row.id).attempts == 1


def test_send_refuses_settings_that_would_send_a_password_in_clear(smtp_app, runner):
    smtp_app.config.update(SMTP_USERNAME="guichet", SMTP_PASSWORD="secret", SMTP_STARTTLS=False)
    result = runner.invoke(args=["outbox", "send"])
    assert result.exit_code == 2
    assert "turn STARTTLS on" in result.output
    assert "secret" not in result.output


def test_settings_come_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("GUICHET_SMTP_HOST", "smtp.example.ca")
    monkeypatch.setenv("GUICHET_SMTP_PORT", "587")
    monkeypatch.setenv("GUICHET_SMTP_STARTTLS", "true")
    monkeypatch.setenv("GUICHET_MAIL_FROM", "Guichet Toronto <no-reply@example.ca>")
    monkeypatch.setenv("GUICHET_OUTBOX_BACKGROUND", "off")
    monkeypatch.setenv("GUICHET_OUTBOX_INTERVAL_SECONDS", "30")
    configured = create_app({"SECRET_KEY": "x", "DATABASE_URL": "sqlite://"}).config
    assert (configured["SMTP_HOST"], configured["SMTP_PORT"], configured["SMTP_STARTTLS"]) == (
        "smtp.example.ca",
        587,
        True,
    )
    assert configured["MAIL_FROM"] == "Guichet Toronto <no-reply@example.ca>"
    assert (configured["OUTBOX_BACKGROUND"], configured["OUTBOX_INTERVAL_SECONDS"]) == (False, 30.0)
    monkeypatch.delenv("GUICHET_OUTBOX_BACKGROUND")
    defaults = create_app({"SECRET_KEY": "x", "DATABASE_URL": "sqlite://"}).config
    assert defaults["OUTBOX_BACKGROUND"] == "auto"


# --- the background sender ---------------------------------------------------------------------


def _outbox_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "guichet-outbox"]


def _served_app(committing_database, smtp: SmtpSink, **config):
    return create_app(
        {
            "DATABASE_URL": committing_database.url.render_as_string(hide_password=False),
            "SECRET_KEY": "test-secret-key",
            "PACKS_REFRESH_SECONDS": 0,
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": smtp.port,
            "OUTBOX_INTERVAL_SECONDS": 0.02,
            **config,
        }
    )


@pytest.fixture
def stop_workers() -> Iterator[list]:
    apps: list = []
    yield apps
    for served in apps:
        worker = served.extensions.get(EXTENSION)
        if isinstance(worker, OutboxWorker):
            worker.stop(5)
        served.extensions["guichet.db"].engine.dispose()


def test_no_background_sender_under_testing(committing_database, smtp, stop_workers):
    served = _served_app(committing_database, smtp, TESTING=True, OUTBOX_BACKGROUND=True)
    stop_workers.append(served)
    before = len(_outbox_threads())
    served.test_client().get("/healthz", environ_base={"SERVER_SOFTWARE": "Werkzeug/3.1"})
    assert EXTENSION not in served.extensions
    assert len(_outbox_threads()) == before


def test_the_background_sender_starts_once_with_the_first_request_and_sends(
    committing_database, smtp, stop_workers
):
    served = _served_app(committing_database, smtp, OUTBOX_BACKGROUND=True)
    stop_workers.append(served)
    assert EXTENSION not in served.extensions  # making the app (a command, the reloader) starts nothing
    client = served.test_client()
    assert client.get("/healthz").status_code == 200
    worker = served.extensions[EXTENSION]
    assert isinstance(worker, OutboxWorker) and worker.is_alive()
    client.get("/healthz")
    assert served.extensions[EXTENSION] is worker

    with Session(committing_database) as session, session.begin():
        application, owner = _application(session)
        notify(session, "licence_issued", application, licence="GL-7K3M9QXD2H-1")
        address = owner.email
    assert len(smtp.wait_for(address, 1)) == 1
    worker.stop(5)
    assert not worker.is_alive()


def test_auto_starts_the_background_sender_only_under_the_development_server(
    committing_database, smtp, stop_workers
):
    production = _served_app(committing_database, smtp)  # OUTBOX_BACKGROUND "auto" from the environment
    stop_workers.append(production)
    production.test_client().get("/healthz", environ_base={"SERVER_SOFTWARE": "gunicorn/23.0.0"})
    assert production.extensions[EXTENSION] is None

    development = _served_app(committing_database, smtp)
    stop_workers.append(development)
    development.test_client().get("/healthz", environ_base={"SERVER_SOFTWARE": "Werkzeug/3.1.9"})
    assert isinstance(development.extensions[EXTENSION], OutboxWorker)


def test_unusable_settings_are_logged_and_the_site_still_serves(
    committing_database, smtp, stop_workers, caplog
):
    served = _served_app(committing_database, smtp, OUTBOX_BACKGROUND=True, SMTP_USERNAME="guichet")
    stop_workers.append(served)
    assert served.test_client().get("/healthz").status_code == 200
    assert served.extensions[EXTENSION] is None
    assert "not sending in the background" in caplog.text
