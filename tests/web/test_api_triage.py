"""The triage API over real HTTP (Flask test client) and a real database, on both backends."""

import pytest
from openapi_spec_validator import validate

from app.api.openapi import openapi_document
from tests.answer_sets import TORONTO_FULL, TORONTO_FULL_PERMITS, TORONTO_PLAIN
from tests.web.openapi_conformance import conforms


def test_the_openapi_document_is_valid_and_served(client):
    validate(openapi_document())
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.json["openapi"].startswith("3.")
    assert "/api/v1/triage" in response.json["paths"]


def test_jurisdictions_lists_every_loaded_pack(client):
    response = conforms(client.get("/api/v1/jurisdictions"))
    by_code = {j["code"]: j for j in response.json["jurisdictions"]}
    assert set(by_code) == {"CA", "CA-ON", "CA-BC", "3520005", "5915022"}
    assert by_code["3520005"] == {
        "code": "3520005",
        "level": "municipal",
        "name": "Toronto",
        "parent": "CA-ON",
    }
    assert by_code["CA"]["parent"] is None
    assert response.json["jurisdictions"][0]["code"] == "CA"


def test_jurisdiction_names_follow_the_language(client):
    response = conforms(client.get("/api/v1/jurisdictions?lang=fr"))
    names = {j["code"]: j["name"] for j in response.json["jurisdictions"]}
    assert names["CA-BC"] == "Colombie-Britannique"


def test_questions_for_toronto_include_every_level_with_follow_ups(client):
    response = conforms(client.get("/api/v1/triage/questions?jurisdiction=3520005"))
    questions = {q["id"]: q for q in response.json["questions"]}
    assert {"serves_alcohol", "hires_staff", "patio_type", "opens_after_11pm"} <= set(questions)
    assert "sells_taxable_goods" not in questions  # a British Columbia question
    assert questions["patio_type"]["show_if"] == {"question": "has_patio", "equals": True}
    assert questions["serves_alcohol"]["show_if"] is None
    assert [c["value"] for c in questions["patio_type"]["choices"]] == ["curb_lane", "sidewalk", "private"]
    assert questions["expected_annual_sales"]["type"] == "money"


def test_questions_need_a_known_municipality(client):
    missing = conforms(client.get("/api/v1/triage/questions"))
    assert missing.status_code == 422
    assert missing.json["errors"][0]["field"] == "jurisdiction"
    unknown = conforms(client.get("/api/v1/triage/questions?jurisdiction=9999999"))
    assert unknown.status_code == 422
    assert unknown.json["errors"] == [{"field": "jurisdiction", "message": "Unknown municipality '9999999'."}]


def test_triage_of_a_full_toronto_restaurant(client):
    response = conforms(
        client.post("/api/v1/triage", json={"jurisdiction": "3520005", "answers": TORONTO_FULL})
    )
    assert response.status_code == 200
    body = response.json
    codes = [p["code"] for p in body["permits"]]
    assert set(codes) == TORONTO_FULL_PERMITS
    for index, permit in enumerate(body["permits"]):
        assert all(codes.index(code) < index for code in permit["depends_on"])
    assert body["total_fee_cents"] == sum(p["fee_cents"] for p in body["permits"])
    agco = next(p for p in body["permits"] if p["code"] == "ON-AGCO")
    assert agco["level"] == "provincial"
    assert agco["jurisdiction"] == "CA-ON"
    assert agco["agency"] == "ON-AGCO"
    assert any("alcohol" in reason and "Yes" in reason for reason in agco["reasons"])
    assert body["estimated_days"] >= max(p["processing_days"] for p in body["permits"])
    assert {s["code"] for s in body["suggestions"]} >= {"CA-CSBFP"}


def test_triage_answers_in_french(client):
    response = conforms(
        client.post("/api/v1/triage?lang=fr", json={"jurisdiction": "3520005", "answers": TORONTO_FULL})
    )
    agco = next(p for p in response.json["permits"] if p["code"] == "ON-AGCO")
    assert any("Oui" in reason for reason in agco["reasons"])
    assert "alcool" in agco["name"].lower() or "alcool" in agco["description"].lower()


def test_accept_language_picks_french(client):
    response = client.post(
        "/api/v1/triage",
        json={"jurisdiction": "3520005", "answers": TORONTO_PLAIN},
        headers={"Accept-Language": "fr-CA,fr;q=0.9"},
    )
    reasons = {r for p in response.json["permits"] for r in p["reasons"]}
    assert reasons == {"Requis pour toute entreprise de ce type ici."}


def test_a_plain_take_out_counter_needs_far_fewer_permits(client):
    full = client.post("/api/v1/triage", json={"jurisdiction": "3520005", "answers": TORONTO_FULL}).json
    plain = client.post("/api/v1/triage", json={"jurisdiction": "3520005", "answers": TORONTO_PLAIN}).json
    assert len(plain["permits"]) <= len(full["permits"]) // 2
    assert plain["total_fee_cents"] < full["total_fee_cents"]


@pytest.mark.parametrize(
    ("body", "status", "errors"),
    [
        (
            {"jurisdiction": "0000000", "answers": {}},
            422,
            [("jurisdiction", "Unknown municipality '0000000'.")],
        ),
        (
            {"jurisdiction": "CA-ON", "answers": {}},
            422,
            [
                (
                    "jurisdiction",
                    "CA-ON is not a municipality: triage needs the municipality where the business "
                    "will operate.",
                )
            ],
        ),
        (
            {"jurisdiction": "3520005", "answers": {**TORONTO_PLAIN, "has_pool": True}},
            422,
            [("answers.has_pool", "Unknown question 'has_pool' for Toronto.")],
        ),
        (
            {"jurisdiction": "3520005", "answers": {**TORONTO_PLAIN, "serves_alcohol": "yes"}},
            422,
            [("answers.serves_alcohol", "Answer yes or no (true or false).")],
        ),
        (
            {"jurisdiction": "3520005", "answers": {**TORONTO_PLAIN, "seating_capacity": -1}},
            422,
            [("answers.seating_capacity", None)],
        ),
        (
            {"jurisdiction": "3520005", "answers": {**TORONTO_PLAIN, "seating_capacity": 2.5}},
            422,
            [("answers.seating_capacity", "Enter a whole number.")],
        ),
        (
            {"jurisdiction": "3520005", "answers": {**TORONTO_PLAIN, "expected_annual_sales": "lots"}},
            422,
            [("answers.expected_annual_sales", None)],
        ),
        (
            {
                "jurisdiction": "3520005",
                "answers": {**TORONTO_PLAIN, "has_patio": True, "patio_type": "roof"},
            },
            422,
            [("answers.patio_type", "Choose one of: curb_lane, sidewalk, private.")],
        ),
        (
            {
                "jurisdiction": "3520005",
                "answers": {k: v for k, v in TORONTO_PLAIN.items() if k != "hires_staff"},
            },
            422,
            [("answers.hires_staff", "This question needs an answer.")],
        ),
        ({"jurisdiction": "3520005"}, 422, [("answers", None)]),
        ({"answers": {}}, 422, [("jurisdiction", None)]),
        ({"jurisdiction": 3520005, "answers": {}}, 422, [("jurisdiction", None)]),
        ({"jurisdiction": "3520005", "answers": [], "extra": 1}, 422, [("answers", None), ("extra", None)]),
        ([1, 2], 400, [(None, "The request body must be a JSON object.")]),
    ],
    ids=[
        "unknown-municipality",
        "province-not-municipality",
        "unknown-question",
        "wrong-type",
        "below-bounds",
        "not-whole",
        "money-not-cents",
        "not-a-choice",
        "missing-answer",
        "no-answers",
        "no-jurisdiction",
        "jurisdiction-not-string",
        "answers-not-object-and-extra",
        "body-not-object",
    ],
)
def test_bad_input_gets_field_level_errors(client, body, status, errors):
    response = conforms(client.post("/api/v1/triage", json=body))
    assert response.status_code == status
    got = [(e["field"], e["message"]) for e in response.json["errors"]]
    assert [field for field, _ in got] == [field for field, _ in errors]
    for (_, message), (_, expected) in zip(got, errors, strict=True):
        if expected is not None:
            assert message == expected
        assert message


def test_bounds_errors_say_the_bound(client):
    answers = {**TORONTO_PLAIN, "hires_staff": True, "number_of_employees": 0}
    response = client.post("/api/v1/triage", json={"jurisdiction": "3520005", "answers": answers})
    assert response.status_code == 422
    assert response.json["errors"] == [
        {"field": "answers.number_of_employees", "message": "Enter 1 or more."}
    ]


def test_malformed_json_is_a_client_error_not_a_crash(client):
    response = client.post("/api/v1/triage", data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json["errors"][0]["message"]


def test_unknown_api_routes_and_methods_answer_json(client):
    assert client.get("/api/v1/nothing-here").json["errors"][0]["field"] is None
    response = client.get("/api/v1/triage")
    assert response.status_code == 405
    assert response.json["errors"][0]["message"]


def test_api_post_needs_no_csrf_token(app):
    app.config["WTF_CSRF_ENABLED"] = True
    response = app.test_client().post(
        "/api/v1/triage", json={"jurisdiction": "3520005", "answers": TORONTO_PLAIN}
    )
    assert response.status_code == 200
