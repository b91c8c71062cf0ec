"""Signed-in sessions kept on the server, so that signing out ends every copy of a cookie.

A browser's cookie carries a random session id; the table keeps its SHA-256, when it started
and when it ended. Idle time is counted in the signed cookie itself (no write per request);
the maximum age and the end are counted here, where a stolen cookie cannot change them.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from accounts.models import ApiToken, SignInSession, User
from accounts.service import secret_digest


def start_session(session: Session, user: User, now: datetime) -> str:
    """A new session for `user`; returns the id for the cookie, which is not stored."""
    sid = secrets.token_urlsafe(32)
    session.add(SignInSession(user_id=user.id, sid_sha256=secret_digest(sid), started_at=now))
    session.flush()
    return sid


def user_for_session(
    session: Session, user_id: int, sid: str, now: datetime, max_age: timedelta
) -> User | None:
    """The account of a live session: not ended, younger than `max_age`, and `user_id`'s."""
    return session.scalar(
        select(User)
        .join(SignInSession, SignInSession.user_id == User.id)
        .where(
            SignInSession.sid_sha256 == secret_digest(sid),
            SignInSession.user_id == user_id,
            SignInSession.ended_at.is_(None),
            SignInSession.started_at > now - max_age,
        )
    )


def end_session(session: Session, sid: str, now: datetime) -> None:
    session.execute(
        update(SignInSession)
        .where(SignInSession.sid_sha256 == secret_digest(sid), SignInSession.ended_at.is_(None))
        .values(ended_at=now)
    )


def end_every_session(session: Session, user: User, now: datetime, *, keep_sid: str | None = None) -> int:
    """End all of `user`'s sessions (but `keep_sid`'s) and revoke all their API tokens: what a
    person does who fears someone else is signed in as them. Returns how many sessions ended."""
    ended = session.execute(
        update(SignInSession)
        .where(
            SignInSession.user_id == user.id,
            SignInSession.ended_at.is_(None),
            SignInSession.sid_sha256 != (secret_digest(keep_sid) if keep_sid else ""),
        )
        .values(ended_at=now)
    ).rowcount
    session.execute(
        update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.expires_at > now).values(expires_at=now)
    )
    return ended
