"""The Halifax tutorial (docs/packs.md, section 16) cannot rot: its files load, and it says what they do."""

from __future__ import annotations

import json
import re
from pathlib import Path

from workflows.packs.loader import bundled_pack_directory, load_pack_set, read_pack_sources
from workflows.triage import TriageEngine, format_cents

ROOT = Path(__file__).parent.parent
EXAMPLES = ROOT / "docs" / "examples"
FILES = [EXAMPLES / "ca-ns.yaml", EXAMPLES / "halifax-1209034.yaml"]
TUTORIAL = (
    (ROOT / "docs" / "packs.md").read_text(encoding="utf-8").split("## 16. Adding your municipality")[1]
)


def engine() -> TriageEngine:
    return TriageEngine(load_pack_set(read_pack_sources([bundled_pack_directory(), *FILES])))


def test_the_tutorial_shows_exactly_the_files_it_ships():
    blocks = re.findall(r"```yaml\n(.*?)```", TUTORIAL, flags=re.DOTALL)
    assert blocks == [path.read_text(encoding="utf-8") for path in FILES]


def test_the_files_load_with_the_bundled_packs_as_the_tutorial_says():
    packs = engine().packs
    assert packs.chains["1209034"].municipality.name.en == "Halifax"
    assert [j.code for j in packs.chains["1209034"].jurisdictions] == ["CA", "CA-NS", "1209034"]
    permits = sum(len(pack.permits) for pack in packs.packs.values())
    assert f"Valid: {len(packs.packs)} pack(s), {permits} permit(s)." in TUTORIAL


def test_a_halifax_restaurant_gets_the_permits_fees_and_time_of_the_tutorial():
    answers = json.loads((EXAMPLES / "halifax-restaurant.json").read_text(encoding="utf-8"))
    result = engine().triage("1209034", answers)
    table = re.findall(r"^\| (\d+) \| ([A-Z0-9-]+) \| (\$[\d,.]+) \|$", TUTORIAL, flags=re.MULTILINE)
    assert [(o.permit.code, format_cents(o.fee_cents, "en")) for o in result.permits] == [
        (code, fee) for _n, code, fee in table
    ]
    assert f"Total fee: **{format_cents(result.total_fee_cents, 'en')}**" in TUTORIAL
    assert f"estimated time to open: **{result.estimated_days} days**" in TUTORIAL
    by_code = {o.permit.code: o for o in result.permits}
    assert by_code["NS-FOOD"].depends_on == ("NS-FOOD-SAFETY", "HFX-BUILDING")  # Halifax's prerequisite_of
    assert by_code["NS-LIQUOR"].depends_on == ("NS-FOOD", "HFX-DEV")


def test_a_small_cafe_in_an_old_restaurant_needs_only_the_essentials():
    answers = {
        **json.loads((EXAMPLES / "halifax-restaurant.json").read_text(encoding="utf-8")),
        "incorporated": False,
        "expected_annual_sales": 2_000_000,
        "gst_voluntary_registration": False,
        "hires_staff": False,
        "serves_alcohol": False,
        "renovates": False,
        "has_patio": False,
        "premises_use": "restaurant",
    }
    answers.pop("number_of_employees")
    result = engine().triage("1209034", answers)
    assert [o.permit.code for o in result.permits] == ["NS-FOOD-SAFETY", "NS-FOOD", "HFX-SIGN"]
