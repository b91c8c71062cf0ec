"""Configuration from the environment, with safe defaults for a developer's machine."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from licences.signing import new_private_key_pem
from workflows.notifications import SmtpMailer


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def from_environment(instance_path: Path) -> dict[str, object]:
    """Settings read from the environment. Nothing secret has a default in code."""
    https = _truthy(os.environ.get("GUICHET_HTTPS"))
    return {
        "DATABASE_URL": os.environ.get("DATABASE_URL") or f"sqlite:///{instance_path / 'guichet.sqlite'}",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or _instance_secret(instance_path, "secret_key"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": https,
        # Over HTTPS the `__Host-` prefix makes browsers refuse the cookie from any other (sub)domain.
        "SESSION_COOKIE_NAME": "__Host-session" if https else "session",
        "PREFERRED_URL_SCHEME": "https" if https else "http",
        # A signed-in session ends after this long without a request, and after this long in all.
        "SESSION_IDLE_TIMEOUT": timedelta(
            minutes=float(os.environ.get("GUICHET_SESSION_IDLE_MINUTES", "30"))
        ),
        "SESSION_MAX_AGE": timedelta(hours=float(os.environ.get("GUICHET_SESSION_MAX_HOURS", "12"))),
        # Request size limits: a whole body, the part of a form held in memory, and the number of
        # fields and files a form may have. An answer over them is a 413, never a partial read.
        "MAX_CONTENT_LENGTH": 1024 * 1024,
        "MAX_FORM_MEMORY_SIZE": 512 * 1024,
        "MAX_FORM_PARTS": 500,
        # How many reverse proxies in front of the app to believe about the client's address and
        # scheme (X-Forwarded-For, X-Forwarded-Proto); 0 when the app is reached directly. Rate
        # limits count per client address, so behind a proxy this must be set.
        "TRUSTED_PROXIES": int(os.environ.get("GUICHET_TRUSTED_PROXIES", "0")),
        "PACKS_REFRESH_SECONDS": float(os.environ.get("GUICHET_PACKS_REFRESH_SECONDS", "10")),
        # Counters for rate limits. memory:// counts per process; with several workers use a
        # shared store such as redis://host:6379.
        "RATELIMIT_STORAGE_URI": os.environ.get("GUICHET_RATELIMIT_STORAGE_URI", "memory://"),
        "SIGNIN_RATE_LIMIT": os.environ.get("GUICHET_SIGNIN_RATE_LIMIT", "10 per minute"),
        "SIGNIN_ACCOUNT_RATE_LIMIT": os.environ.get("GUICHET_SIGNIN_ACCOUNT_RATE_LIMIT", "20 per hour"),
        "PAYMENT_RATE_LIMIT": os.environ.get("GUICHET_PAYMENT_RATE_LIMIT", "30 per minute"),
        # The card processor (workflows.payments.GATEWAYS) and the secret its webhooks are signed with.
        "PAYMENT_GATEWAY": os.environ.get("GUICHET_PAYMENT_GATEWAY", "simulated"),
        "WEBHOOK_SECRET": os.environ.get("GUICHET_WEBHOOK_SECRET")
        or _instance_secret(instance_path, "webhook_secret"),
        # Emails to applicants (docs/notifications.md). Port 8025 is where a development sink
        # listens (python -m aiosmtpd -n -l localhost:8025); production sets its relay, e.g. 587.
        "SMTP_HOST": os.environ.get("GUICHET_SMTP_HOST", "localhost"),
        "SMTP_PORT": int(os.environ.get("GUICHET_SMTP_PORT", "8025")),
        "SMTP_USERNAME": os.environ.get("GUICHET_SMTP_USERNAME") or None,
        "SMTP_PASSWORD": os.environ.get("GUICHET_SMTP_PASSWORD") or None,
        "SMTP_STARTTLS": _truthy(os.environ.get("GUICHET_SMTP_STARTTLS")),
        "MAIL_FROM": os.environ.get("GUICHET_MAIL_FROM", "Guichet <guichet@localhost>"),
        # "auto": a thread of the web process sends the outbox when served by the development
        # server (make run); under a production server run `flask outbox send --loop` instead.
        "OUTBOX_BACKGROUND": _on_off_auto(os.environ.get("GUICHET_OUTBOX_BACKGROUND")),
        "OUTBOX_INTERVAL_SECONDS": float(os.environ.get("GUICHET_OUTBOX_INTERVAL_SECONDS", "5")),
        # The Ed25519 key licences are signed with (docs/licences.md), and the public keys of
        # retired ones whose licences must still verify.
        "LICENCE_SIGNING_KEY": _licence_signing_key(instance_path),
        "LICENCE_RETIRED_KEYS": os.environ.get("GUICHET_LICENCE_RETIRED_KEYS", ""),
        # Where the public site is, for links printed on licences (the QR code); None: the
        # address the request came to.
        "SITE_URL": (os.environ.get("GUICHET_SITE_URL") or "").rstrip("/") or None,
    }


def _on_off_auto(value: str | None) -> bool | str:
    if value is None or value.strip().lower() in {"", "auto"}:
        return "auto"
    return _truthy(value)


def smtp_mailer(config: Mapping[str, Any]) -> SmtpMailer:
    """The SMTP server the outbox is sent through, as configured."""
    return SmtpMailer(
        host=config["SMTP_HOST"],
        port=int(config["SMTP_PORT"]),
        mail_from=config["MAIL_FROM"],
        username=config.get("SMTP_USERNAME"),
        password=config.get("SMTP_PASSWORD"),
        starttls=bool(config.get("SMTP_STARTTLS")),
    )


def _licence_signing_key(instance_path: Path) -> str:
    """The signing key's PEM: from the environment (the text, or a file), else a development key
    made on first run in the instance folder, which is never committed."""
    if os.environ.get("GUICHET_LICENCE_SIGNING_KEY"):
        return os.environ["GUICHET_LICENCE_SIGNING_KEY"]
    if os.environ.get("GUICHET_LICENCE_SIGNING_KEY_FILE"):
        return Path(os.environ["GUICHET_LICENCE_SIGNING_KEY_FILE"]).read_text()
    return _instance_secret(instance_path, "licence_signing_key.pem", new_private_key_pem)


def _instance_secret(
    instance_path: Path, name: str = "secret_key", make: Callable[[], str] = lambda: secrets.token_urlsafe(48)
) -> str:
    """A random key kept in the instance folder (never in the repository) when none is configured."""
    path = instance_path / name
    if not path.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(make())
    return path.read_text().strip()
