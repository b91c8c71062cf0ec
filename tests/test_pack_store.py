"""Publishing packs to the database: versions, validation against the packs in force, all or nothing."""

import gc
import weakref
from weakref import WeakValueDictionary

import pytest
from sqlalchemy import func, select, update

from workflows import pack_store
from workflows.models import PackVersion
from workflows.pack_store import (
    active_versions,
    load_active_pack_set,
    load_pinned_pack_set,
    pinned_versions,
    publish_packs,
    validate_with_active,
)
from workflows.packs import PackError, loader
from workflows.packs.loader import PackSource, bundled_pack_directory, read_pack_directory, schema_stamp

TORONTO_FILE = bundled_pack_directory() / "toronto-3520005.yaml"


def toronto(text_change: tuple[str, str] | None = None) -> PackSource:
    text = TORONTO_FILE.read_text(encoding="utf-8")
    if text_change:
        assert text_change[0] in text
        text = text.replace(*text_change, 1)
    return PackSource("toronto-3520005.yaml", text)


def version_count(session) -> int:
    return session.scalar(select(func.count()).select_from(PackVersion))


def test_the_bundled_packs_are_in_force_at_version_1(db_session):
    versions = {v.jurisdiction_code: v.version for v in active_versions(db_session)}
    assert versions == {"CA": 1, "CA-ON": 1, "CA-BC": 1, "3520005": 1, "5915022": 1}


def test_publishing_the_same_text_again_changes_nothing(db_session):
    before = version_count(db_session)
    [result] = publish_packs(db_session, [toronto()])
    assert (result.jurisdiction_code, result.version, result.changed) == ("3520005", 1, False)
    assert version_count(db_session) == before


def test_a_changed_pack_becomes_a_new_version_and_the_old_one_is_kept(db_session):
    [result] = publish_packs(db_session, [toronto(("amount_cents: 51600", "amount_cents: 52600"))])
    assert (result.version, result.changed) == (2, True)
    rows = db_session.scalars(
        select(PackVersion).where(PackVersion.jurisdiction_code == "3520005").order_by(PackVersion.version)
    ).all()
    assert [(r.version, r.active) for r in rows] == [(1, False), (2, True)]
    assert "52600" in rows[1].source
    packs = load_active_pack_set(db_session)
    assert packs.permits["TO-EATING"].fee.amount_cents({}) == 52600


def test_a_broken_pack_is_rejected_and_nothing_is_stored(db_session):
    before = version_count(db_session)
    broken = toronto(("question: has_patio", "question: has_pool"))
    good_vancouver = PackSource(
        "vancouver-5915022.yaml",
        (bundled_pack_directory() / "vancouver-5915022.yaml").read_text() + "\n# edited\n",
    )
    with pytest.raises(PackError) as raised:
        publish_packs(db_session, [good_vancouver, broken])
    [problem] = raised.value.problems
    assert problem.file == "toronto-3520005.yaml"
    assert "unknown question has_pool" in problem.reason
    assert problem.line is not None
    assert version_count(db_session) == before
    assert {v.jurisdiction_code: v.version for v in active_versions(db_session)}["5915022"] == 1


def test_a_new_municipality_is_checked_against_its_province_in_force(db_session):
    ottawa = PackSource(
        "ottawa-3506008.yaml",
        """
format: 1
jurisdiction:
  code: "3506008"
  level: municipal
  parent: CA-ON
  name: {en: Ottawa, fr: Ottawa}
  postal_prefixes: [K1, K2]
agencies:
  - {code: OTT-BL, name: {en: Ottawa By-law, fr: Règlements municipaux d'Ottawa}, gl_account: OTT-4000}
permits:
  - code: OTT-FOOD
    name: {en: Food premises licence, fr: Permis d'établissement alimentaire}
    description: {en: Needed to sell food., fr: Requis pour vendre des aliments.}
    agency: OTT-BL
    applies_if: {always: true}
    depends_on: [ON-FOOD-HANDLER]
    fee: {kind: flat, amount_cents: 10000, illustrative: true}
    processing_days: 10
    workflow: review
    refundable: true
""",
    )
    packs = validate_with_active(db_session, [ottawa])
    assert "3506008" in packs.chains
    assert "CA-ON" in packs.packs
    [result] = publish_packs(db_session, [ottawa])
    assert (result.jurisdiction_code, result.version, result.changed) == ("3506008", 1, True)

    clash = PackSource(
        "other.yaml",
        ottawa.text.replace('"3506008"', '"3506009"').replace("OTT-", "OTX-").replace("[K1, K2]", "[K1A]"),
    )
    with pytest.raises(PackError, match="overlaps K1, already covered by 3506008"):
        validate_with_active(db_session, [clash])


def test_an_application_pinned_to_old_versions_is_unaffected_by_a_new_one(db_session):
    in_force = load_active_pack_set(db_session)
    pinned = pinned_versions(in_force, db_session, "3520005")
    assert pinned == {"CA": 1, "CA-ON": 1, "3520005": 1}
    publish_packs(db_session, [toronto(("amount_cents: 51600", "amount_cents: 99900"))])
    assert load_active_pack_set(db_session).permits["TO-EATING"].fee.amount_cents({}) == 99900
    old = load_pinned_pack_set(db_session, pinned)
    assert old.permits["TO-EATING"].fee.amount_cents({}) == 51600
    assert set(old.packs) == {"CA", "CA-ON", "3520005"}  # only what the application used
    with pytest.raises(LookupError):
        load_pinned_pack_set(db_session, {"3520005": 7})


def test_a_worker_with_packs_older_than_those_in_force_pins_the_versions_it_triaged_with(db_session):
    stale = load_active_pack_set(db_session)
    publish_packs(db_session, [toronto(("amount_cents: 51600", "amount_cents: 99900"))])
    assert pinned_versions(stale, db_session, "3520005") == {"CA": 1, "CA-ON": 1, "3520005": 1}
    fresh = load_active_pack_set(db_session)
    assert pinned_versions(fresh, db_session, "3520005") == {"CA": 1, "CA-ON": 1, "3520005": 2}


# -- the schema stamp: what a worker may skip, and only while the text is the one stamped -------


@pytest.fixture
def cold_cache(monkeypatch):
    """A process that has compiled no pack yet: the next load reads and checks the texts."""
    monkeypatch.setattr(pack_store, "_compiled", WeakValueDictionary())
    monkeypatch.setattr(pack_store, "_recent", [])


@pytest.fixture
def schema_checks(monkeypatch) -> list[int]:
    """Counts the texts checked against the JSON Schema."""
    checked: list[int] = []
    validator = loader._schema_validator()

    class Counting:
        def iter_errors(self, data):
            checked.append(1)
            return validator.iter_errors(data)

    monkeypatch.setattr(loader, "_schema_validator", Counting)
    return checked


def test_a_published_version_records_the_schema_check_its_text_passed(db_session):
    [result] = publish_packs(db_session, [toronto(("amount_cents: 51600", "amount_cents: 52600"))])
    row = db_session.scalar(
        select(PackVersion).where(
            PackVersion.jurisdiction_code == "3520005", PackVersion.version == result.version
        )
    )
    assert row.schema_check == schema_stamp(row.sha256)
    assert all(v.schema_check == schema_stamp(v.sha256) for v in active_versions(db_session))


def test_a_worker_skips_the_schema_check_of_stamped_texts_only(db_session, cold_cache, schema_checks):
    assert load_active_pack_set(db_session) is not None
    assert schema_checks == []
    db_session.execute(
        update(PackVersion).where(PackVersion.jurisdiction_code == "CA-ON").values(schema_check=None)
    )
    pack_store._recent.clear()
    assert "CA-ON" in load_active_pack_set(db_session).packs
    assert len(schema_checks) == 1  # Ontario's, which no stamp vouches for


def test_a_row_edited_in_the_database_is_checked_in_full_and_rejected(db_session, cold_cache):
    """The stamp holds the text's digest: a text changed behind the publication loses it, even
    when its recorded digest is left as it was, and the schema check it needed is made."""
    active = PackVersion.active.is_(True)
    tampered = toronto(("processing_days: 10", 'processing_days: "ten"')).text
    db_session.execute(
        update(PackVersion).where(PackVersion.jurisdiction_code == "3520005", active).values(source=tampered)
    )
    with pytest.raises(PackError) as raised:
        load_active_pack_set(db_session)
    [problem] = raised.value.problems
    assert problem.file == "toronto-3520005.yaml"
    assert "must be of type integer" in problem.reason


def test_a_stamp_made_under_another_schema_counts_for_nothing(
    db_session, cold_cache, schema_checks, monkeypatch
):
    monkeypatch.setattr(loader, "SCHEMA_CHECK_REVISION", loader.SCHEMA_CHECK_REVISION + 1)
    loader._schema_check.cache_clear()
    try:
        load_active_pack_set(db_session)
        assert len(schema_checks) == len(active_versions(db_session))
    finally:
        monkeypatch.undo()
        loader._schema_check.cache_clear()


def test_publishing_the_same_files_again_stamps_versions_published_without(db_session, schema_checks):
    db_session.execute(update(PackVersion).values(schema_check=None))
    db_session.expire_all()
    results = publish_packs(db_session, read_pack_directory(bundled_pack_directory()))
    assert not any(result.changed for result in results)
    assert all(v.schema_check == schema_stamp(v.sha256) for v in active_versions(db_session))


def test_a_publication_checks_only_the_new_files_against_the_schema(db_session, schema_checks):
    publish_packs(db_session, [toronto(("amount_cents: 51600", "amount_cents: 52600"))])
    assert len(schema_checks) == 1


def test_the_texts_in_force_are_read_parents_first(db_session):
    codes = [source.filename for source in pack_store._TextsInForce(db_session)]
    assert codes[:1] == ["ca.yaml"]
    assert sorted(codes[1:3]) == ["ca-bc.yaml", "ca-on.yaml"]
    assert all(source.schema_checked for source in pack_store._TextsInForce(db_session))


def test_a_worker_keeps_no_set_superseded_by_a_publication(db_session):
    before = weakref.ref(load_active_pack_set(db_session))
    publish_packs(db_session, [toronto(("amount_cents: 51600", "amount_cents: 99900"))])
    after = load_active_pack_set(db_session)
    gc.collect()
    assert before() is None
    assert load_active_pack_set(db_session) is after  # found again while in use
