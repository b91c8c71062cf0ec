"""Loading packs one at a time: the same PackSet as checking them all at once, in less memory.

`load_pack_set` checks and compiles each pack as it reads it, sharing equal values between
packs, and starts again all at once to report any problem. These tests hold the two ways to
the same result: the same PackSet for sound packs whatever the order of the files, no PackSet
at all for any malformed case, and values shared only when they are equal in type too.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.engine.test_malformed_packs import (
    CA,
    CASES,
    ON,
    TO,
    Case,
    base_packs,
    dump,
    second_municipality,
    sources,
)
from workflows.conditions import Compare, Not
from workflows.packs import PackError, PackSource, load_pack_set, loader
from workflows.packs.loader import bundled_pack_directory, read_pack_directory
from workflows.packs.model import PackSet
from workflows.workflow_templates import forget_registered_templates, registered_template


def assert_same(pack_by_pack: PackSet | None, all_at_once: PackSet) -> None:
    """Equal, and listed in the same order everywhere (pages and exports follow these orders)."""
    assert pack_by_pack is not None
    assert pack_by_pack == all_at_once
    for name in ("packs", "chains", "agencies", "permits", "workflows"):
        assert list(getattr(pack_by_pack, name)) == list(getattr(all_at_once, name)), name


def with_ottawa(packs: dict[str, Any]) -> dict[str, Any]:
    """The base trio and Ottawa, whose one permit is Toronto's first under its own code and agency."""
    second_municipality(["K1", "K2"])(packs)
    ottawa = packs["ottawa.yaml"]
    ottawa["agencies"] = [
        {"code": "OTT-BL", "name": {"en": "By-law", "fr": "Règlements"}, "gl_account": "GL-OTT-BL"}
    ]
    permit = copy.deepcopy(packs[TO]["permits"][0])
    permit.update(code="OTT-EAT", agency="OTT-BL", fields=["legal_name"])
    ottawa["permits"] = [permit]
    return packs


@pytest.mark.parametrize(
    "order",
    [
        pytest.param(lambda names: names, id="parents-first"),
        pytest.param(lambda names: names[::-1], id="municipalities-first"),
        pytest.param(lambda names: [names[2], names[0], names[3], names[1]], id="mixed"),
    ],
)
def test_packs_compile_to_the_same_set_whatever_the_order_of_the_files(order: Callable[[list], list]):
    packs = with_ottawa(base_packs())
    names = order(list(packs))
    srcs = [PackSource(name, dump(packs[name])) for name in names]
    assert_same(loader._load_pack_by_pack(srcs), loader._load_all_at_once(srcs))


def test_the_bundled_packs_compile_to_the_same_set_either_way():
    srcs = read_pack_directory(bundled_pack_directory())
    assert_same(loader._load_pack_by_pack(srcs), loader._load_all_at_once(srcs))


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_a_malformed_set_never_compiles_pack_by_pack(case: Case):
    packs = base_packs()
    case.mutate(packs)
    texts = {name: dump(data) for name, data in packs.items()}
    if case.edit_text is not None:
        texts[case.file] = case.edit_text(texts[case.file])
    srcs = [PackSource(name, text) for name, text in texts.items()]
    assert loader._load_pack_by_pack(srcs) is None
    with pytest.raises(PackError):
        load_pack_set(srcs)


def test_sources_are_read_again_only_to_report_a_problem():
    reads = []

    class Counted:
        def __init__(self, srcs: list[PackSource]):
            self.srcs = srcs

        def __iter__(self) -> Iterator[PackSource]:
            reads.append(1)
            return iter(self.srcs)

    load_pack_set(Counted(sources(base_packs())))
    assert len(reads) == 1
    broken = base_packs()
    broken[TO]["permits"][0]["agency"] = "TO-NOBODY"
    with pytest.raises(PackError, match="unknown agency TO-NOBODY"):
        load_pack_set(Counted(sources(broken)))
    assert len(reads) == 3  # once pack by pack, once more to report every problem


def test_equal_values_of_two_municipalities_are_one_object():
    packs = load_pack_set(sources(with_ottawa(base_packs())))
    toronto, ottawa = packs.permits["TO-EAT"], packs.permits["OTT-EAT"]
    for name in ("name", "description", "applies_if", "fee", "depends_on", "workflow"):
        assert getattr(toronto, name) is getattr(ottawa, name), name
    # The same rule written in a show_if of Ontario's, one of Toronto's and a permit's rule.
    seats = packs.packs["CA-ON"].questions[1]
    patio = packs.packs["3520005"].questions[0]
    assert seats.show_if is patio.show_if is toronto.applies_if
    assert seats.show_if_data is patio.show_if_data
    # Leaves are shared inside larger rules too: Toronto's suggestion applies when the business
    # does not hire staff, the federal payroll account when it does.
    rule, suggestion = packs.permits["CA-RP"].applies_if, packs.packs["3520005"].suggestions[0].applies_if
    assert isinstance(suggestion, Not) and suggestion.inner is rule


def test_yes_and_1_stay_two_rules():
    """Ottawa asks `patio` as a number; Toronto as yes/no: `equals: 1` is not `equals: true`."""
    packs = with_ottawa(base_packs())
    ottawa = packs["ottawa.yaml"]
    ottawa["questions"] = [{"id": "patio", "type": "number", "text": {"en": "Patios?", "fr": "Terrasses?"}}]
    ottawa["permits"][0]["applies_if"] = {"question": "patio", "equals": 1}
    toronto_rule = {"question": "patio", "equals": True}
    packs[TO]["permits"][0]["applies_if"] = toronto_rule
    loaded = load_pack_set(sources(packs))
    toronto, ottawa_rule = loaded.permits["TO-EAT"].applies_if, loaded.permits["OTT-EAT"].applies_if
    assert isinstance(toronto, Compare) and isinstance(ottawa_rule, Compare)
    assert toronto is not ottawa_rule
    assert type(toronto.value) is bool and type(ottawa_rule.value) is int


def test_a_schema_checked_text_skips_the_schema_and_nothing_else():
    packs = base_packs()
    packs[TO]["permits"][0]["colour"] = "red"  # only the schema knows no such key
    srcs = sources(packs)
    with pytest.raises(PackError, match="unknown key 'colour'"):
        load_pack_set(srcs)
    vouched = [PackSource(s.filename, s.text, schema_checked=True) for s in srcs]
    assert "TO-EAT" in load_pack_set(vouched).permits
    packs[TO]["permits"][0]["applies_if"] = {"question": "has_pool", "equals": True}
    vouched = [PackSource(s.filename, s.text, schema_checked=True) for s in sources(packs)]
    with pytest.raises(PackError, match="unknown question has_pool"):
        load_pack_set(vouched)


def test_a_set_with_a_problem_found_across_packs_registers_no_workflow(restart):
    """Ontario's and Toronto's workflows compile before the last pack shows the duplicate code."""
    packs = with_ottawa(base_packs())
    packs["ottawa.yaml"]["permits"][0]["code"] = "TO-EAT"
    restart()
    with pytest.raises(PackError, match="duplicate code TO-EAT"):
        load_pack_set(sources(packs))
    assert forget_registered_templates() == {}
    key = load_pack_set(sources(base_packs())).permits["TO-PATIO"].workflow
    assert registered_template(key) is not None


def test_a_municipality_whose_province_never_comes_is_reported():
    packs = base_packs()
    del packs[ON]
    srcs = sources(packs)
    assert loader._load_pack_by_pack(srcs) is None
    with pytest.raises(PackError, match="parent jurisdiction CA-ON is not among the loaded packs"):
        load_pack_set(srcs)
    assert [s.filename for s in srcs] == [CA, TO]
