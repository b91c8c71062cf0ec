"""Fee schedules compute integer cents; tiered bands are checked before they are used."""

import pytest

from workflows.fees import Charge, band_problems, compile_fee


def test_flat_fee():
    assert compile_fee({"kind": "flat", "amount_cents": 51600}).amount_cents({}) == 51600


def test_per_unit_fee_multiplies_and_respects_the_minimum():
    fee = compile_fee(
        {"kind": "per_unit", "question": "patio_m2", "unit_cents": 13242, "minimum_cents": 50000}
    )
    assert fee.amount_cents({"patio_m2": 20}) == 264840
    assert fee.amount_cents({"patio_m2": 2}) == 50000
    assert fee.amount_cents({}) == 50000
    assert fee.question == "patio_m2"


@pytest.mark.parametrize(
    ("seats", "cents"), [(0, 10000), (50, 10000), (51, 20000), (150, 20000), (151, 30000), (10_000, 30000)]
)
def test_tiered_fee_picks_the_band_holding_the_answer(seats, cents):
    fee = compile_fee(
        {
            "kind": "tiered",
            "question": "seats",
            "bands": [
                {"up_to": 50, "amount_cents": 10000},
                {"up_to": 150, "amount_cents": 20000},
                {"amount_cents": 30000},
            ],
        }
    )
    assert fee.amount_cents({"seats": seats}) == cents


def test_illustrative_flag_is_kept():
    assert compile_fee({"kind": "flat", "amount_cents": 1, "illustrative": True}).illustrative
    assert not compile_fee({"kind": "flat", "amount_cents": 1}).illustrative


@pytest.mark.parametrize(
    ("bands", "problems"),
    [
        ([{"up_to": 10, "amount_cents": 1}, {"amount_cents": 2}], []),
        (
            [{"up_to": 10, "amount_cents": 1}, {"up_to": 5, "amount_cents": 2}, {"amount_cents": 3}],
            [(1, "bands must ascend: up_to 5 is not above the previous 10")],
        ),
        (
            [{"up_to": 10, "amount_cents": 1}, {"up_to": 20, "amount_cents": 2}],
            [(1, "the last band must be open-ended: remove its up_to")],
        ),
        (
            [{"amount_cents": 1}, {"amount_cents": 2}],
            [(0, "only the last band may be open-ended (no up_to)")],
        ),
    ],
)
def test_band_problems(bands, problems):
    found = band_problems(bands)
    assert [(index, reason.en) for index, reason in found] == problems
    assert all(reason.fr and reason.fr != reason.en for _index, reason in found)


def test_a_charge_says_how_the_fee_was_worked_out_for_the_invoice():
    per_unit = compile_fee(
        {"kind": "per_unit", "question": "patio_m2", "unit_cents": 13242, "minimum_cents": 50000}
    )
    assert per_unit.charge({"patio_m2": 20}) == Charge("per_unit", 20, 13242, 264840, "patio_m2")
    assert per_unit.charge({"patio_m2": 2}) == Charge("minimum", 1, 50000, 50000, "patio_m2")
    tiered = compile_fee(
        {
            "kind": "tiered",
            "question": "seats",
            "bands": [{"up_to": 50, "amount_cents": 10000}, {"amount_cents": 30000}],
        }
    )
    assert tiered.charge({"seats": 40}) == Charge("band", 1, 10000, 10000, "seats", 50)
    assert tiered.charge({"seats": 400}) == Charge("band", 1, 30000, 30000, "seats", None)
    assert compile_fee({"kind": "flat", "amount_cents": 0}).charge({}) == Charge("flat", 1, 0, 0)
