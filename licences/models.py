"""The licences table. The schema itself is made only by the Alembic migrations."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint, event, inspect
from sqlalchemy.orm import Mapped, mapped_column

from workflows.db import Base, UTCDateTime, utcnow

#: What may still happen to a licence once issued: it is superseded by a newer version, or revoked.
#: Each is set once; everything else (its number, content and signature) never changes.
SET_ONCE = frozenset({"superseded_at", "revoked_at", "revoked_reason"})


class Licence(Base):
    """One version of an application's consolidated licence, with the content it was signed over.

    The content is what the PDF prints and what verification shows, stored as signed, so the
    licence can be drawn again byte for byte and any later edit of the row breaks its signature.
    A new version is a new row; the one before is marked superseded, never rewritten.
    """

    __tablename__ = "licences"
    __table_args__ = (UniqueConstraint("application_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    number: Mapped[str] = mapped_column(
        String(32), unique=True
    )  # this version's number, e.g. GL-7K3M9QXD2H-1
    version: Mapped[int] = mapped_column(Integer)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    content: Mapped[dict] = mapped_column(JSON)
    signature: Mapped[str] = mapped_column(String(128))  # Ed25519 over the canonical content, base64
    key_id: Mapped[str] = mapped_column(String(32))  # which of the service's keys signed it
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[str | None] = mapped_column(Text)


@event.listens_for(Licence, "before_delete")
def _licences_are_kept(_mapper, _connection, target: Licence) -> None:
    raise ValueError(f"licence {target.number} is on record: it cannot be deleted")


@event.listens_for(Licence, "before_update")
def _issued_content_never_changes(_mapper, _connection, target: Licence) -> None:
    state = inspect(target)
    for attribute in state.mapper.column_attrs:
        history = state.attrs[attribute.key].history
        if not history.has_changes():
            continue
        if attribute.key not in SET_ONCE or (history.deleted and history.deleted[0] is not None):
            raise ValueError(f"licence {target.number}: {attribute.key} cannot be changed once set")
