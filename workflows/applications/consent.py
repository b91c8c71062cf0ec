"""Consent to share: each agency receives only the fields its permits need, once the applicant agrees.

A consent names the exact fields it covers. If the application later needs more fields
for an agency (a triage answer changed), the old consent no longer covers them and the
applicant is asked again; a consent is never widened behind their back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.application_form import AgencyShare, agency_shares
from workflows.applications.errors import ApplicationError
from workflows.applications.store import applied_for, cases_of, chain_of
from workflows.models import Application, Consent
from workflows.text import FieldError, Text


@dataclass(frozen=True, slots=True)
class ConsentRequest:
    """What one agency would receive and why, and whether the applicant has agreed to exactly that."""

    share: AgencyShare
    consent: Consent | None  # the latest consent covering every field of the share, if any

    @property
    def agency_code(self) -> str:
        return self.share.agency.code

    @property
    def field_ids(self) -> tuple[str, ...]:
        return tuple(f.definition.id for f in self.share.fields)

    @property
    def given(self) -> bool:
        return self.consent is not None


def consent_requests(session: Session, application: Application) -> list[ConsentRequest]:
    """Per agency of the application, its share of the form and the consent covering it, if given."""
    chain = chain_of(session, application)
    cases = applied_for(cases_of(session, application.id))
    shares = agency_shares(chain, (case.permit_code for case in cases))
    given = _consents(session, application.id)
    return [ConsentRequest(share, _covering(given, share)) for share in shares]


def give_consent(
    session: Session, application: Application, agency_codes: Sequence[str], *, user_id: int, now: datetime
) -> list[Consent]:
    """Record the applicant's consent for these agencies, each for the fields it would receive now.

    Refuses codes that are not among the application's agencies (nothing is recorded then).
    An agency already covered gets no duplicate row.
    """
    requests = {request.agency_code: request for request in consent_requests(session, application)}
    errors = [
        FieldError(
            f"agencies.{index}",
            Text(
                f"{code} is not an agency of this application.",
                f"{code} n'est pas un organisme visé par cette demande.",
            ),
        )
        for index, code in enumerate(agency_codes)
        if code not in requests
    ]
    if errors:
        raise ApplicationError(errors)
    recorded = []
    for code in dict.fromkeys(agency_codes):
        request = requests[code]
        if not request.given:
            consent = Consent(
                application_id=application.id,
                agency_code=code,
                fields=list(request.field_ids),
                given_by=user_id,
                given_at=now,
            )
            session.add(consent)
            recorded.append(consent)
    session.flush()
    return recorded


def missing_consents(requests: Sequence[ConsentRequest]) -> list[FieldError]:
    return [
        FieldError(
            f"consents.{request.agency_code}",
            Text(
                "Consent to share your information with this agency is needed: "
                f"{request.share.agency.name.en}.",
                "Votre consentement est nécessaire pour communiquer vos renseignements à cet organisme : "
                f"{request.share.agency.name.fr}.",
            ),
        )
        for request in requests
        if not request.given
    ]


def _consents(session: Session, application_id: int) -> dict[str, list[Consent]]:
    found: dict[str, list[Consent]] = {}
    statement = select(Consent).where(Consent.application_id == application_id).order_by(Consent.id.desc())
    for consent in session.scalars(statement):
        found.setdefault(consent.agency_code, []).append(consent)
    return found


def _covering(given: dict[str, list[Consent]], share: AgencyShare) -> Consent | None:
    needed = {f.definition.id for f in share.fields}
    return next((c for c in given.get(share.agency.code, ()) if needed <= set(c.fields)), None)
