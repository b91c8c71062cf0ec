"""Prerequisites across levels: `prerequisite_of` lets a municipality put its clearance first."""

from tests.engine.test_malformed_packs import BASE_ANSWERS, CA, ON, TO, base_packs, permit, sources
from workflows.packs import load_pack_set
from workflows.triage import TriageEngine


def test_a_municipal_permit_can_come_before_a_provincial_one():
    packs = base_packs()
    # The patio no longer waits for the liquor licence; instead the liquor licence waits for
    # Toronto's eating establishment licence, as a provincial licence waits for city clearances.
    permit(packs, TO, 1)["depends_on"] = ["TO-EAT"]
    permit(packs, TO, 0)["prerequisite_of"] = ["ON-LIQ"]
    result = TriageEngine(load_pack_set(sources(packs))).triage("3520005", BASE_ANSWERS)
    codes = [outcome.permit.code for outcome in result.permits]
    assert codes.index("TO-EAT") < codes.index("ON-LIQ")
    liquor = next(outcome for outcome in result.permits if outcome.permit.code == "ON-LIQ")
    assert "TO-EAT" in liquor.depends_on
    # CA-BN (1 day) -> TO-EAT (10) -> ON-LIQ (30): the longest chain is now 41 days.
    assert result.estimated_days == 41


def test_the_added_prerequisite_only_exists_in_that_municipality():
    packs = base_packs()
    permit(packs, TO, 0)["prerequisite_of"] = ["ON-LIQ"]
    loaded = load_pack_set(sources(packs))
    liquor = loaded.permits["ON-LIQ"]
    assert "TO-EAT" in loaded.chains["3520005"].prerequisites(liquor)
    assert "TO-EAT" not in liquor.depends_on  # the provincial permit itself is unchanged
    assert set(load_pack_set(sources({CA: packs[CA], ON: packs[ON]})).packs) == {"CA", "CA-ON"}
