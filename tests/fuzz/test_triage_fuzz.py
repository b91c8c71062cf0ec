"""Fuzzing triage answers: through the engine, the API and the questions page.

Hypothesis draws answer mappings against the bundled packs' questions: right answers, wrong
types, unknown keys, huge numbers and strings, unicode, nested values, missing answers. The
engine must either give a result or raise TriageError naming each bad answer (never anything
else), the API must answer 200 or 4xx with field errors, and the page 200 with its errors
beside the fields: never a 5xx.

The expected errors are worked out here from the questions' types and bounds, independently
of the engine's checks; only which follow-up questions show is taken from the packs' rules.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from tests.fuzz.strategies import EDGE_TEXT, examples, junk, texts, unknown_keys
from workflows.packs.loader import bundled_pack_directory, load_pack_set, read_pack_directory
from workflows.packs.model import Chain, Question
from workflows.triage import TriageEngine, TriageError, TriageResult
from workflows.value_checks import LARGEST_WHOLE_NUMBER

# A failing example may hold 100,000 characters: Hypothesis warns before printing it.
pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")

ENGINE = TriageEngine(load_pack_set(read_pack_directory(bundled_pack_directory())))
CODES = sorted(ENGINE.packs.chains)


def bounds(question: Question) -> tuple[int, int]:
    low = question.minimum if question.minimum is not None else 0
    return low, question.maximum if question.maximum is not None else LARGEST_WHOLE_NUMBER


def is_valid(question: Question, value: Any) -> bool:
    """The answer rules as docs/packs.md states them, written again here as the oracle."""
    if question.type == "yes_no":
        return type(value) is bool
    if question.type == "choice":
        return isinstance(value, str) and value in {choice.value for choice in question.choices}
    low, high = bounds(question)
    return type(value) is int and low <= value <= high


def valid_answer(question: Question) -> st.SearchStrategy[Any]:
    if question.type == "yes_no":
        return st.booleans()
    if question.type == "choice":
        return st.sampled_from([choice.value for choice in question.choices])
    low, high = bounds(question)
    return st.one_of(st.integers(low, min(high, low + 10**9)), st.sampled_from([low, high]))


def answer_sets(chain: Chain, *, valid_only: bool = False) -> st.SearchStrategy[dict[str, Any]]:
    """Every question answered rightly; or each answered, wrongly answered or left out, plus unknown keys."""
    if valid_only:
        return st.fixed_dictionaries({q.id: valid_answer(q) for q in chain.questions})
    known = st.fixed_dictionaries(
        {}, optional={q.id: st.one_of(valid_answer(q), valid_answer(q), junk) for q in chain.questions}
    )
    extra = st.dictionaries(unknown_keys, junk, max_size=2)
    return st.builds(lambda extra, known: {**extra, **known}, extra, known)


def expected_errors(chain: Chain, answers: dict[str, Any]) -> set[str]:
    """The fields the engine must refuse: unknown keys, and every shown question unanswered or
    answered wrongly (a question shows when its show_if holds on the valid answers above it)."""
    wrong = {f"answers.{key}" for key in answers if key not in chain.questions_by_id}
    clean: dict[str, Any] = {}
    for question in chain.questions:
        if question.show_if is not None and not question.show_if.evaluate(clean, frozenset())[0]:
            continue
        value = answers.get(question.id)
        if value is not None and is_valid(question, value):
            clean[question.id] = value
        else:
            wrong.add(f"answers.{question.id}")
    return wrong


def check_result(chain: Chain, result: TriageResult) -> None:
    """A result only names the packs' permits, prerequisites first, and every part of it can be shown."""
    codes = [outcome.permit.code for outcome in result.permits]
    assert len(codes) == len(set(codes))
    for position, outcome in enumerate(result.permits):
        assert outcome.permit in chain.permits
        assert set(outcome.depends_on) <= set(codes[:position])
        assert type(outcome.fee_cents) is int and outcome.fee_cents >= 0
        assert 0 <= outcome.ready_after_days <= result.estimated_days
        for language in ("en", "fr"):
            assert all(text.strip() for text in outcome.reason_texts(language))
    for suggestion in result.suggestions:
        assert suggestion.suggestion in chain.suggestions
        for reason in suggestion.reasons:
            assert reason.text("en") and reason.text("fr")
    assert result.total_fee_cents == sum(outcome.fee_cents for outcome in result.permits)


def outcome(code: str, answers: dict[str, Any]) -> TriageResult | TriageError:
    try:
        return ENGINE.triage(code, answers)
    except TriageError as error:
        return error


@examples(10)
@given(code=st.sampled_from(CODES), data=st.data())
def test_the_engine_gives_a_result_or_names_every_bad_answer(code, data):
    chain = ENGINE.chain(code)
    answers = data.draw(answer_sets(chain))
    wrong = expected_errors(chain, answers)
    got = outcome(code, answers)  # any exception but TriageError fails the test
    if wrong:
        assert isinstance(got, TriageError)
        assert {error.field for error in got.errors} == wrong
        for error in got.errors:
            assert error.message.en.strip() and error.message.fr.strip()
    else:
        assert isinstance(got, TriageResult), got
        check_result(chain, got)


@examples(5)
@given(code=st.sampled_from(CODES), data=st.data())
def test_valid_answers_always_give_a_result_from_the_packs(code, data):
    chain = ENGINE.chain(code)
    answers = data.draw(answer_sets(chain, valid_only=True))
    result = ENGINE.triage(code, answers)
    check_result(chain, result)
    assert result.answers.items() <= answers.items()  # hidden follow-ups dropped, nothing made up


@examples(2)
@given(code=st.one_of(texts, st.sampled_from(["CA", "CA-ON", "3520005 ", "0000000"])))
def test_an_unknown_municipality_is_one_error_on_jurisdiction(code):
    assume(code not in ENGINE.packs.chains)
    got = outcome(code, {})
    assert isinstance(got, TriageError)
    assert [error.field for error in got.errors] == ["jurisdiction"]


# Through the API -------------------------------------------------------------------------


def bodies() -> st.SearchStrategy[Any]:
    """Mostly a well-formed request with drawn answers; sometimes a body of the wrong shape."""
    well_formed = st.sampled_from(CODES).flatmap(
        lambda code: st.builds(
            lambda answers: {"jurisdiction": code, "answers": answers}, answer_sets(ENGINE.chain(code))
        )
    )
    odd = st.one_of(
        junk,
        st.fixed_dictionaries({"jurisdiction": junk, "answers": junk}),
        st.builds(lambda body, key, value: {**body, key: value}, well_formed, unknown_keys, junk),
    )
    return st.one_of(well_formed, well_formed, odd)


@examples(2.5)
@given(body=bodies())
def test_the_api_answers_200_or_field_errors_never_5xx(client, body):
    response = client.post("/api/v1/triage", data=json.dumps(body), content_type="application/json")
    assert response.status_code in (200, 400, 413, 422), response.get_data(as_text=True)[:500]
    document = response.get_json()
    if response.status_code != 200:
        assert document["errors"]
        for error in document["errors"]:
            assert error["message"].strip()
    if response.status_code == 413:  # over the size limit (1 MB): refused before it is read
        assert len(json.dumps(body).encode()) > 1024 * 1024
        return
    shaped = isinstance(body, dict) and set(body) == {"jurisdiction", "answers"}
    if not (shaped and body["jurisdiction"] in CODES and isinstance(body["answers"], dict)):
        assert response.status_code in (400, 422)
        return
    engine_says = outcome(body["jurisdiction"], body["answers"])
    if isinstance(engine_says, TriageError):
        assert response.status_code == 422
        assert {e["field"] for e in document["errors"]} == {e.field for e in engine_says.errors}
    else:
        assert response.status_code == 200
        assert [p["code"] for p in document["permits"]] == [o.permit.code for o in engine_says.permits]
        assert document["total_fee_cents"] == engine_says.total_fee_cents


# Through the questions page --------------------------------------------------------------


def typed(question: Question) -> st.SearchStrategy[str]:
    """What a person (or a script) might type or send for a question's field."""
    if question.type == "yes_no":
        right = st.sampled_from(["yes", "no"])
    elif question.type == "choice":
        right = st.sampled_from([choice.value for choice in question.choices])
    elif question.type == "money":
        right = st.decimals(0, 10**7, places=2, allow_nan=False).map(str)
    else:
        low, high = bounds(question)
        right = st.integers(low - 5, min(high, low + 10**6) + 5).map(str)
    wrong = st.one_of(st.sampled_from(EDGE_TEXT), st.text(max_size=20), st.integers().map(str))
    return st.one_of(right, right, wrong)


def pages() -> st.SearchStrategy[tuple[str, dict[str, str]]]:
    def form(code: str) -> st.SearchStrategy[tuple[str, dict[str, str]]]:
        chain = ENGINE.chain(code)
        fields = st.fixed_dictionaries({}, optional={q.id: typed(q) for q in chain.questions})
        shown = st.one_of(
            st.just(" ".join(q.id for q in chain.questions)),
            st.lists(st.sampled_from([q.id for q in chain.questions]), unique=True).map(" ".join),
            texts,
        )
        return st.builds(lambda data, shown: (code, {**data, "shown": shown}), fields, shown)

    return st.sampled_from(CODES).flatmap(form)


def shown_ids(html: str) -> list[str]:
    return re.search(r'name="shown"[^>]*value="([^"]*)"', html).group(1).split()


@examples(2.5)
@given(page=pages())
def test_the_questions_page_never_fails_and_refuses_what_it_cannot_read(client, page):
    code, data = page
    response = client.post(f"/triage/{code}", data=data)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    if 'id="total-fee"' in html:  # results: every question always shown had a readable answer
        chain = ENGINE.chain(code)
        for question in chain.questions:
            if question.show_if is None:
                assert data.get(question.id, "").strip(), question.id
        return
    assert 'name="shown"' in html
    invalid = set(re.findall(r'id="([a-z0-9_]+)"[^>]*aria-invalid="true"', html))
    assert invalid <= set(shown_ids(html))
    if invalid:
        assert 'class="error-summary"' in html
