"""Sign-ins in the audit log, through the pages or the API, failed ones included.

A failed attempt keeps the address tried (normalised, as accounts are looked up) so that
attempts on one account can be found, and never the password.
"""

from __future__ import annotations

from typing import Literal

from sqlalchemy.orm import Session

from accounts.models import User
from accounts.service import normalise_email
from workflows.audit.log import record
from workflows.audit.models import AuditEntry

MAX_EMAIL = 254  # the longest address an account can have: anything longer is cut, not stored whole


def record_sign_in(
    session: Session, email: object, user: User | None, *, through: str, client_address: str | None
) -> AuditEntry:
    """Log `user` signing in, or (user None) a failed attempt with `email`; the caller commits,
    whether or not the attempt succeeded. `through` is "web" or "api"."""
    details = {"through": through, "client_address": client_address}
    if user is not None:
        return record(session, "auth.signin", actor_id=user.id, subject=f"user:{user.id}", details=details)
    # PostgreSQL keeps no NUL in text: one typed in the attempt is shown as U+FFFD instead.
    attempted = (
        normalise_email(email).replace("\x00", "\ufffd")[:MAX_EMAIL] if isinstance(email, str) else None
    )
    return record(session, "auth.signin_failed", actor_id=None, details={**details, "email": attempted})


def record_sessions_ended(
    session: Session,
    user: User,
    sessions_ended: int,
    *,
    because: Literal["signed_out_everywhere", "password_changed"],
    client_address: str | None,
) -> AuditEntry:
    """Log an account's holder ending its sessions and API tokens, by signing out on every device
    or with a new password (audit action `auth.<because>`); the caller commits."""
    return record(
        session,
        f"auth.{because}",
        actor_id=user.id,
        subject=f"user:{user.id}",
        details={"sessions_ended": sessions_ended, "client_address": client_address},
    )
