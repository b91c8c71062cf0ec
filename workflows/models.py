"""Tables of the engine. The schema itself is made only by the Alembic migrations."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

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
