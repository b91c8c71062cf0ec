"""Checking the chain: every entry still says what it said, and none is missing.

Entries get consecutive ids from 1 (the log assigns them under its lock, and a rolled-back
transaction uses none), each entry's hash covers its content and the previous entry's
hash, and each stores that previous hash. So an entry edited in place no longer matches
its own hash, an entry deleted leaves a gap in the ids and a broken link, and an entry
rewritten together with its hash no longer matches the link the next one stored.
What cannot be seen from the log alone: the newest entries removed from its end. Keep the
last hash somewhere else and pass it as `known`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.audit.chain import entry_hash
from workflows.audit.models import GENESIS_HASH, AuditEntry

BATCH = 1000  # rows fetched at a time: the log is read as a stream, whatever its size


@dataclass(frozen=True, slots=True)
class AuditProblem:
    """The first entry found wrong, and why."""

    entry_id: int
    reason: str

    def __str__(self) -> str:
        return f"entry {self.entry_id}: {self.reason}"


@dataclass(frozen=True, slots=True)
class Verification:
    """What `verify` found: how many entries it checked (before the problem, if any) and the last
    good entry's id and hash, worth keeping elsewhere to detect a truncated log later."""

    entries: int
    last_id: int | None
    last_hash: str
    problem: AuditProblem | None

    @property
    def ok(self) -> bool:
        return self.problem is None


def verify(session: Session, *, known: tuple[int, str] | None = None) -> Verification:
    """Walk the log in id order, recomputing each hash and checking each link; stop at the first problem.

    `known` is (id, hash) of an entry seen earlier, for instance printed by a previous run:
    the log must still hold that entry with that hash, which catches its newest entries
    having been cut off.
    """
    columns = select(
        AuditEntry.id,
        AuditEntry.at,
        AuditEntry.actor_id,
        AuditEntry.action,
        AuditEntry.subject,
        AuditEntry.details,
        AuditEntry.prev_hash,
        AuditEntry.hash,
    ).order_by(AuditEntry.id)
    rows = session.execute(columns.execution_options(yield_per=BATCH))
    count, last_id, last_hash = 0, None, GENESIS_HASH
    try:
        for row in rows:
            problem = _problem(row, last_id, last_hash) or _unlike_known(row, known)
            if problem is not None:
                return Verification(count, last_id, last_hash, problem)
            count, last_id, last_hash = count + 1, row.id, row.hash
    finally:
        rows.close()
    if known is not None and known[0] > (last_id or 0):
        problem = AuditProblem(
            known[0], f"missing: the log ends at entry {last_id or 0}, so its newest entries were removed"
        )
        return Verification(count, last_id, last_hash, problem)
    return Verification(count, last_id, last_hash, None)


def _problem(row, previous_id: int | None, previous_hash: str) -> AuditProblem | None:
    expected_id = (previous_id or 0) + 1
    if row.id != expected_id:
        where = f"entry {row.id} follows entry {previous_id}"
        if previous_id is None:
            where = f"the log starts at entry {row.id}"
        return AuditProblem(expected_id, f"missing, deleted ({where})")
    content = entry_hash(
        id=row.id,
        at=row.at,
        actor_id=row.actor_id,
        action=row.action,
        subject=row.subject,
        details=row.details,
        prev_hash=row.prev_hash,
    )
    if content != row.hash:
        return AuditProblem(row.id, "content changed: it no longer matches its hash")
    if row.prev_hash != previous_hash:
        before = f"entry {previous_id}" if previous_id else "the start of the log"
        return AuditProblem(
            row.id, f"previous entry missing or changed: its link does not match {before}'s hash"
        )
    return None


def _unlike_known(row, known: tuple[int, str] | None) -> AuditProblem | None:
    if known is not None and row.id == known[0] and row.hash != known[1]:
        return AuditProblem(row.id, "changed: its hash is not the one recorded earlier")
    return None
