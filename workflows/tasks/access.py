"""Who on an agency's staff may see and act on which task.

A task is a permit case of the staff member's agency. Clerks and supervisors see their
own agency's tasks and nothing else; administrators manage packs and accounts and see no
applicant's data. A clerk decides only the tasks they claimed; a supervisor also
reassigns.
"""

from __future__ import annotations

from datetime import datetime

from accounts.models import User
from workflows.models import PermitCase

AGENCY_STAFF = ("clerk", "supervisor")


def is_agency_staff(user: User | None) -> bool:
    return user is not None and user.role in AGENCY_STAFF and bool(user.agency_code)


def is_supervisor(user: User) -> bool:
    return user.role == "supervisor" and bool(user.agency_code)


def can_see(user: User | None, case: PermitCase | None) -> bool:
    """The task is one of the person's agency's (submitted: a draft is nobody's task yet)."""
    return (
        case is not None
        and is_agency_staff(user)
        and case.agency_code == user.agency_code
        and case.paid_at is not None
    )


def is_overdue(case: PermitCase, now: datetime) -> bool:
    """Past the date the agency should have decided by (a case with no due date never is)."""
    return case.decision_due_at is not None and case.decision_due_at < now
