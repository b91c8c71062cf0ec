"""Declarative conditions: evaluation and the facts each result rests on."""

import pytest

from workflows.conditions import compile_condition

ANSWERS = {"serves_alcohol": True, "seats": 120, "kind": "cafe", "sales": 4_500_000}


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"always": True}, True),
        ({"question": "serves_alcohol", "equals": True}, True),
        ({"question": "serves_alcohol", "not_equals": True}, False),
        ({"question": "seats", "gt": 120}, False),
        ({"question": "seats", "gte": 120}, True),
        ({"question": "seats", "lt": 121}, True),
        ({"question": "seats", "lte": 119}, False),
        ({"question": "kind", "in": ["cafe", "bar"]}, True),
        ({"question": "kind", "in": ["bar"]}, False),
        ({"question": "missing", "equals": True}, False),
        ({"not": {"question": "missing", "equals": True}}, True),
        ({"all": [{"question": "seats", "gt": 50}, {"question": "kind", "equals": "cafe"}]}, True),
        ({"all": [{"question": "seats", "gt": 50}, {"question": "kind", "equals": "bar"}]}, False),
        ({"any": [{"question": "seats", "gt": 500}, {"question": "kind", "equals": "cafe"}]}, True),
        ({"any": [{"question": "seats", "gt": 500}, {"question": "kind", "equals": "bar"}]}, False),
        (
            {
                "at_least": {
                    "count": 2,
                    "of": [
                        {"question": "seats", "gt": 150},
                        {"question": "serves_alcohol", "equals": True},
                        {"question": "sales", "gt": 3_000_000},
                    ],
                }
            },
            True,
        ),
        (
            {
                "at_least": {
                    "count": 3,
                    "of": [
                        {"question": "seats", "gt": 150},
                        {"question": "serves_alcohol", "equals": True},
                        {"question": "sales", "gt": 3_000_000},
                    ],
                }
            },
            False,
        ),
        ({"permit": "ON-LIQUOR"}, True),
        ({"permit": "ON-OTHER"}, False),
    ],
)
def test_evaluation(condition, expected):
    holds, _ = compile_condition(condition).evaluate(ANSWERS, {"ON-LIQUOR"})
    assert holds is expected


def test_a_true_any_rests_only_on_the_parts_that_held():
    condition = compile_condition(
        {"any": [{"question": "seats", "gt": 500}, {"question": "kind", "equals": "cafe"}]}
    )
    assert condition.evaluate(ANSWERS, set()) == (True, (("question", "kind"),))


def test_a_false_all_rests_on_what_failed():
    condition = compile_condition(
        {"all": [{"question": "seats", "gt": 50}, {"question": "kind", "equals": "bar"}]}
    )
    assert condition.evaluate(ANSWERS, set()) == (False, (("question", "kind"),))


def test_at_least_names_every_part_that_counted():
    condition = compile_condition(
        {
            "at_least": {
                "count": 2,
                "of": [
                    {"permit": "ON-LIQUOR"},
                    {"question": "seats", "gt": 100},
                    {"question": "kind", "equals": "bar"},
                ],
            }
        }
    )
    holds, facts = condition.evaluate(ANSWERS, {"ON-LIQUOR"})
    assert holds
    assert facts == (("permit", "ON-LIQUOR"), ("question", "seats"))


def test_references_are_listed_for_checks():
    condition = compile_condition(
        {
            "all": [
                {"permit": "A"},
                {"not": {"question": "q1", "equals": 1}},
                {"at_least": {"count": 1, "of": [{"question": "q2", "gt": 1}]}},
            ]
        }
    )
    assert condition.question_ids() == {"q1", "q2"}
    assert condition.permit_codes() == {"A"}
