"""Development: a thread of the web process sends the outbox, so `make run` delivers emails
with nothing else running. Production runs `flask outbox send --loop` as its own process.

The thread starts with the first request the app serves, not when the app is made: the
reloader's watching process, `flask db upgrade` and the other commands serve no request, so
they never start one, and the process that serves starts exactly one. It never starts under
TESTING. With OUTBOX_BACKGROUND "auto" (the default) it starts only when the development
server (Werkzeug's, behind `flask run`) is serving; True starts it under any server.
"""

from __future__ import annotations

import logging
import threading

from flask import Flask, request

from app.config import smtp_mailer
from workflows.notifications import keep_sending

log = logging.getLogger(__name__)
EXTENSION = "guichet.outbox_worker"


class OutboxWorker:
    """A daemon thread sending the outbox every interval; a failed pass is logged, never fatal."""

    def __init__(self, app: Flask):
        self.interval = float(app.config["OUTBOX_INTERVAL_SECONDS"])
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=keep_sending,
            name="guichet-outbox",
            daemon=True,  # the dev server stops without waiting; an email cut off is sent again
            args=(app.extensions["guichet.db"].sessions, smtp_mailer(app.config)),
            kwargs={"interval": self.interval, "stop": self._stop},
        )

    def start(self) -> None:
        self._thread.start()
        log.info("outbox: sending in the background every %s s", self.interval)

    def stop(self, timeout: float | None = None) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def is_alive(self) -> bool:
        return self._thread.is_alive()


def init_outbox_worker(app: Flask) -> None:
    setting = app.config.get("OUTBOX_BACKGROUND", "auto")
    if app.testing or not setting:
        return
    starting = threading.Lock()

    @app.before_request
    def _start_outbox_worker() -> None:
        if EXTENSION in app.extensions:
            return
        with starting:
            if EXTENSION in app.extensions:
                return
            served_by_dev_server = request.environ.get("SERVER_SOFTWARE", "").startswith("Werkzeug/")
            if setting == "auto" and not served_by_dev_server:
                app.extensions[EXTENSION] = None  # decided once: not here
                return
            try:
                worker = OutboxWorker(app)
            except ValueError as error:  # settings that cannot work: say so once, keep serving
                log.error("outbox: not sending in the background: %s", error)
                app.extensions[EXTENSION] = None
                return
            worker.start()
            app.extensions[EXTENSION] = worker
