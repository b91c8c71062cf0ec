"""Tables of the engine. The schema itself is made only by the Alembic migrations."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

import accounts.models  # noqa: F401  (applications belong to users: their table must be known)
from workflows.db import Base, UTCDateTime, utcnow


class PackVersion(Base):
    """One published version of one jurisdiction's pack, kept forever.

    The YAML text is stored as published, so an application can always be traced back
    to the exact rules it was triaged under; `active` marks the version in force.
    """

    __tablename__ = "pack_versions"
    __table_args__ = (UniqueConstraint("jurisdiction_code", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    jurisdiction_code: Mapped[str] = mapped_column(String(16), index=True)
    version: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(255))
    source: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Application(Base):
    """One entrepreneur's application for every permit a business needs in one municipality.

    The triage answers and the version of every pack used are pinned here, so a pack
    published later never changes an application already under way.
    """

    __tablename__ = "applications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    jurisdiction_code: Mapped[str] = mapped_column(String(16))
    answers: Mapped[dict] = mapped_column(JSON)
    pack_versions: Mapped[dict] = mapped_column(JSON)  # jurisdiction code -> pack version used
    business_number: Mapped[str | None] = mapped_column(String(9), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
