"""A real SMTP server for the tests: aiosmtpd on 127.0.0.1, keeping what it accepts."""

from __future__ import annotations

import email
import email.policy
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage

from aiosmtpd.controller import Controller

from workflows.notifications import SmtpMailer


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


class SmtpSink:
    """An SMTP server (aiosmtpd) on 127.0.0.1 keeping every message it accepts. It can be stopped
    and started again on the same port, or made to refuse recipients with a temporary error."""

    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.received: list[Received] = []
        self.refusing = False
        #: Called with each message once kept and before the sender is told it was accepted.
        self.on_message: Callable[[Received], None] | None = None
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def mailer(self, **settings) -> SmtpMailer:
        return SmtpMailer(
            host="127.0.0.1", port=self.port, mail_from="Guichet <guichet@example.ca>", timeout=5, **settings
        )

    def to(self, address: str) -> list[EmailMessage]:
        return [r.message for r in self.received if address in r.rcpt_tos]

    def wait_for(self, address: str, count: int, timeout: float = 5) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while len(self.to(address)) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.to(address)


class _Handler:
    def __init__(self, sink: SmtpSink):
        self.sink = sink

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.sink.refusing:
            return "451 4.3.0 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        received = Received(envelope.mail_from, list(envelope.rcpt_tos), message)
        self.sink.received.append(received)
        if self.sink.on_message is not None:
            self.sink.on_message(received)
        return "250 Message accepted for delivery"
