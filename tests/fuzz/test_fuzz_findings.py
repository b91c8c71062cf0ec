"""What the form and pack fuzzing found, each kept as a plain regression test."""

from __future__ import annotations

import pytest

from accounts.service import create_account
from tests.answer_sets import TORONTO, TORONTO_FULL, TORONTO_PLAIN
from tests.web.conftest import PASSWORD, sign_in
from workflows.applications import create_application
from workflows.pack_store import load_active_pack_set
from workflows.packs.loader import bundled_pack_directory, load_pack_set, read_pack_directory
from workflows.triage import TriageEngine, TriageError
from workflows.value_checks import LARGEST_WHOLE_NUMBER

UNREADABLE_AMOUNTS = ["NaN", "sNaN", "Infinity", "-Infinity", "1e999999", "1e400"]


def typed(answers: dict) -> dict[str, str]:
    return {key: "yes" if v is True else "no" if v is False else str(v) for key, v in answers.items()}


@pytest.mark.parametrize("amount", UNREADABLE_AMOUNTS)
def test_an_unreadable_amount_on_the_questions_page_is_a_field_error_not_a_500(client, amount):
    data = {**typed(TORONTO_PLAIN), "expected_annual_sales": amount, "shown": " ".join(TORONTO_PLAIN)}
    response = client.post(f"/triage/{TORONTO}", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Enter an amount in dollars, such as 1250.00." in page
    assert 'id="total-fee"' not in page


def test_an_amount_too_large_to_show_is_refused_with_the_largest_one_allowed(client):
    answers = {**TORONTO_PLAIN, "expected_annual_sales": 10**30}
    response = client.post("/api/v1/triage", json={"jurisdiction": TORONTO, "answers": answers})
    assert response.status_code == 422
    [error] = response.get_json()["errors"]
    assert error == {
        "field": "answers.expected_annual_sales",
        "message": "Enter $90,071,992,547,409.91 or less.",
    }


def test_whole_numbers_without_a_maximum_stop_at_the_largest_exact_json_integer():
    engine = TriageEngine(load_pack_set(read_pack_directory(bundled_pack_directory())))
    largest = engine.triage(TORONTO, {**TORONTO_PLAIN, "expected_annual_sales": LARGEST_WHOLE_NUMBER})
    assert largest.permits[0].reason_texts("fr")  # formats
    with pytest.raises(TriageError) as refused:
        engine.triage(TORONTO, {**TORONTO_PLAIN, "expected_annual_sales": LARGEST_WHOLE_NUMBER + 1})
    assert [e.field for e in refused.value.errors] == ["answers.expected_annual_sales"]


@pytest.mark.parametrize("amount", UNREADABLE_AMOUNTS)
def test_an_unreadable_amount_on_the_application_form_is_a_field_error_and_saves_nothing(
    client, db_session, amount
):
    owner = create_account(db_session, email="amounts@example.ca", password=PASSWORD, name="Amounts")
    application, _ = create_application(
        db_session,
        TriageEngine(load_active_pack_set(db_session)),
        owner_id=owner.id,
        jurisdiction=TORONTO,
        answers=TORONTO_FULL,
    )
    before = dict(application.form_values)
    sign_in(client, owner.email)
    response = client.post(
        f"/applications/{application.id}/form",
        data={
            "_shown": "legal_name expected_annual_sales",
            "legal_name": "Kept?",
            "expected_annual_sales": amount,
        },
    )
    assert response.status_code == 200
    assert "Expected annual sales: Enter an amount in dollars, such as 1250.00." in response.get_data(
        as_text=True
    )
    db_session.refresh(application)
    assert application.form_values == before
