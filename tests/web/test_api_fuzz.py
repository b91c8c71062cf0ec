"""The API fuzzer's quick profile: every operation as every role, on SQLite and PostgreSQL.

Schemathesis generates valid and invalid requests from /api/openapi.json and the app must
answer each without a 5xx and exactly as the document says (status, content type, headers,
body), reject what the document forbids and enforce the security it declares. Seeded, so
every run sends the same requests and a failure reproduces; the deep run (`make fuzz-api`,
tests/web/api_fuzz_deep.py) sends many more, at random.
"""

from __future__ import annotations

import pytest

from app.db import db_session as app_session
from tests.web.api_fuzz import ROLES, Fuzzer, build_world, fuzz_app_config

#: Generated cases per operation and role: small, so the whole profile takes seconds.
QUICK_EXAMPLES = 4
SEED = 9


@pytest.fixture
def fuzzer(app) -> Fuzzer:
    app.config.update(fuzz_app_config())
    with app.app_context():
        session = app_session()
        world = build_world(session)
        session.commit()
    return Fuzzer(app, world)


@pytest.mark.parametrize("role", ROLES)
def test_every_operation_answers_as_documented_and_never_with_a_5xx(fuzzer, role):
    operations = fuzzer.operations()
    for operation in operations:
        fuzzer.run(operation, role, max_examples=QUICK_EXAMPLES, seed=SEED, coverage=False)

    report = fuzzer.report
    assert not report.failures, report.summary()
    reached = {label for label, _role, _status in report.statuses}
    assert reached == {operation.label for operation in operations}
    assert report.requests >= 2 * len(operations)  # some have only a case or two to send
    served = {(label, status) for label, _role, status in report.statuses}
    if role == "applicant":  # generated ids hit the applicant's own rows, not only 404s
        assert ("GET /api/v1/applications/{id}", 200) in served
        assert ("GET /api/v1/applications/{id}/form", 200) in served
    if role in ("clerk", "supervisor"):  # and the staff's real tasks
        assert ("GET /api/v1/tasks/{id}", 200) in served
