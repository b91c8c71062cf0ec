"""The audit log's table. The schema itself is made only by the Alembic migrations."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, event
from sqlalchemy.orm import Mapped, mapped_column

from workflows.audit.chain import entry_hash
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


@event.listens_for(AuditEntry, "before_insert")
def _only_chained_entries(_mapper, _connection, target: AuditEntry) -> None:
    """An entry must come through workflows.audit.record, which gives it its place in the chain."""
    if (
        target.hash is None
        or target.at is None
        or target.hash
        != entry_hash(
            id=target.id,
            at=target.at,
            actor_id=target.actor_id,
            action=target.action,
            subject=target.subject,
            details=target.details,
            prev_hash=target.prev_hash,
        )
    ):
        raise ValueError("audit entries are added with workflows.audit.record, which chains them")


@event.listens_for(AuditEntry, "before_update")
@event.listens_for(AuditEntry, "before_delete")
def _log_is_append_only(_mapper, _connection, target: AuditEntry) -> None:
    raise ValueError(f"audit entry {target.id} is history: it cannot be changed or deleted")
