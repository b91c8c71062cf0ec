"""Schemathesis against the real app: every operation of /api/openapi.json, as each role.

Used by the quick profile in the suite (tests/web/test_api_fuzz.py) and by the deep run
(`make fuzz-api`, tests/web/api_fuzz_deep.py). The app is driven in-process over WSGI on a
real migrated database with the bundled packs. Each role sends its own bearer token; the
applicant owns real applications at every stage (draft, submitted, paid, licensed) and the
staff have real tasks, so generated ids hit real rows: besides the freely generated cases,
half of the cases of an operation with path parameters take them from those rows.

A failure is anything schemathesis's checks refuse: a 5xx, a status code, content type,
header or body the document does not describe, an accepted request the document forbids,
an operation whose declared security is not enforced. The webhook is also sent with valid
signatures (`_SignsWebhooks`), so its parsing behind the signature is fuzzed too.
"""

from __future__ import annotations

import io
import logging
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import hypothesis
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.generation.drivers import CoverageGenerator
from schemathesis.generation.feedback import FeedbackSources
from schemathesis.generation.overrides import Override
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.orm import Session

from accounts.service import issue_token
from licences.issuance import latest_licence
from tests.answer_sets import TORONTO_FULL
from tests.factories import (
    draft_application,
    licensed_application,
    paid_application,
    submitted_application,
    user,
)
from workflows.applications.store import cases_of
from workflows.payments.webhooks import sign

ROLES = ("anonymous", "applicant", "clerk", "supervisor", "admin")
#: Toronto Buildings: its clerk and supervisor have the zoning and sign reviews of the paid application.
AGENCY = "TO-TB"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
    ignored_auth,
]
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
WEBHOOK = "/api/v1/payments/webhook"
SIGN_ME = "sign-me"


@dataclass
class World:
    """The rows the fuzzer aims at: a token per role and the ids of real objects."""

    headers: dict[str, dict[str, str]]  # role -> the headers it sends
    application_ids: list[int]  # the applicant's: draft, submitted, paid, licensed
    task_ids: list[int]  # the paid application's permits of Toronto Buildings
    permit_codes: list[str]
    licence_number: str

    def pinned(self, path_parameters: list[str], path: str) -> list[dict[str, Any]]:
        """Path parameters taken from real rows, for an operation with these parameters."""
        if not path_parameters:
            return []
        if "number" in path_parameters:
            return [{"number": self.licence_number}, {"number": self.licence_number.lower()}]
        ids = self.task_ids if path.startswith("/api/v1/tasks/") else self.application_ids
        if "code" in path_parameters:
            return [{"id": i, "code": code} for i in ids for code in self.permit_codes]
        return [{"id": i} for i in ids]


def build_world(session: Session) -> World:
    """An account per role with a token, and the applicant's applications at every stage."""
    people = {
        "applicant": user(session),
        "clerk": user(session, "clerk", AGENCY),
        "supervisor": user(session, "supervisor", AGENCY),
        "admin": user(session, "admin"),
    }
    owner = people["applicant"]
    draft, _ = draft_application(session, owner)
    submitted, _ = submitted_application(session, owner)
    paid, _ = paid_application(session, owner, TORONTO_FULL)
    licensed, _ = licensed_application(session, owner)
    licence = latest_licence(session, licensed.id)
    cases = cases_of(session, paid.id)
    headers = {"anonymous": {}} | {
        role: {"Authorization": f"Bearer {issue_token(session, person)}"} for role, person in people.items()
    }
    return World(
        headers=headers,
        application_ids=[draft.id, submitted.id, paid.id, licensed.id],
        task_ids=[case.id for case in cases if case.agency_code == AGENCY],
        permit_codes=sorted({case.permit_code for case in cases}),
        licence_number=licence.number,
    )


def fuzz_app_config() -> dict[str, Any]:
    """Rate limits raised so the fuzzer reaches the handlers behind them (429 is tested elsewhere)."""
    return {"SIGNIN_RATE_LIMIT": "1000000 per minute", "PAYMENT_RATE_LIMIT": "1000000 per minute"}


@dataclass
class Found:
    """One distinct failure: where, which check, and an example to reproduce it."""

    operation: str
    role: str
    title: str
    example: str


@dataclass
class Report:
    requests: int = 0
    cases: int = 0
    failures: dict[tuple[str, str, str], Found] = field(default_factory=dict)
    #: (operation, role, status code) -> how many responses: shows which paths were reached.
    statuses: Counter[tuple[str, str, int]] = field(default_factory=Counter)

    def add(self, found: Found) -> None:
        self.failures.setdefault((found.operation, found.role, found.title), found)

    def summary(self) -> str:
        lines = [f"{len(self.failures)} distinct failures in {self.requests} requests ({self.cases} cases)"]
        lines += [f"- {f.operation} as {f.role}: {f.title}\n{f.example}" for f in self.failures.values()]
        return "\n".join(lines)


class _Counter:
    """WSGI middleware counting the requests the app answers, the checks' own probes included."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app
        self.count = 0
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        with self.lock:
            self.count += 1
        return self.wsgi_app(environ, start_response)


class _SignsWebhooks:
    """WSGI middleware playing the card processor: a webhook whose Guichet-Signature is SIGN_ME gets
    a valid signature of its body, so the fuzzer reaches the event parsing behind the signature."""

    def __init__(self, wsgi_app, secret: str):
        self.wsgi_app = wsgi_app
        self.secret = secret

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") == WEBHOOK and environ.get("HTTP_GUICHET_SIGNATURE") == SIGN_ME:
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            environ["wsgi.input"] = io.BytesIO(body)
            environ["HTTP_GUICHET_SIGNATURE"] = sign(self.secret, body, int(time.time()))
        return self.wsgi_app(environ, start_response)


class _Tracebacks(logging.Handler):
    """The app logs an unexpected error with its traceback (app/errors.py): keep the last one."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.last: str | None = None

    def emit(self, record: logging.LogRecord) -> None:
        self.last = self.format(record)


class Fuzzer:
    """Schemathesis's cases for the app's document, sent in-process, checked, and counted."""

    def __init__(self, app: Flask, world: World):
        self.app = app
        self.world = world
        self.counter = _Counter(_SignsWebhooks(app.wsgi_app, app.config["WEBHOOK_SECRET"]))
        app.wsgi_app = self.counter
        self.schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app, config=schemathesis.Config())
        self.report = Report()

    def operations(self) -> list:
        return [result.ok() for result in self.schema.get_all_operations()]

    def run(
        self, operation, role: str, *, max_examples: int, seed: int | None = None, coverage: bool = True
    ) -> None:
        """Send `max_examples` generated cases (and, with `coverage`, the coverage phase's) as `role`.

        With a `seed`, the same cases every time (a failure reproduces); without, new ones each run.
        """
        tracebacks = _Tracebacks()
        logger = logging.getLogger("app.errors")
        logger.addHandler(tracebacks)
        try:
            if coverage:
                for case in self._coverage_cases(operation, role):
                    self._send(case, role, tracebacks)
            strategy = self._strategy(operation, role)

            @hypothesis.settings(
                max_examples=max_examples,
                derandomize=False,  # even under CI's profile: the seed alone decides
                database=None,
                deadline=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
                verbosity=hypothesis.Verbosity.quiet,
            )
            @hypothesis.given(case=strategy)
            def send(case):
                self._send(case, role, tracebacks)

            if seed is not None:
                send = hypothesis.seed(seed)(send)
            send()
        finally:
            logger.removeHandler(tracebacks)

    def _headers(self, operation, role: str) -> dict[str, str]:
        """The role's token; on the webhook, the anonymous send made-up signatures and the others
        a valid one (as the processor would)."""
        if operation.path == WEBHOOK and role != "anonymous":
            return {"Guichet-Signature": SIGN_ME}
        return self.world.headers[role]

    def _strategy(self, operation, role: str) -> st.SearchStrategy:
        headers = self._headers(operation, role) or None  # the anonymous send what schemathesis makes up
        free = st.one_of([operation.as_strategy(generation_mode=mode, headers=headers) for mode in MODES])
        names = [p.name for p in operation.path_parameters]
        pinned = self.world.pinned(names, operation.path)
        if not pinned:
            return free
        real = st.one_of(
            [
                operation.as_strategy(generation_mode=mode, headers=headers, path_parameters=p)
                for p in pinned
                for mode in MODES
            ]
        )
        return st.one_of(free, real)

    def _coverage_cases(self, operation, role: str) -> Iterator:
        """The coverage phase's cases (each boundary and each way to break the document, once),
        with freely generated path parameters, then with those of the first and last real rows."""
        config = self.schema.config.generation_for(operation=operation, phase="coverage")
        names = [p.name for p in operation.path_parameters]
        pinned = self.world.pinned(names, operation.path)
        for path_parameters in [{}, *pinned[:1], *pinned[1:][-1:]]:
            override = Override(headers=self._headers(operation, role), path_parameters=path_parameters)
            yield from CoverageGenerator(
                operation=operation,
                generation_modes=list(MODES),
                generation_config=config,
                auth_storage=None,
                override=override,
                feedback=FeedbackSources(),
            )

    def _send(self, case, role: str, tracebacks: _Tracebacks) -> None:
        headers = self._headers(case.operation, role)
        self.report.cases += 1
        tracebacks.last = None
        try:
            response = case.call()
            self.report.statuses[(case.operation.label, role, response.status_code)] += 1
            case.validate_response(
                response, checks=CHECKS, headers=headers, transport_kwargs={"app": self.app}
            )
        except FailureGroup as group:
            example = str(group)
            if tracebacks.last:
                example += "\n" + tracebacks.last
            for failure in group.exceptions:
                self.report.add(Found(case.operation.label, role, failure.title, example))
        finally:
            self.report.requests = self.counter.count
