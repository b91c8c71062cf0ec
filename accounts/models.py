"""Account tables. The schema itself is made only by the Alembic migrations."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from workflows.db import Base, UTCDateTime, utcnow

ROLES = ("applicant", "clerk", "supervisor", "admin")
STAFF_ROLES = ("clerk", "supervisor", "admin")


class User(Base):
    """A person who signs in: an entrepreneur (applicant) or a member of an agency's staff."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-case
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))  # argon2id, never the password
    role: Mapped[str] = mapped_column(String(16), default="applicant")
    agency_code: Mapped[str | None] = mapped_column(String(64), index=True)  # staff of one agency
    language: Mapped[str] = mapped_column(String(2), default="en")  # "en" or "fr": what we write to them in
    # An administrator's reach: this jurisdiction and every one below it (CA reaches all).
    jurisdiction_code: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApiToken(Base):
    """A bearer token for the API. Only its SHA-256 is stored, so a database leak reveals no token."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SignInSession(Base):
    """One signed-in browser. Its cookie holds a random id, of which only the SHA-256 is kept.

    The cookie is signed but would stay valid for as long as the secret key does: signing out,
    signing out everywhere or changing the password ends the row instead, so a copy of the
    cookie taken before stops working too, and no session outlives its maximum age.
    """

    __tablename__ = "sign_in_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    sid_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
