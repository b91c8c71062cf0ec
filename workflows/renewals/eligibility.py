"""Which permits of an application can be renewed now, and what renewing each one costs.

A permit is renewable once granted with an expiry, from 60 days before it lapses (when the
first reminder goes out) and for as long after as the applicant needs: an expired permit
is renewed too, its new validity then counted from the renewal. The rules and fees come
from the packs pinned on the application, like everything else about it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from workflows.applications.store import cases_of, chain_of
from workflows.fees import Charge, FeeSchedule
from workflows.models import Application, PermitCase
from workflows.packs.model import Chain, Permit
from workflows.workflow_templates import APPROVED

#: How long before expiry renewal opens: the first reminder's lead time.
RENEWAL_WINDOW = timedelta(days=60)


@dataclass(frozen=True, slots=True)
class RenewablePermit:
    """One granted permit open for renewal, with what renewing it costs on the given answers."""

    case: PermitCase
    permit: Permit
    charge: Charge

    @property
    def expires_at(self) -> datetime:
        return self.case.expires_at

    def lapsed(self, now: datetime) -> bool:
        return self.case.expires_at <= now


def renewal_schedule(permit: Permit) -> FeeSchedule:
    """The pack's renewal fee when it gives one (Toronto's $349 instead of $516), else the fee itself
    (a CaféTO patio pays its per-m² fee again every season)."""
    return permit.renewal_fee or permit.fee


def renewal_opens_at(case: PermitCase) -> datetime | None:
    """When the permit can first be renewed; None for a permit that never expires."""
    return case.expires_at - RENEWAL_WINDOW if case.expires_at is not None else None


def is_renewable(case: PermitCase, now: datetime) -> bool:
    opens = renewal_opens_at(case)
    return case.state == APPROVED and opens is not None and opens <= now


def renewable_in(
    chain: Chain, cases: Iterable[PermitCase], answers: Mapping[str, Any], now: datetime
) -> list[RenewablePermit]:
    """The cases renewable now, in the order the application lists its permits, each with its
    renewal fee worked out on `answers` (the application's, or those a renewal would leave)."""
    permits = {permit.code: permit for permit in chain.permits}
    found = [case for case in cases if is_renewable(case, now) and permits[case.permit_code].validity_months]
    found.sort(key=lambda case: chain.permit_rank[case.permit_code])
    return [
        RenewablePermit(case, permit, renewal_schedule(permit).charge(answers))
        for case, permit in ((case, permits[case.permit_code]) for case in found)
    ]


def renewable_permits(
    session: Session, application: Application, *, now: datetime, answers: Mapping[str, Any] | None = None
) -> list[RenewablePermit]:
    """The application's permits renewable now, with their renewal fees (on its answers unless
    `answers` says otherwise)."""
    return renewable_in(
        chain_of(session, application),
        cases_of(session, application.id),
        application.answers if answers is None else answers,
        now,
    )
