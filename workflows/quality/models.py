"""The satisfaction survey's table. The schema itself is made only by the Alembic migrations."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from workflows.db import Base, UTCDateTime, utcnow

MIN_SCORE = 1
MAX_SCORE = 5
MAX_COMMENT_LENGTH = 1000


class SatisfactionResponse(Base):
    """The applicant's answer to the survey offered once their licence is issued.

    One per application: the unique key makes a second answer impossible, even when two
    arrive at the same moment. The language is the one the applicant answered in, so staff
    read a comment knowing which language it was written in.
    """

    __tablename__ = "satisfaction_responses"
    __table_args__ = (CheckConstraint(f"score BETWEEN {MIN_SCORE} AND {MAX_SCORE}", name="score_range"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), unique=True)
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)  # at most MAX_COMMENT_LENGTH characters
    language: Mapped[str] = mapped_column(String(2))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
