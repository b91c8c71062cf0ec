"""Configuration from the environment, with safe defaults for a developer's machine."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


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
        "PREFERRED_URL_SCHEME": "https" if https else "http",
        "MAX_CONTENT_LENGTH": 1024 * 1024,
        "PACKS_REFRESH_SECONDS": float(os.environ.get("GUICHET_PACKS_REFRESH_SECONDS", "10")),
        # Counters for rate limits. memory:// counts per process; with several workers use a
        # shared store such as redis://host:6379.
        "RATELIMIT_STORAGE_URI": os.environ.get("GUICHET_RATELIMIT_STORAGE_URI", "memory://"),
        "SIGNIN_RATE_LIMIT": os.environ.get("GUICHET_SIGNIN_RATE_LIMIT", "10 per minute"),
        "PAYMENT_RATE_LIMIT": os.environ.get("GUICHET_PAYMENT_RATE_LIMIT", "30 per minute"),
        # The card processor (workflows.payments.GATEWAYS) and the secret its webhooks are signed with.
        "PAYMENT_GATEWAY": os.environ.get("GUICHET_PAYMENT_GATEWAY", "simulated"),
        "WEBHOOK_SECRET": os.environ.get("GUICHET_WEBHOOK_SECRET")
        or _instance_secret(instance_path, "webhook_secret"),
    }


def _instance_secret(instance_path: Path, name: str = "secret_key") -> str:
    """A random key kept in the instance folder (never in the repository) when none is configured."""
    path = instance_path / name
    if not path.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(48))
    return path.read_text().strip()
