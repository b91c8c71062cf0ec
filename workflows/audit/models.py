"""The audit log's table. The schema itself is made only by the Alembic migrations."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from workflows.db import Base, UTCDateTime, utcnow

GENESIS_HASH = "0" * 64  # the `prev_hash` of the first entry


class AuditEntry(Base):
    """One thing that happened: who did what to which object, when.

    Append-only and hash-chained: each entry stores the hash of the one before it and
    its own hash over its content and that link, so editing or deleting any entry
    breaks the chain from there on.
    """

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)  # None: system/anonymous
    action: Mapped[str] = mapped_column(String(64), index=True)
    subject: Mapped[str | None] = mapped_column(String(128), index=True)  # e.g. "permit_case:12"
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
