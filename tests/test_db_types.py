"""Timestamps are stored in UTC and come back timezone-aware on every backend."""

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from workflows.models import PackVersion


def _version(**overrides):
    values = dict(jurisdiction_code="X", version=1, filename="x.yaml", source="x", sha256="0" * 64)
    values.update(overrides)
    return PackVersion(**values)


def test_timestamps_come_back_aware_and_in_utc(db_session):
    toronto_time = datetime(2026, 7, 1, 9, 30, tzinfo=timezone(timedelta(hours=-4)))
    db_session.add(_version(published_at=toronto_time))
    db_session.flush()
    db_session.expire_all()
    stored = db_session.scalar(select(PackVersion.published_at).where(PackVersion.jurisdiction_code == "X"))
    assert stored.tzinfo is not None
    assert stored.utcoffset() == timedelta(0)
    assert stored == toronto_time
    assert stored.hour == 13


def test_naive_timestamps_are_refused(db_session):
    db_session.add(_version(published_at=datetime(2026, 7, 1, 9, 30)))
    with pytest.raises(Exception, match="naive datetime refused"):
        db_session.flush()


def test_a_database_error_does_not_carry_the_statements_values(db_session):
    """A failed statement's message reaches the logs; the values in it can be an applicant's data."""
    db_session.add(_version(source="first"))
    db_session.flush()
    with db_session.begin_nested(), pytest.raises(IntegrityError) as refused:
        db_session.add(_version(source="Ada Lovelace, 1815-12-10, SIN 046 454 286"))
        db_session.flush()
    assert "Ada Lovelace" not in str(refused.value)
    assert "SQL parameters hidden" in str(refused.value)
