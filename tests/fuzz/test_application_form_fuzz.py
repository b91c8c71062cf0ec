"""Fuzzing the one application form: through the service, the API and the form page.

Hypothesis draws values for the form's fields (dates, postal codes, emails, numbers, text
with control characters, very long text, lists, nested values) and unknown fields. A refusal
must be field by field and save nothing at all; an accepted value is stored cleaned, and the
form shows it again. Never a 5xx.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from accounts.service import create_account, issue_token
from app.db import db_session as app_session
from tests.answer_sets import TORONTO_FULL
from tests.factories import valid_value
from tests.fuzz.strategies import EDGE_TEXT, examples, junk, long_text, unknown_keys
from tests.web.conftest import PASSWORD, sign_in
from workflows.application_form import DEFAULT_MAX_LENGTH, check_value
from workflows.applications import ApplicationError, create_application, fields_of, save_form
from workflows.models import Application
from workflows.pack_store import load_active_pack_set
from workflows.packs.model import FieldDefinition
from workflows.triage import TriageEngine
from workflows.value_checks import LARGEST_WHOLE_NUMBER

pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")

TYPED_BY_TYPE = {  # values as typed into the page, right for their type
    "text": st.text(max_size=50),
    "long_text": st.text(max_size=300),
    "email": st.emails().map(str),
    "phone": st.sampled_from(["416-555-0123", "(416) 555 0123", "+1 416 555 0123", "4165550123"]),
    "postal_code": st.sampled_from(["M5V 2T6", "m5v2t6", "V6B 1A1", "D5V 2T6", "M5V2T"]),
    "date": st.dates().map(date.isoformat),
    "money": st.decimals(0, 10**9, places=2, allow_nan=False).map(str),
    "integer": st.integers(-5, 10**6).map(str),
    "business_number": st.sampled_from(["123456782", "123456789", "1234"]),
}


def draws_for(definition: FieldDefinition) -> st.SearchStrategy[Any]:
    """A field's value: right, right for its type but maybe out of bounds, or anything at all."""
    typed = TYPED_BY_TYPE.get(definition.type)
    if definition.type == "yes_no":
        typed = st.sampled_from(["yes", "no", True, False])
    elif definition.type == "choice":
        typed = st.sampled_from([c.value for c in definition.choices])
    strategies = [st.just(valid_value(definition)), junk, st.sampled_from(EDGE_TEXT), long_text(150, 3000)]
    return st.one_of(*strategies, *([typed] if typed is not None else []))


def values_for(definitions: list[FieldDefinition]) -> st.SearchStrategy[dict[str, Any]]:
    known = st.fixed_dictionaries({}, optional={d.id: draws_for(d) for d in definitions})
    extra = st.dictionaries(unknown_keys, junk, max_size=1)
    return st.builds(
        lambda extra, known: {**extra, **known}, st.one_of(st.just({}), st.just({}), extra), known
    )


def text_refused(definition: FieldDefinition, value: Any) -> bool | None:
    """The oracle where it is simple to state: text has a type and a length, numbers bounds."""
    if definition.type in ("text", "long_text"):
        limit = definition.max_length or DEFAULT_MAX_LENGTH[definition.type]
        return not isinstance(value, str) or len(value.strip()) > limit
    if definition.type in ("integer", "money"):
        low = definition.minimum if definition.minimum is not None else 0
        high = definition.maximum if definition.maximum is not None else LARGEST_WHOLE_NUMBER
        return type(value) is not int or not low <= value <= high
    if definition.type == "yes_no":
        return type(value) is not bool
    return None  # emails, phones, postal codes, dates, BNs: checked by the properties only


def is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


@pytest.fixture
def draft(app):
    """A Toronto draft with every permit (so every kind of field), and its owner's bearer token."""
    with app.app_context():
        session = app_session()
        owner = create_account(session, email="fuzz@example.ca", password=PASSWORD, name="Fuzz")
        application, _ = create_application(
            session,
            TriageEngine(load_active_pack_set(session)),
            owner_id=owner.id,
            jurisdiction="3520005",
            answers=TORONTO_FULL,
        )
        definitions = [f.definition for f in fields_of(session, application)]
        token = issue_token(session, owner)
        session.commit()
        return application.id, definitions, {"Authorization": f"Bearer {token}"}


def stored_values(app, application_id: int) -> dict[str, Any]:
    with app.app_context():
        session = app_session()
        return dict(session.scalar(select(Application.form_values).where(Application.id == application_id)))


def check_stored(definitions: list[FieldDefinition], stored: dict[str, Any]) -> None:
    """Whatever was kept is a value its field accepts as it is: saving it again changes nothing."""
    by_id = {d.id: d for d in definitions}
    for field_id, value in stored.items():
        assert check_value(by_id[field_id], value) == (value, None), (field_id, value)


@examples(5)
@given(data=st.data())
def test_the_service_refuses_field_by_field_and_saves_nothing_refused(app, draft, data):
    application_id, definitions, _ = draft
    values = data.draw(values_for(definitions))
    by_id = {d.id: d for d in definitions}
    before = stored_values(app, application_id)
    with app.app_context():
        session = app_session()
        application = session.get(Application, application_id)
        try:
            save_form(session, application, values)
            session.commit()
            refused = None
        except ApplicationError as error:
            session.rollback()
            refused = error
    after = stored_values(app, application_id)
    if refused is not None:
        assert after == before
        fields = {error.field for error in refused.errors}
        assert fields <= {f"fields.{key}" for key in values}
        assert {f"fields.{key}" for key in values if key not in by_id} <= fields
        assert all(error.message.en.strip() and error.message.fr.strip() for error in refused.errors)
    for key, value in values.items():
        if key in by_id and not is_empty(value) and text_refused(by_id[key], value) is not None:
            assert (refused is not None and f"fields.{key}" in {e.field for e in refused.errors}) == (
                text_refused(by_id[key], value)
            ), (key, value)
    check_stored(definitions, after)


@examples(2)
@given(data=st.data())
def test_the_api_answers_200_or_field_errors_and_saves_nothing_refused(app, client, draft, data):
    application_id, definitions, headers = draft
    values = data.draw(values_for(definitions))
    body = data.draw(st.one_of(st.just({"fields": values}), st.just({"fields": values}), junk))
    before = stored_values(app, application_id)
    response = client.put(
        f"/api/v1/applications/{application_id}/form",
        data=json.dumps(body),
        content_type="application/json",
        headers=headers,
    )
    assert response.status_code in (200, 400, 413, 422), response.get_data(as_text=True)[:500]
    after = stored_values(app, application_id)
    if response.status_code == 200:
        assert response.get_json()["fields"] == after
    else:
        assert after == before
        errors = response.get_json()["errors"]
        assert errors and all(error["message"].strip() for error in errors)
        if response.status_code == 422 and isinstance(body, dict) and set(body) == {"fields"}:
            assert all(str(error["field"]).startswith("fields.") for error in errors)
    check_stored(definitions, after)


def typed_for(definitions: list[FieldDefinition]) -> st.SearchStrategy[dict[str, str]]:
    """A page as a browser posts it: text everywhere, the fields shown listed in `_shown`."""

    def page(values: dict[str, Any], shown: list[str]) -> dict[str, str]:
        form = {key: value if isinstance(value, str) else json.dumps(value) for key, value in values.items()}
        return {**form, "_shown": " ".join(shown), "_action": "save"}

    text_values = st.fixed_dictionaries(
        {},
        optional={
            d.id: st.one_of(
                TYPED_BY_TYPE.get(d.type, st.just("yes")), st.sampled_from(EDGE_TEXT), long_text(150, 3000)
            )
            for d in definitions
        },
    )
    return st.builds(page, text_values, st.lists(st.sampled_from([d.id for d in definitions]), unique=True))


@examples(2)
@given(data=st.data())
def test_the_form_page_shows_errors_or_saves_and_never_fails(app, client, draft, data):
    application_id, definitions, _ = draft
    if not client.get_cookie("session"):  # signed in once, for every example
        assert sign_in(client, "fuzz@example.ca").status_code == 302
    form = data.draw(typed_for(definitions))
    before = stored_values(app, application_id)
    response = client.post(f"/applications/{application_id}/form", data=form)
    assert response.status_code in (200, 302, 413), response.status_code
    after = stored_values(app, application_id)
    if response.status_code == 302:
        check_stored(definitions, after)
    else:
        assert after == before
        if response.status_code == 200:
            assert 'class="error-summary"' in response.get_data(as_text=True)
    assert client.get(f"/applications/{application_id}/form").status_code == 200  # the saved values show
