"""One object for equal values of equal types, and never one for values Python only calls equal."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from workflows.conditions import Compare, PermitApplies
from workflows.fees import Band, FlatFee, TieredFee
from workflows.packs.sharing import Sharing
from workflows.text import Text


def test_equal_values_come_back_as_the_first_one():
    share = Sharing()
    first = share(Text("Business licence", "Licence d'entreprise"))
    again = share(Text("Business" + " licence", "Licence d'entreprise"))
    assert again is first
    assert share(("a", "b")) is share(("a", "b"))
    assert share(frozenset({"x", "y"})) is share(frozenset({"y", "x"}))
    assert share(PermitApplies("CA-RP")) is share(PermitApplies("CA-RP"))


def test_parts_are_shared_and_the_whole_rebuilt_from_them():
    share = Sharing()
    name = share("seats")
    fee = share(TieredFee("seats" + "", (Band(50, 30_000), Band(None, 60_000))))
    assert fee.band_question is name
    other = share(TieredFee("seats", (Band(50, 30_000), Band(None, 60_000))))
    assert other is fee and other.bands is fee.bands


@pytest.mark.parametrize(
    ("one", "other"),
    [
        (Compare("patio", "equals", True), Compare("patio", "equals", 1)),
        (Compare("seats", "gt", 1), Compare("seats", "gt", 1.0)),
        (FlatFee(0, False), FlatFee(0.0, False)),
        (FlatFee(0.0), FlatFee(-0.0)),
        ((True, 2), (1, 2)),
        (frozenset({1}), frozenset({True})),
        ({"question": "x", "equals": True}, {"question": "x", "equals": 1}),
        ({"a": 1, "b": 2}, {"b": 2, "a": 1}),
    ],
    ids=[
        "bool-int",
        "int-float",
        "fee-int-float",
        "zero-minus-zero",
        "tuple",
        "frozenset",
        "json",
        "key-order",
    ],
)
def test_values_python_calls_equal_stay_apart_when_their_types_differ(one, other):
    share = Sharing()
    first, second = share(one), share(other)
    assert first is not second
    assert repr(second) == repr(other)  # each keeps its own types


def test_a_mapping_is_shared_by_its_json_as_written():
    share = Sharing()
    show_if = {"question": "activity", "in": ["restaurant", "bar"]}
    assert share(dict(show_if)) is share(dict(show_if))
    assert share({"question": "activity", "in": ["bar", "restaurant"]}) is not share(dict(show_if))


def test_what_cannot_be_compared_is_kept_as_it_is():
    share = Sharing()
    holds_a_list = Compare("activity", "in", ["restaurant"])  # unhashable: never looked up
    assert share(holds_a_list) is holds_a_list
    assert share(None) is None and share(True) is True


def test_a_dataclass_with_a_field_outside_its_constructor_is_refused():
    @dataclass(frozen=True)
    class Odd:
        shown: str
        kept: str = "x"

        __match_args__ = ("shown",)

    with pytest.raises(TypeError, match="not all positional"):
        Sharing()(Odd("a"))
