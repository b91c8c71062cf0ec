"""The outbox's table. The schema itself is made only by the Alembic migrations."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from workflows.db import Base, UTCDateTime, utcnow


class OutboxMessage(Base):
    """An email to send, written in the same transaction as the change it tells of.

    Rendered in the recipient's language when written, so what is sent is what was true
    then; sent after commit by the outbox sender, which retries with growing delays.
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_pending", "sent_at", "failed_at", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))  # e.g. "permit_approved"
    application_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id"), index=True)
    to_address: Mapped[str] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(2))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # gave up after the last attempt
    last_error: Mapped[str | None] = mapped_column(Text)
