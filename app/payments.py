"""The card processor the app uses, chosen by the PAYMENT_GATEWAY setting; one per app."""

from __future__ import annotations

from threading import Lock

from flask import current_app

from workflows.payments import PaymentGateway, gateway_named

_creating = Lock()


def payment_gateway() -> PaymentGateway:
    extensions = current_app.extensions
    if "guichet.gateway" not in extensions:
        with _creating:
            extensions.setdefault("guichet.gateway", gateway_named(current_app.config["PAYMENT_GATEWAY"]))
    return extensions["guichet.gateway"]
