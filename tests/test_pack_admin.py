"""Administrators' packs in the engine: reach, preview, publishing, versions, restoring (both databases)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from accounts.service import AccountError, create_account
from tests.answer_sets import TORONTO_FULL
from tests.factories import paid_application, user
from workflows.applications.store import cases_of
from workflows.audit import AuditEntry
from workflows.jurisdictions import is_jurisdiction_code, is_within, province_of, within_clause
from workflows.models import PackVersion
from workflows.pack_admin import (
    AlreadyInForce,
    OutOfReach,
    StalePreview,
    VersionNotFound,
    check_reach,
    list_versions,
    preview,
    preview_restore,
    publish,
    restore,
)
from workflows.pack_admin.samples import complete_answers, sample_answer_sets
from workflows.pack_store import active_versions, load_active_pack_set, load_pinned_pack_set, packs_revision
from workflows.packs import PackError
from workflows.packs.loader import PackSource, bundled_pack_directory

EXAMPLES = Path(__file__).parent.parent / "docs" / "examples"
TORONTO_FILE = bundled_pack_directory() / "toronto-3520005.yaml"
EATING_FEE = ("fee: {kind: flat, amount_cents: 51600}", "fee: {kind: flat, amount_cents: 52600}")


def toronto(*changes: tuple[str, str]) -> PackSource:
    text = TORONTO_FILE.read_text(encoding="utf-8")
    for old, new in changes:
        assert old in text
        text = text.replace(old, new, 1)
    return PackSource("toronto-3520005.yaml", text)


def halifax_sources() -> list[PackSource]:
    return [
        PackSource(name, (EXAMPLES / name).read_text(encoding="utf-8"))
        for name in ("ca-ns.yaml", "halifax-1209034.yaml")
    ]


def admin_of(session, reach: str):
    account = user(session, "admin")
    account.jurisdiction_code = reach
    session.flush()
    return account


def counts(session) -> tuple[int, int]:
    return (
        session.scalar(select(func.count()).select_from(PackVersion)),
        session.scalar(select(func.count()).select_from(AuditEntry)),
    )


# Reach -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "reach", "within"),
    [
        ("3520005", "CA", True),
        ("CA", "CA", True),
        ("3520005", "CA-ON", True),
        ("CA-ON", "CA-ON", True),
        ("5915022", "CA-ON", False),
        ("CA", "CA-ON", False),
        ("CA-BC", "CA-ON", False),
        ("1209034", "CA-NS", True),  # a municipality with no pack yet: its code says where it is
        ("3520005", "3520005", True),
        ("CA-ON", "3520005", False),
        ("3506008", "3520005", False),
        ("3520005", None, False),
        ("9920005", "CA", False),  # no province has SGC 99
    ],
)
def test_a_jurisdiction_is_within_its_own_reach_and_those_above_it(code, reach, within):
    assert is_within(code, reach) is within


def test_codes_and_provinces():
    assert province_of("1209034") == "CA-NS"
    assert province_of("CA-NS") is None
    assert [is_jurisdiction_code(c) for c in ("CA", "CA-NS", "1209034", "CA-XX", "12345", 3520005)] == [
        True,
        True,
        True,
        False,
        False,
        False,
    ]


@pytest.mark.parametrize(
    ("reach", "codes"),
    [
        ("CA", {"CA", "CA-BC", "CA-ON", "3520005", "5915022"}),
        ("CA-ON", {"CA-ON", "3520005"}),
        ("5915022", {"5915022"}),
        ("CA-QC", set()),
        (None, set()),
    ],
)
def test_the_reach_as_sql_selects_the_same_rows(db_session, reach, codes):
    found = set(
        db_session.scalars(
            select(PackVersion.jurisdiction_code).where(within_clause(PackVersion.jurisdiction_code, reach))
        )
    )
    assert found == codes
    assert {code for code in found if is_within(code, reach)} == found


def test_an_upload_beyond_the_reach_is_refused_with_its_location():
    with pytest.raises(OutOfReach) as refused:
        check_reach([toronto(), *halifax_sources()], "CA-NS")
    [problem] = refused.value.problems
    assert (problem.file, problem.path, problem.line) == ("toronto-3520005.yaml", "jurisdiction.code", 22)
    assert "3520005 is outside your reach" in problem.reason
    assert "hors de votre portée" in refused.value.reasons[0].fr
    check_reach(halifax_sources(), "CA-NS")  # a brand-new municipality of the province: allowed
    check_reach([PackSource("broken.yaml", "format: [")], "3520005")  # left to validation


# Preview -----------------------------------------------------------------------------------


def test_a_preview_lists_what_changes_item_by_item(db_session):
    added = """  - code: TO-MUSIC-NOTE
    kind: information
    name: {en: Music licence note, fr: Note sur les licences de musique}
    description: {en: Ask SOCAN., fr: Demandez à la SOCAN.}
    applies_if: {question: plays_music, equals: true}
"""
    text = toronto(EATING_FEE).text.rstrip("\n") + "\n\nsuggestions:\n" + added
    result = preview(db_session, [PackSource("toronto-3520005.yaml", text)], reach="CA-ON")
    [pack] = result.packs
    assert (pack.jurisdiction_code, pack.version_in_force, pack.unchanged) == ("3520005", 1, False)
    assert [(c.section, c.key, c.kind, c.changed_keys) for c in pack.changes] == [
        ("permits", "TO-EATING", "changed", ("fee",)),
        ("suggestions", "TO-MUSIC-NOTE", "added", ()),
    ]
    assert pack.changes[0].title.en == "Eating or drinking establishment licence"
    assert "-    fee: {kind: flat, amount_cents: 51600}" in pack.text_diff
    assert "+    fee: {kind: flat, amount_cents: 52600}" in pack.text_diff
    assert result.changes_anything and result.revision == packs_revision(db_session)


def test_a_removed_permit_is_named_and_disappears_from_the_samples(db_session):
    engine_before = load_active_pack_set(db_session)
    sign = engine_before.permits["TO-SIGN"]
    text = TORONTO_FILE.read_text(encoding="utf-8")
    start = text.index("  - code: TO-SIGN")
    end = text.index("  - code:", start + 1)
    result = preview(db_session, [PackSource("toronto-3520005.yaml", text[:start] + text[end:])], reach="CA")
    assert ("permits", "TO-SIGN", "removed") in [(c.section, c.key, c.kind) for c in result.packs[0].changes]
    cafe = next(c for c in result.samples if c.sample.key == "cafe")
    assert "TO-SIGN" in cafe.before.codes and cafe.removed == ("TO-SIGN",)
    assert cafe.fee_difference_cents == -sign.fee.amount_cents(cafe.sample.answers)


def test_the_samples_compare_permits_and_fees_before_and_after(db_session):
    result = preview(db_session, [toronto(EATING_FEE)], reach="CA-ON")
    assert {c.municipality.code for c in result.samples} == {"3520005"}
    keys = [c.sample.key for c in result.samples]
    assert keys[:4] == ["cafe", "restaurant", "plain", "all-yes"]
    assert set(keys[4:]) == {"choice-patio_type-sidewalk", "choice-patio_type-private"}
    for comparison in result.samples:
        expected = 1000 if "TO-EATING" in comparison.after.codes else 0
        assert comparison.fee_difference_cents == expected, comparison.sample.key
        assert comparison.before.codes == comparison.after.codes
    restaurant = next(c for c in result.samples if c.sample.key == "restaurant")
    assert {"ON-AGCO", "TO-CAFETO", "TO-EATING"} <= set(restaurant.after.codes)  # a realistic restaurant
    plain = next(c for c in result.samples if c.sample.key == "plain")
    assert "ON-AGCO" not in plain.after.codes


def test_a_provincial_change_reaches_only_its_municipalities(db_session):
    ontario = (bundled_pack_directory() / "ca-on.yaml").read_text(encoding="utf-8") + "\n# reviewed\n"
    result = preview(db_session, [PackSource("ca-on.yaml", ontario)], reach="CA-ON")
    assert result.packs[0].changes == () and result.packs[0].text_diff
    assert {c.municipality.code for c in result.samples} == {"3520005"}
    assert all(not c.differs for c in result.samples)


def test_a_new_municipality_has_no_before_and_every_item_added(db_session):
    result = preview(db_session, halifax_sources(), reach="CA-NS")
    assert [(p.jurisdiction_code, p.version_in_force) for p in result.packs] == [
        ("CA-NS", None),
        ("1209034", None),
    ]
    halifax = result.packs[1]
    assert {c.kind for c in halifax.changes} == {"added"}
    assert ("permits", "HFX-SIDEWALK") in [(c.section, c.key) for c in halifax.changes]
    assert {c.municipality.code for c in result.samples} == {"1209034"}
    assert all(c.before is None and c.differs for c in result.samples)
    keys = {c.sample.key for c in result.samples}
    assert {
        "choice-premises_use-other",
        "choice-premises_use-new_building",
        "choice-patio_location-sidewalk",
    } <= keys


def test_an_unchanged_file_previews_as_nothing_to_publish(db_session):
    result = preview(db_session, [toronto()], reach="CA")
    assert result.packs[0].unchanged and not result.changes_anything and result.samples == ()


def test_a_preview_of_broken_files_lists_every_problem_and_stores_nothing(db_session):
    before = counts(db_session)
    broken = toronto(("question: has_patio", "question: has_pool"), ("workflow: review", "workflow: revue"))
    with pytest.raises(PackError) as rejected:
        preview(db_session, [broken], reach="CA")
    reasons = [p.reason for p in rejected.value.problems]
    assert any("unknown question has_pool" in r for r in reasons)
    assert any("revue" in r for r in reasons)
    assert all(p.file == "toronto-3520005.yaml" and p.line for p in rejected.value.problems)
    assert counts(db_session) == before


def test_samples_are_completed_with_the_plainest_answers_and_say_so(db_session):
    chain = load_active_pack_set(db_session).chains["3520005"]
    answers, assumed = complete_answers(chain, {"serves_alcohol": True, "seating_capacity": "lots"})
    assert answers["serves_alcohol"] is True
    assert answers["seating_capacity"] == 0 and "seating_capacity" in assumed
    assert "sells_taxable_goods" not in answers  # Vancouver's question: not in Toronto's chain
    assert [s.key for s in sample_answer_sets(chain)][:2] == ["cafe", "restaurant"]


# Publishing, versions, restoring -------------------------------------------------------------


def test_publishing_records_who_and_audits_each_new_version(db_session):
    admin = admin_of(db_session, "CA-ON")
    [result] = publish(db_session, [toronto(EATING_FEE)], actor=admin)
    assert (result.jurisdiction_code, result.version, result.changed) == ("3520005", 2, True)
    row = db_session.scalar(
        select(PackVersion).where(PackVersion.jurisdiction_code == "3520005", PackVersion.active)
    )
    assert (row.version, row.published_by_id) == (2, admin.id)
    entry = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "pack.publish"))
    assert (entry.actor_id, entry.subject) == (admin.id, f"pack_version:{row.id}")
    assert entry.details["jurisdiction"] == "3520005" and entry.details["version"] == 2
    [again] = publish(db_session, [toronto(EATING_FEE)], actor=admin)
    assert again.changed is False
    assert db_session.scalar(select(func.count()).where(AuditEntry.action == "pack.publish")) == 1


@pytest.mark.parametrize(
    ("reach", "sources", "error"),
    [
        ("5915022", lambda: [toronto(EATING_FEE)], OutOfReach),
        ("CA-ON", lambda: [toronto(("question: has_patio", "question: has_pool"))], PackError),
        ("CA-ON", lambda: [toronto(EATING_FEE), *halifax_sources()], OutOfReach),
    ],
)
def test_a_refused_upload_stores_nothing(db_session, reach, sources, error):
    admin = admin_of(db_session, reach)
    before = counts(db_session)
    with pytest.raises(error):
        publish(db_session, sources(), actor=admin)
    assert counts(db_session) == before


def test_publishing_after_someone_else_did_is_refused_as_stale(db_session):
    admin = admin_of(db_session, "CA")
    seen = preview(db_session, [toronto(EATING_FEE)], reach="CA").revision
    publish(db_session, [toronto(("amount_cents: 20000", "amount_cents: 21000"))], actor=None)
    before = counts(db_session)
    with pytest.raises(StalePreview):
        publish(db_session, [toronto(EATING_FEE)], actor=admin, expected_revision=seen)
    assert counts(db_session) == before


def test_versions_are_listed_newest_first_and_restoring_publishes_a_new_version(db_session):
    admin = admin_of(db_session, "3520005")
    publish(db_session, [toronto(EATING_FEE)], actor=admin)
    listed = list_versions(db_session, "3520005", actor=admin)
    assert [(v.version, v.active, v.published_by) for v in listed] == [(2, True, "admin"), (1, False, None)]
    restored_preview = preview_restore(db_session, "3520005", 1, actor=admin)
    assert [(c.key, c.kind) for c in restored_preview.packs[0].changes] == [("TO-EATING", "changed")]
    result = restore(db_session, "3520005", 1, actor=admin)
    assert (result.version, result.changed) == (3, True)
    rows = db_session.scalars(
        select(PackVersion).where(PackVersion.jurisdiction_code == "3520005").order_by(PackVersion.version)
    ).all()
    assert [(r.version, r.active) for r in rows] == [(1, False), (2, False), (3, True)]
    assert rows[2].sha256 == rows[0].sha256 and rows[2].published_by_id == admin.id
    assert load_active_pack_set(db_session).permits["TO-EATING"].fee.amount_cents({}) == 51600
    entry = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "pack.restore"))
    assert entry.details["restored_from"] == 1 and entry.details["version"] == 3
    with pytest.raises(AlreadyInForce):
        restore(db_session, "3520005", 3, actor=admin)
    with pytest.raises(AlreadyInForce):
        restore(db_session, "3520005", 1, actor=admin)  # the same text as version 3, in force


def test_another_jurisdictions_versions_are_not_found(db_session):
    admin = admin_of(db_session, "5915022")
    for attempt in (
        lambda: list_versions(db_session, "3520005", actor=admin),
        lambda: preview_restore(db_session, "3520005", 1, actor=admin),
        lambda: restore(db_session, "3520005", 1, actor=admin),
        lambda: list_versions(db_session, "5915099", actor=admin),
        lambda: restore(db_session, "5915022", 9, actor=admin),
    ):
        with pytest.raises(VersionNotFound):
            attempt()
    clerk = user(db_session, "clerk", "TO-TB")
    with pytest.raises(VersionNotFound):
        list_versions(db_session, "3520005", actor=clerk)


def test_a_restored_version_that_no_longer_fits_is_refused(db_session):
    """Toronto's version 1 names Ontario's permit ON-AGCO; once Ontario renamed it, v1 cannot come back."""
    ontario = (bundled_pack_directory() / "ca-on.yaml").read_text(encoding="utf-8")
    permit_line = ontario.index("  - code: ON-AGCO", ontario.index("permits:"))
    ontario = ontario[:permit_line] + ontario[permit_line:].replace("code: ON-AGCO", "code: ON-LIQUOR", 1)
    renamed = TORONTO_FILE.read_text(encoding="utf-8").replace("permit: ON-AGCO}", "permit: ON-LIQUOR}")
    renamed = renamed.replace("prerequisite_of: [ON-AGCO]", "prerequisite_of: [ON-LIQUOR]")
    publish(
        db_session,
        [PackSource("ca-on.yaml", ontario), PackSource("toronto-3520005.yaml", renamed)],
        actor=None,
    )
    before = counts(db_session)
    with pytest.raises(PackError) as refused:
        restore(db_session, "3520005", 1, actor=None)
    assert any("ON-AGCO" in problem.reason for problem in refused.value.problems)
    assert counts(db_session) == before


def test_applications_in_flight_keep_the_versions_they_were_made_with(db_session):
    owner = user(db_session)
    application, _ = paid_application(db_session, owner, TORONTO_FULL)
    pinned = dict(application.pack_versions)
    assert pinned == {"CA": 1, "CA-ON": 1, "3520005": 1}
    fee_before = {case.permit_code: case.fee_cents for case in cases_of(db_session, application.id)}
    publish(db_session, [toronto(EATING_FEE)], actor=admin_of(db_session, "CA-ON"))
    db_session.refresh(application)
    assert application.pack_versions == pinned
    assert {case.permit_code: case.fee_cents for case in cases_of(db_session, application.id)} == fee_before
    assert load_pinned_pack_set(db_session, pinned).permits["TO-EATING"].fee.amount_cents({}) == 51600
    assert load_active_pack_set(db_session).permits["TO-EATING"].fee.amount_cents({}) == 52600
    later, _ = paid_application(db_session, user(db_session), TORONTO_FULL)
    assert later.pack_versions["3520005"] == 2
    assert {v.jurisdiction_code: v.version for v in active_versions(db_session)}["3520005"] == 2


# Accounts ------------------------------------------------------------------------------------


def test_an_administrator_needs_a_jurisdiction_and_nobody_else_has_one(db_session):
    values = {"email": "root@example.ca", "password": "correct horse battery", "name": "Root"}
    admin = create_account(db_session, **values, role="admin", jurisdiction_code="1209034")
    assert admin.jurisdiction_code == "1209034"
    for role, agency, code, message in [
        ("admin", None, None, "Administrators have a jurisdiction"),
        ("admin", None, "CA-XX", "'CA-XX' is not a jurisdiction"),
        ("clerk", "TO-TB", "CA", "Administrators have a jurisdiction"),
        ("applicant", None, "3520005", "Administrators have a jurisdiction"),
    ]:
        with pytest.raises(AccountError) as refused:
            create_account(
                db_session,
                **{**values, "email": f"{role}@example.ca"},
                role=role,
                agency_code=agency,
                jurisdiction_code=code,
            )
        [error] = refused.value.errors
        assert error.field == "jurisdiction" and message in error.message.en and error.message.fr
