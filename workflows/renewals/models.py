"""The renewal tables. The schema itself is made only by the Alembic migrations."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from workflows.db import Base, UTCDateTime, utcnow


class Renewal(Base):
    """An applicant renewing some of their granted permits: what changed, and when it was done.

    Its fees are billed on an invoice of its own (`invoices.renewal_id`), paid like the first
    one; once paid, the permits' expiry moves on and a new licence version is issued.
    """

    __tablename__ = "renewals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    requested_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    permit_codes: Mapped[list[str]] = mapped_column(JSON)
    #: Only what the applicant changed: field id -> {"before": value, "after": value}.
    changes: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RenewalReminder(Base):
    """A reminder sent for one permit's expiry: the unique key makes a second one impossible."""

    __tablename__ = "renewal_reminders"
    __table_args__ = (UniqueConstraint("permit_case_id", "expires_at", "days_before"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    permit_case_id: Mapped[int] = mapped_column(ForeignKey("permit_cases.id"), index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the expiry it was about
    days_before: Mapped[int] = mapped_column(Integer)  # 60 or 14
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
