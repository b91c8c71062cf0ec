"""Public verification of a licence by its number: a page for people, and the address in the QR code."""

from __future__ import annotations

from flask import Blueprint, current_app, url_for

verify = Blueprint("verify", __name__)


def verify_url(number: str) -> str:
    """The public address of a licence's verification page: on the configured site, or this one."""
    site = current_app.config.get("SITE_URL")
    if site:
        return site + url_for("verify.licence", number=number)
    return url_for("verify.licence", number=number, _external=True)


from app.apply.display import template_helpers  # noqa: E402
from app.verify import views  # noqa: E402, F401  (routes register on import)

verify.context_processor(template_helpers)
