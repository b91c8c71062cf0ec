"""Whose figures a member of staff sees: a supervisor, their agency's; an administrator, their
jurisdiction's.

A supervisor's scope is the permits their agency decides, and the applications holding at
least one of them. An administrator reaches their jurisdiction and every one below it
(`workflows.jurisdictions`): the applications made in a municipality within it, with all
their permits (federal and provincial ones included, since the applicant came through that
municipality's window). CA reaches every application; an administrator with no
jurisdiction on record reaches none. Anyone else has no scope.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, exists

from accounts.models import User
from workflows.jurisdictions import within_clause
from workflows.models import Application, PermitCase


@dataclass(frozen=True, slots=True)
class Scope:
    """Either an agency (a supervisor's) or a jurisdiction reached (an administrator's)."""

    agency_code: str | None = None
    jurisdiction_code: str | None = None

    def applications(self) -> ColumnElement[bool]:
        """The condition an application in scope meets."""
        if self.agency_code is not None:
            return exists().where(
                PermitCase.application_id == Application.id, PermitCase.agency_code == self.agency_code
            )
        return within_clause(Application.jurisdiction_code, self.jurisdiction_code)

    def cases(self) -> ColumnElement[bool]:
        """The condition a permit case in scope meets (with its application joined)."""
        if self.agency_code is not None:
            return PermitCase.agency_code == self.agency_code
        return within_clause(Application.jurisdiction_code, self.jurisdiction_code)


def scope_of(user: User | None) -> Scope | None:
    """The figures `user` may see, or None: only supervisors and administrators have any."""
    if user is None:
        return None
    if user.role == "supervisor" and user.agency_code:
        return Scope(agency_code=user.agency_code)
    if user.role == "admin":
        return Scope(jurisdiction_code=user.jurisdiction_code)
    return None
