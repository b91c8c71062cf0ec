"""Answer sets for the bundled packs, shared by the engine, API, page and CLI tests."""

from __future__ import annotations

from typing import Any

TORONTO = "3520005"
VANCOUVER = "5915022"

# Every federal question answered "no" (or the smallest value). Follow-up answers hidden by
# their show_if (gst_voluntary_registration once sales exceed $30,000, sells_taxable_goods
# once alcohol is served) are dropped by the engine, so the rows can leave them in.
FEDERAL_PLAIN: dict[str, Any] = {
    "incorporated": False,
    "trades_under_other_name": False,
    "expected_annual_sales": 2_500_000,  # $25,000: below the small-supplier threshold
    "gst_voluntary_registration": False,
    "hires_staff": False,
    "imports_or_exports": False,
    "prepares_food_for_export_or_interprovincial": False,
    "serves_alcohol": False,
    "seating_capacity": 0,
    "plays_music": False,
    "renovates": False,
    "outdoor_sign": False,
    "has_patio": False,
    "owner_aged_18_to_39": False,
}
TORONTO_PLAIN = {**FEDERAL_PLAIN, "opens_after_11pm": False, "entertainment": False}
VANCOUVER_PLAIN = {**FEDERAL_PLAIN, "sells_taxable_goods": False}

FULL_RESTAURANT = {
    "expected_annual_sales": 45_000_000,  # $450,000
    "hires_staff": True,
    "number_of_employees": 8,
    "serves_alcohol": True,
    "seating_capacity": 60,
    "renovates": True,
    "outdoor_sign": True,
    "has_patio": True,
    "patio_area_m2": 20,
}
TORONTO_FULL = {**TORONTO_PLAIN, **FULL_RESTAURANT, "patio_type": "curb_lane"}
#: Without an outdoor sign: the zoning review is then Toronto Buildings' only task right after payment.
TORONTO_FULL_NO_SIGN = {**TORONTO_FULL, "outdoor_sign": False}
TORONTO_EXPANDED = {**TORONTO_FULL, "entertainment": True, "opens_after_11pm": True}
VANCOUVER_FULL = {
    **VANCOUVER_PLAIN,
    **FULL_RESTAURANT,
    "trades_under_other_name": True,
    "patio_type": "sidewalk",
}

#: Exactly what TORONTO_FULL needs, worked out by hand from the reference facts.
TORONTO_FULL_PERMITS = {
    "CA-BN",
    "CA-GST-HST",
    "CA-PAYROLL",
    "ON-WSIB",
    "ON-AGCO",
    "ON-SMART-SERVE",
    "ON-FOOD-HANDLER",
    "TO-EATING",
    "TO-ZONING",
    "TO-BUILDING",
    "TO-SIGN",
    "TO-CAFETO",
    "TO-HEALTH",
}
