"""Concurrent transitions on the same permits: serialised by the database, none lost or doubled.

Each thread has its own connection and commits, so these tests use their own migrated
database rather than the rolled-back `db_session`. On PostgreSQL the application's cases
are locked with SELECT ... FOR UPDATE; SQLite has a single writer, and the engine's first
statement takes the write lock, so the others wait their turn (busy timeout) instead of
failing with "database is locked".
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from accounts.models import User
from tests.conftest import BACKENDS
from workflows import migrate
from workflows.db import make_engine
from workflows.models import Application, PermitCase, PermitEvent
from workflows.packs.loader import bundled_pack_directory, load_pack_set, read_pack_directory
from workflows.permit_workflow import (
    ConcurrentChange,
    TransitionNotAllowed,
    fire,
    open_cases,
    record_payment,
    submit_application,
    with_row_lock,
)

THREADS = 8


@pytest.fixture(scope="module", params=BACKENDS)
def engine(request, fresh_database) -> Engine:
    engine = make_engine(fresh_database(request.param))
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def model_permit():
    return load_pack_set(read_pack_directory(bundled_pack_directory())).permits["TO-ZONING"]


@pytest.fixture
def make_application(engine, model_permit) -> Callable[..., tuple[int, int, dict[str, int]]]:
    """An application whose cases are submitted and paid: (application id, clerk id, code -> case id)."""

    def make(workflows: dict[str, str], prerequisites=None):
        with Session(engine) as session, session.begin():
            users = [User(email=f"{uuid.uuid4().hex}@example.ca", name="x", password_hash="x") for _ in "ac"]
            session.add_all(users)
            session.flush()
            application = Application(
                owner_id=users[0].id, jurisdiction_code="X", answers={}, pack_versions={}
            )
            session.add(application)
            session.flush()
            permits = [replace(model_permit, code=code, workflow=wf) for code, wf in workflows.items()]
            cases = open_cases(
                session, application.id, permits, prerequisites=prerequisites or {}, fees_cents={}
            )
            submit_application(session, application.id)
            record_payment(session, application.id)
            return application.id, users[1].id, {case.permit_code: case.id for case in cases}

    return make


def _all_at_once(engine: Engine, jobs: list[Callable[[Session], object]]) -> list[object]:
    """Run each job in its own thread and transaction, all starting together; return results or errors."""
    barrier = threading.Barrier(len(jobs))

    def run(job):
        barrier.wait()
        try:
            with Session(engine) as session, session.begin():
                return job(session)
        except Exception as error:  # collected for the assertions
            return error

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        return list(pool.map(run, jobs))


def _locked_fire(case_id: int, event: str, actor_id: int):
    def job(session: Session):
        case = with_row_lock(session, case_id)
        return [(record.event, record.to_state) for record in fire(session, case, event, actor_id=actor_id)]

    return job


def _events(engine: Engine, case_id: int) -> Counter:
    with Session(engine) as session:
        rows = session.scalars(select(PermitEvent.event).where(PermitEvent.permit_case_id == case_id))
        return Counter(rows)


def _case(engine: Engine, case_id: int) -> PermitCase:
    with Session(engine) as session:
        return session.get(PermitCase, case_id)


def test_only_one_of_many_simultaneous_approvals_wins(engine, make_application):
    _app, clerk, ids = make_application({"P": "review"})
    before = _case(engine, ids["P"]).version
    results = _all_at_once(engine, [_locked_fire(ids["P"], "approve", clerk)] * THREADS)
    assert results.count([("approve", "approved")]) == 1
    losers = [result for result in results if isinstance(result, Exception)]
    assert len(losers) == THREADS - 1
    assert all(isinstance(error, TransitionNotAllowed) for error in losers), losers
    assert all(error.state == "approved" and error.allowed == () for error in losers)
    assert _events(engine, ids["P"])["approve"] == 1
    case = _case(engine, ids["P"])
    assert (case.state, case.version) == ("approved", before + 1)


def test_approve_and_reject_race_one_decision_stands(engine, make_application):
    _app, clerk, ids = make_application({"P": "review"})
    events = ["approve", "reject", "request_info", "approve"] * (THREADS // 4)
    results = _all_at_once(engine, [_locked_fire(ids["P"], event, clerk) for event in events])
    won = [result for result in results if not isinstance(result, Exception)]
    assert len(won) >= 1
    history = _events(engine, ids["P"])
    assert sum(history[event] for event in ("approve", "reject", "request_info")) == len(won)
    assert history["approve"] + history["reject"] == 1  # once decided, nothing else may happen
    assert _case(engine, ids["P"]).state in ("approved", "rejected")


def test_prerequisites_approved_at_the_same_time_start_the_dependant_exactly_once(engine, make_application):
    applications = [
        make_application({"A": "review", "B": "review", "C": "review"}, {"C": ["A", "B"]})
        for _ in range(THREADS // 2)
    ]
    jobs = [
        _locked_fire(ids[code], "approve", clerk) for _app, clerk, ids in applications for code in ("A", "B")
    ]
    results = _all_at_once(engine, jobs)
    assert not [result for result in results if isinstance(result, Exception)]
    starts = [result for result in results if ("start", "review") in result]
    assert len(starts) == len(applications)  # whichever approval came second started C
    for _app, _clerk, ids in applications:
        assert _case(engine, ids["C"]).state == "review"
        assert _events(engine, ids["C"]) == Counter({"submit": 1, "pay": 1, "start": 1})


def test_simultaneous_transitions_on_different_cases_are_all_kept(engine, make_application):
    codes = [f"P{number}" for number in range(THREADS)]
    _app, clerk, ids = make_application(dict.fromkeys(codes, "review"))
    results = _all_at_once(engine, [_locked_fire(ids[code], "approve", clerk) for code in codes])
    assert results == [[("approve", "approved")]] * THREADS
    for code in codes:
        assert _case(engine, ids[code]).state == "approved"
        assert _events(engine, ids[code])["approve"] == 1
    with Session(engine) as session:
        total = session.scalar(
            select(func.count()).where(
                PermitEvent.permit_case_id.in_(ids.values()), PermitEvent.event == "approve"
            )
        )
    assert total == THREADS


def test_without_the_lock_a_racing_write_is_refused_not_lost(engine, make_application):
    """Cases read without with_row_lock: every loser is told, none overwrites the winner."""
    _app, clerk, ids = make_application({"P": "review"})

    def unlocked(session: Session):
        case = session.get(PermitCase, ids["P"])
        return fire(session, case, "approve", actor_id=clerk)

    results = _all_at_once(engine, [unlocked] * THREADS)
    assert sum(not isinstance(result, Exception) for result in results) == 1
    losers = [result for result in results if isinstance(result, Exception)]
    assert all(isinstance(error, TransitionNotAllowed | ConcurrentChange) for error in losers), losers
    assert _events(engine, ids["P"])["approve"] == 1


def test_a_stale_case_is_refused_with_concurrent_change(engine, make_application):
    _app, clerk, ids = make_application({"P": "review"})
    with Session(engine, expire_on_commit=False) as reader:
        stale = reader.get(PermitCase, ids["P"])
        reader.commit()  # the page was shown; the clerk thinks for a while
        with Session(engine) as other, other.begin():
            fire(other, with_row_lock(other, ids["P"]), "approve", actor_id=clerk)
        with pytest.raises(ConcurrentChange, match="changed since it was read"), reader.begin():
            fire(reader, stale, "request_info", actor_id=clerk)
    assert _case(engine, ids["P"]).state == "approved"
    assert _events(engine, ids["P"]) == Counter({"submit": 1, "pay": 1, "start": 1, "approve": 1})
