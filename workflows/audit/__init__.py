"""The audit log: an append-only, hash-chained record of who did what, and when.

`record` appends an entry in the caller's transaction; permit transitions, consents,
payments, refunds, disbursements and processor events are recorded by themselves
(`automatic`); `verify` walks the chain and names the first entry edited or deleted.
docs/audit.md explains the chain, the lock and the limits.
"""

from workflows.audit import automatic  # noqa: F401  (installs the listeners that log rows as they are written)
from workflows.audit.log import LOCK_KEY, record, write_pending
from workflows.audit.models import GENESIS_HASH, AuditEntry
from workflows.audit.verify import AuditProblem, Verification, verify

__all__ = [
    "GENESIS_HASH",
    "LOCK_KEY",
    "AuditEntry",
    "AuditProblem",
    "Verification",
    "record",
    "verify",
    "write_pending",
]
