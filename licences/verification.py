"""Checking a licence by its number, as anyone may: is it genuine, and is it in force?

Everything shown comes from the licence's signed content, after its signature is checked
against the service's trusted keys, so an edited row reads as not authentic. Only what a
public business registry shows is given out: the business's names and Business Number, its
municipality, and each permit with its authority, number, dates and standing; never the
owner, the premises' address, program accounts or the clerks' conditions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from licences.models import Licence
from licences.numbering import normalized_number
from licences.signing import ALGORITHM, KeyRing, key_ring
from workflows.text import Text

Status = Literal["valid", "superseded", "expired", "revoked"]
PermitStanding = Literal["valid", "expired"]


@dataclass(frozen=True, slots=True)
class PermitOnLicence:
    code: str
    number: str
    level: str
    name: Text
    authority: Text
    issued_at: datetime | None
    expires_at: datetime | None
    standing: PermitStanding


@dataclass(frozen=True, slots=True)
class Verification:
    """What the public verification page and API say of one licence version."""

    number: str
    version: int
    issued_at: datetime
    status: Status
    signature_valid: bool
    signature: str
    key_id: str
    current_number: str | None  # the version in force, when this one is superseded
    revoked_reason: str | None
    legal_name: str | None
    operating_name: str | None
    business_number: str | None
    municipality: Text
    province: Text | None
    permits: tuple[PermitOnLicence, ...]
    algorithm: str = ALGORITHM


def find_licence(session: Session, typed: str) -> Licence | None:
    """The licence version with this number (as typed: any case, spaces around), or None."""
    number = normalized_number(typed)
    if number is None:
        return None
    return session.scalar(select(Licence).where(Licence.number == number))


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _text(names: dict[str, Any] | None) -> Text | None:
    return Text(names["en"], names["fr"]) if names else None


def verify_licence(
    session: Session, licence: Licence, *, now: datetime, keys: KeyRing | None = None
) -> Verification:
    """Check the signature and work out the standing: revoked, else superseded, else expired if any
    permit on it has lapsed, else valid."""
    content = licence.content
    permits = tuple(
        PermitOnLicence(
            code=permit["code"],
            number=permit["number"],
            level=permit["level"],
            name=_text(permit["name"]),
            authority=_text(permit["authority"]),
            issued_at=_moment(permit["issued_at"]),
            expires_at=_moment(permit["expires_at"]),
            standing="expired" if permit["expires_at"] and _moment(permit["expires_at"]) <= now else "valid",
        )
        for permit in content["permits"]
    )
    if licence.revoked_at is not None:
        status: Status = "revoked"
    elif licence.superseded_at is not None:
        status = "superseded"
    elif any(permit.standing == "expired" for permit in permits):
        status = "expired"
    else:
        status = "valid"
    business = content["business"]
    return Verification(
        number=licence.number,
        version=licence.version,
        issued_at=licence.issued_at,
        status=status,
        signature_valid=(keys or key_ring()).verify(content, licence.signature, licence.key_id)
        and content.get("licence", {}).get("number") == licence.number,
        signature=licence.signature,
        key_id=licence.key_id,
        current_number=_current_number(session, licence) if status == "superseded" else None,
        revoked_reason=licence.revoked_reason,
        legal_name=business["legal_name"],
        operating_name=business["operating_name"],
        business_number=business["business_number"],
        municipality=_text(business["municipality"]),
        province=_text(business["province"]),
        permits=permits,
    )


def _current_number(session: Session, licence: Licence) -> str | None:
    """The newest version of the same licence that is not itself superseded."""
    return session.scalar(
        select(Licence.number)
        .where(Licence.application_id == licence.application_id, Licence.superseded_at.is_(None))
        .order_by(Licence.version.desc())
        .limit(1)
    )
