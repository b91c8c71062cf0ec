"""Fuzzing pack files: mutations of the bundled packs through the loader, the store and the upload page.

Hypothesis mutates one bundled pack at a time: keys deleted, values replaced or retyped at
random paths, list items duplicated (two permits with one code), the YAML text cut or broken.
Loading either succeeds, and then every municipality's triage runs, or raises PackError whose
every problem names its file, path and reason; nothing else. Publishing a rejected set stores
nothing: the pack_versions rows are exactly as before.
"""

from __future__ import annotations

import copy
import io
import re
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import stream_encode_multipart

from accounts.service import create_account
from app.admin.forms import MAX_FILE_BYTES
from app.db import db_session as app_session
from tests.fuzz.strategies import examples, junk
from tests.fuzz.test_triage_fuzz import answer_sets
from tests.web.conftest import PASSWORD, sign_in
from workflows.models import PackVersion
from workflows.pack_store import publish_packs
from workflows.packs import PackError, PackSource, load_pack_set
from workflows.packs.loader import bundled_pack_directory
from workflows.triage import TriageEngine

pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")

BUNDLED = {
    path.name: path.read_text(encoding="utf-8") for path in sorted(bundled_pack_directory().glob("*.yaml"))
}
DATA = {name: yaml.safe_load(text) for name, text in BUNDLED.items()}


def paths(node: Any, path: tuple = ()) -> list[tuple]:
    """Every place in a pack's data, the whole file excepted."""
    found = [path] if path else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += paths(value, (*path, index))
    return found


def retyped(value: Any) -> Any:
    """The same content, of another YAML type: 12 -> "12", "x" -> ["x"], [..] -> {..}."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return int(value) if value.isdigit() else [value]
    if isinstance(value, list):
        return {str(index): item for index, item in enumerate(value)}
    return list(value.values()) if isinstance(value, dict) else 0


def apply(data: Any, path: tuple, operation: str, new: Any) -> None:
    parent = data
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    if operation == "delete":
        del parent[last]
    elif operation == "replace":
        parent[last] = new
    elif operation == "retype":
        parent[last] = retyped(parent[last])
    elif operation == "duplicate" and isinstance(parent, list):  # e.g. two permits with one code
        parent.insert(last, copy.deepcopy(parent[last]))
    elif operation == "rename" and isinstance(parent, dict):
        parent[f"{last}_x" if isinstance(last, str) else "x"] = parent.pop(last)


@st.composite
def data_mutation(draw) -> tuple[str, str]:
    name = draw(st.sampled_from(sorted(DATA)))
    data = copy.deepcopy(DATA[name])
    for _ in range(draw(st.integers(1, 3))):
        places = paths(data)
        if not places:
            break
        path = draw(st.sampled_from(places))
        operation = draw(st.sampled_from(["delete", "replace", "retype", "duplicate", "rename"]))
        apply(data, path, operation, draw(junk))
    return name, yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


@st.composite
def text_mutation(draw) -> tuple[str, str]:
    """Broken YAML: the text cut short, a line doubled (a duplicate key), stray characters."""
    name = draw(st.sampled_from(sorted(BUNDLED)))
    text = BUNDLED[name]
    at = draw(st.integers(0, len(text)))
    operation = draw(st.sampled_from(["cut", "double_line", "insert"]))
    if operation == "cut":
        return name, text[:at]
    if operation == "double_line":
        lines = text.splitlines(keepends=True)
        index = draw(st.integers(0, len(lines) - 1))
        return name, "".join([*lines[: index + 1], lines[index], *lines[index + 1 :]])
    inserted = draw(
        st.sampled_from([":", "- ", "\t", "{", "]", "&a ", "*a", "!!python/object ", "\x00", "'"])
    )
    return name, text[:at] + inserted + text[at:]


mutations = st.one_of(data_mutation(), data_mutation(), text_mutation())


def sources_with(name: str, text: str) -> list[PackSource]:
    return [PackSource(n, text if n == name else t) for n, t in BUNDLED.items()]


def check_problems(error: PackError, filenames: set[str]) -> None:
    assert error.problems
    for problem in error.problems:
        assert problem.file in filenames | {"(no files)"}, problem
        assert problem.path.strip() and problem.reason.strip() and problem.reason_fr.strip(), problem
        assert problem.line is None or problem.line >= 1


@examples(5)
@given(mutation=mutations, data=st.data())
def test_a_mutated_pack_loads_and_triages_or_is_refused_with_every_problem_placed(mutation, data):
    name, text = mutation
    try:
        packs = load_pack_set(sources_with(name, text))
    except PackError as error:
        check_problems(error, set(BUNDLED))
        return
    engine = TriageEngine(packs)
    for code, chain in packs.chains.items():  # a set that loads is one the engine can work on
        engine.triage(code, data.draw(answer_sets(chain, valid_only=True)))


def versions(session) -> list[tuple]:
    rows = session.execute(
        select(
            PackVersion.id,
            PackVersion.jurisdiction_code,
            PackVersion.version,
            PackVersion.active,
            PackVersion.sha256,
        )
    )
    return sorted(tuple(row) for row in rows)


@examples(1.5)
@given(mutation=mutations)
def test_publishing_a_refused_set_leaves_the_published_packs_as_they_were(db_session, mutation):
    name, text = mutation
    before = versions(db_session)
    savepoint = db_session.begin_nested()
    try:
        publish_packs(db_session, [PackSource(name, text)])
    except PackError as error:
        check_problems(error, {name} | {v.filename for v in db_session.scalars(select(PackVersion))})
        assert versions(db_session) == before  # nothing half-published, even inside the transaction
    finally:
        savepoint.rollback()
    assert versions(db_session) == before


@pytest.fixture
def admin_client(app, client):
    with app.app_context():
        session = app_session()
        create_account(
            session,
            email="fuzz-admin@example.ca",
            password=PASSWORD,
            name="Admin",
            role="admin",
            jurisdiction_code="CA",
        )
        session.commit()
    assert sign_in(client, "fuzz-admin@example.ca").status_code == 302
    return client


@examples(0.5)
@given(mutation=mutations)
def test_an_uploaded_mutation_is_previewed_or_its_problems_listed_and_stores_nothing(
    app, admin_client, mutation
):
    name, text = mutation
    with app.app_context():
        before = versions(app_session())
    # Encoded in memory: the test client would spool a large upload to a file it never closes.
    body, _length, boundary = stream_encode_multipart(
        {"files": FileStorage(io.BytesIO(text.encode()), filename=name)}, use_tempfile=False
    )
    response = admin_client.post(
        "/admin/packs/upload",
        data=body.read(),
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert response.status_code in (200, 422), response.status_code
    page = response.get_data(as_text=True)
    if response.status_code == 422 and len(text.encode()) <= MAX_FILE_BYTES:
        # Each problem in a row headed by its file (the one uploaded, or one in force it breaks).
        files = re.findall(r'<th scope="row">([^<]*)</th>', page)
        assert files and set(files) <= set(BUNDLED), files
    elif response.status_code == 422:
        assert "a pack file is at most 256 KB" in page
    with app.app_context():
        assert versions(app_session()) == before
