"""The consolidated licence in the engine: issued once, on the last approval; versioned; signed; checked."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from licences.content import without_identity
from licences.issuance import add_months, issue_licence_if_due, latest_licence, revoke_licence
from licences.models import Licence
from licences.numbering import permit_number
from licences.signing import KeyRing, SigningKeyError, key_ring, new_private_key_pem, public_key_text
from licences.verification import find_licence, verify_licence
from tests.answer_sets import TORONTO_FULL, TORONTO_FULL_PERMITS
from tests.factories import NOW, approve_every_step, licensed_application, paid_application, user
from workflows.applications.store import cases_of, chain_of
from workflows.audit.models import AuditEntry
from workflows.notifications.models import OutboxMessage
from workflows.payments import SimulatedGateway
from workflows.permit_workflow import application_status
from workflows.tasks import approve, claim, reject

pytestmark = pytest.mark.money

CONDITIONS = {"TO-EATING": ["Keep the licence on display.", "Réfrigérateur à 4 °C au plus."]}


def licences_of(session, application_id: int) -> list[Licence]:
    return list(
        session.scalars(
            select(Licence).where(Licence.application_id == application_id).order_by(Licence.version)
        )
    )


def emails(session, application_id: int, kind: str) -> list[OutboxMessage]:
    return list(
        session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.application_id == application_id, OutboxMessage.kind == kind
            )
        )
    )


def _decide(session, case, conditions=None) -> None:
    staff = user(session, "clerk", case.agency_code)
    claim(session, case.id, staff, now=NOW)
    approve(session, case.id, staff, conditions, now=NOW)


def test_the_licence_is_issued_once_when_the_last_permit_is_approved(db_session):
    owner = user(db_session)
    application, _ = paid_application(db_session, owner, TORONTO_FULL)
    # Every step but the very last one: nothing is issued while one permit is pending.
    while True:
        cases = cases_of(db_session, application.id)
        waiting = [c for c in cases if c.waiting_on == "clerk"]
        if len(application_status(cases).pending) == 1 and len(waiting) == 1:
            last = waiting[0]
            break
        _decide(db_session, waiting[0])
        assert latest_licence(db_session, application.id) is None
    assert emails(db_session, application.id, "licence_issued") == []

    _decide(db_session, last, CONDITIONS.get(last.permit_code))

    (licence,) = licences_of(db_session, application.id)
    assert licence.version == 1 and re.fullmatch(r"GL-[0-9A-Z]{10}-1", licence.number)
    assert licence.issued_at == NOW and licence.superseded_at is None
    (email,) = emails(db_session, application.id, "licence_issued")
    assert licence.number in email.body
    audit = db_session.scalars(select(AuditEntry).where(AuditEntry.action == "licence.issued")).all()
    assert [
        entry.details["number"] for entry in audit if entry.details["application_id"] == application.id
    ] == [licence.number]
    # Asking again changes nothing: the licence says nothing new.
    assert issue_licence_if_due(db_session, application, now=NOW + timedelta(days=1)) is licence
    assert len(licences_of(db_session, application.id)) == 1


def test_the_licence_says_who_the_business_is_and_every_permit_granted(db_session):
    owner = user(db_session)
    application, _ = licensed_application(db_session, owner, TORONTO_FULL, conditions=CONDITIONS)
    content = latest_licence(db_session, application.id).content
    business = content["business"]
    assert business["business_number"] == application.business_number
    assert business["program_accounts"] == [f"{application.business_number} {p} 0001" for p in ("RP", "RT")]
    assert business["legal_name"] == application.form_values["legal_name"]
    assert business["premises_address"] == application.form_values["premises_address"]
    assert business["postal_code"] == "M5V 2T6"
    assert business["municipality"] == {"code": "3520005", "en": "Toronto", "fr": "Toronto"}
    assert business["province"]["code"] == "CA-ON"

    chain = chain_of(db_session, application)
    permits = {permit.code: permit for permit in chain.permits}
    cases = {case.permit_code: case for case in cases_of(db_session, application.id)}
    assert {p["code"] for p in content["permits"]} == TORONTO_FULL_PERMITS
    levels = [p["level"] for p in content["permits"]]
    assert levels == sorted(levels, key=["federal", "provincial", "municipal"].index)  # grouped by level
    for entry in content["permits"]:
        permit, case = permits[entry["code"]], cases[entry["code"]]
        assert entry["number"] == permit_number(entry["code"], case.id)
        assert entry["name"] == {"en": permit.name.en, "fr": permit.name.fr}
        assert entry["authority"]["en"] == permit.agency.name.en
        assert entry["issued_at"] == NOW.isoformat()
        expected = add_months(NOW, permit.validity_months).isoformat() if permit.validity_months else None
        assert entry["expires_at"] == expected, entry["code"]
        assert entry["conditions"] == CONDITIONS.get(entry["code"], [])
    assert cases["TO-EATING"].expires_at == datetime(2027, 11, 26, 15, 0, tzinfo=UTC)
    assert cases["ON-AGCO"].expires_at == datetime(2028, 11, 26, 15, 0, tzinfo=UTC)  # 24 months
    assert cases["TO-ZONING"].expires_at is None


def test_a_refused_permit_means_no_licence(db_session):
    owner = user(db_session)
    application, _ = paid_application(db_session, owner, TORONTO_FULL)
    zoning = next(c for c in cases_of(db_session, application.id) if c.permit_code == "TO-ZONING")
    clerk = user(db_session, "clerk", "TO-TB")
    claim(db_session, zoning.id, clerk, now=NOW)
    reject(db_session, zoning.id, clerk, "Not a commercial zone.", gateway=SimulatedGateway(), now=NOW)
    approve_every_step(db_session, application)  # whatever can still be decided
    assert issue_licence_if_due(db_session, application, now=NOW) is None
    assert licences_of(db_session, application.id) == []


def test_a_changed_licence_is_a_new_version_and_the_old_one_is_superseded(db_session):
    owner = user(db_session)
    application, _ = licensed_application(db_session, owner, TORONTO_FULL)
    first = latest_licence(db_session, application.id)
    eating = next(c for c in cases_of(db_session, application.id) if c.permit_code == "TO-EATING")
    eating.expires_at = add_months(eating.expires_at, 12)  # as a renewal does
    later = NOW + timedelta(days=300)

    second = issue_licence_if_due(db_session, application, now=later)

    assert (second.version, first.superseded_at) == (2, later)
    assert second.number.rsplit("-", 1)[0] == first.number.rsplit("-", 1)[0]  # one licence, two versions
    assert second.number.endswith("-2") and second.superseded_at is None
    assert without_identity(first.content) != without_identity(second.content)
    old = verify_licence(db_session, first, now=later)
    assert (old.status, old.current_number, old.signature_valid) == ("superseded", second.number, True)
    assert verify_licence(db_session, second, now=later).status == "valid"
    assert len(emails(db_session, application.id, "licence_issued")) == 2


def test_verification_recomputes_the_signature_so_an_edited_record_is_caught(db_session):
    owner = user(db_session)
    application, _ = licensed_application(db_session, owner, TORONTO_FULL)
    licence = latest_licence(db_session, application.id)
    assert verify_licence(db_session, licence, now=NOW).signature_valid

    # Someone with database access renames the business, past the ORM's guard.
    forged = {**licence.content, "business": {**licence.content["business"], "legal_name": "Forged Ltd."}}
    db_session.execute(Licence.__table__.update().where(Licence.id == licence.id).values(content=forged))
    db_session.expire(licence)
    check = verify_licence(db_session, licence, now=NOW)
    assert (check.legal_name, check.signature_valid) == ("Forged Ltd.", False)


def test_a_signature_from_another_key_is_refused_and_a_retired_key_still_verifies(db_session):
    owner = user(db_session)
    application, _ = licensed_application(db_session, owner, TORONTO_FULL)
    licence = latest_licence(db_session, application.id)
    stranger = KeyRing.from_settings(new_private_key_pem())
    forged = stranger.sign(licence.content)
    assert not key_ring().verify(licence.content, forged.value, forged.key_id)  # unknown key id
    assert not key_ring().verify(licence.content, forged.value, key_ring().key_id)  # wrong key's bytes
    assert not key_ring().verify(licence.content, "not base64!", licence.key_id)

    rotated = KeyRing(KeyRing.from_settings(new_private_key_pem())._signing_key, [key_ring().public_key])
    assert rotated.key_id != licence.key_id
    assert verify_licence(db_session, licence, now=NOW, keys=rotated).signature_valid
    retired_text = public_key_text(key_ring().public_key)
    from_settings = KeyRing.from_settings(new_private_key_pem(), f" {retired_text} ,")
    assert from_settings.verify(licence.content, licence.signature, licence.key_id)
    with pytest.raises(SigningKeyError):
        KeyRing.from_settings("not a key")
    with pytest.raises(SigningKeyError):
        KeyRing.from_settings(new_private_key_pem(), "bm90IGEga2V5")


def test_an_issued_licence_cannot_be_edited_or_deleted_through_the_engine(db_session):
    owner = user(db_session)
    application, _ = licensed_application(db_session, owner, TORONTO_FULL)
    licence = latest_licence(db_session, application.id)
    licence.content = {**licence.content, "permits": []}
    with pytest.raises(ValueError, match="content cannot be changed"):
        db_session.flush()
    db_session.rollback()


def test_expired_and_revoked_licences_say_so(db_session):
    owner = user(db_session)
    application, _ = licensed_application(db_session, owner, TORONTO_FULL)
    licence = latest_licence(db_session, application.id)
    eating_expiry = datetime(2027, 11, 26, 15, 0, tzinfo=UTC)
    before, after = eating_expiry - timedelta(seconds=1), eating_expiry
    assert verify_licence(db_session, licence, now=before).status == "valid"
    lapsed = verify_licence(db_session, licence, now=after)
    assert lapsed.status == "expired"
    standing = {permit.code: permit.standing for permit in lapsed.permits}
    assert standing["TO-EATING"] == "expired" and standing["TO-ZONING"] == "valid"

    revoke_licence(db_session, licence, reason="Issued in error.", actor_id=None, now=NOW)
    check = verify_licence(db_session, licence, now=before)
    assert (check.status, check.revoked_reason, check.signature_valid) == (
        "revoked",
        "Issued in error.",
        True,
    )
    with pytest.raises(ValueError, match="already revoked"):
        revoke_licence(db_session, licence, reason="Again.", actor_id=None, now=NOW)


def test_numbers_are_found_as_typed_and_nothing_else(db_session):
    owner = user(db_session)
    application, _ = licensed_application(db_session, owner, TORONTO_FULL)
    licence = latest_licence(db_session, application.id)
    assert find_licence(db_session, f"  {licence.number.lower()} ") is licence
    code = licence.number.split("-")[1]
    for typed in (f"GL-{code}-2", f"GL-{code}", "GL-ILOU000000-1", "' OR 1=1 --", ""):
        assert find_licence(db_session, typed) is None


def test_the_database_refuses_a_second_licence_with_the_same_version(db_session):
    owner = user(db_session)
    application, _ = licensed_application(db_session, owner, TORONTO_FULL)
    licence = latest_licence(db_session, application.id)
    duplicate = text(
        "INSERT INTO licences (application_id, number, version, issued_at, content, signature, key_id) "
        "VALUES (:a, 'GL-0000000000-1', 1, :at, '{}', 'x', 'y')"
    )
    with pytest.raises(IntegrityError), db_session.begin_nested():
        db_session.execute(duplicate, {"a": application.id, "at": NOW})
    assert licences_of(db_session, application.id) == [licence]
