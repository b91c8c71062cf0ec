"""Whole journeys: an entrepreneur triages, applies, fills the form, consents, submits and pays;
whenever the application shows permits waiting for an agency, that agency's clerk finds the
application's tasks in the queue, claims and approves them, until the licence is issued; the
entrepreneur downloads the licence.

bench/journeys.py writes the plan (BENCH_PLAN): for each simulated user, an applicant's token
and one clerk's token per agency (accounts are made beforehand: password hashing is slow on
purpose), with the triage answers and form values of a Toronto restaurant. A user's clerks
only take its own application's tasks, so users never race for a task; any answer but the
expected one fails the journey. Each finished journey is reported as a request named
`journey` whose time is the whole journey's.
"""

from __future__ import annotations

import itertools
import json
import os
import time
import uuid
from pathlib import Path

from locust import constant, task
from locust.contrib.fasthttp import FastHttpUser

PLAN = json.loads(Path(os.environ["BENCH_PLAN"]).read_text())
NEXT_USER = itertools.count()
MAX_ROUNDS = 12


class JourneyFailed(Exception):
    pass


class Entrepreneur(FastHttpUser):
    wait_time = constant(0)

    def on_start(self) -> None:
        self.me = PLAN["users"][next(NEXT_USER) % len(PLAN["users"])]

    def _call(self, method: str, path: str, token: str, expected: int, name: str, body=None):
        headers = {"Authorization": f"Bearer {token}"}
        if method == "POST" and name == "pay":
            headers["Idempotency-Key"] = uuid.uuid4().hex
        with self.client.request(
            method, path, json=body, headers=headers, name=name, catch_response=True
        ) as response:
            if response.status_code != expected:
                response.failure(f"{name} answered {response.status_code}: {response.text[:300]}")
                raise JourneyFailed(name)
            return response

    @task
    def journey(self) -> None:
        started = time.perf_counter()
        try:
            self._journey()
        except JourneyFailed as failed:
            self.environment.events.request.fire(
                request_type="JOURNEY",
                name="journey",
                response_time=0,
                response_length=0,
                exception=failed,
                context={},
            )
            return
        self.environment.events.request.fire(
            request_type="JOURNEY",
            name="journey",
            response_time=(time.perf_counter() - started) * 1000,
            response_length=0,
            exception=None,
            context={},
        )

    def _journey(self) -> None:
        plan, applicant = PLAN, self.me["applicant"]
        triage = {"jurisdiction": plan["jurisdiction"], "answers": plan["answers"]}
        self._call("POST", "/api/v1/triage", applicant, 200, "triage", triage)
        created = self._call("POST", "/api/v1/applications", applicant, 201, "apply", triage).json()
        base = f"/api/v1/applications/{created['id']}"
        self._call("PUT", f"{base}/form", applicant, 200, "form", {"fields": plan["form"]})
        self._call("POST", f"{base}/consents", applicant, 200, "consent", {"agencies": plan["agencies"]})
        self._call("POST", f"{base}/submit", applicant, 200, "submit")
        self._call("POST", f"{base}/payments", applicant, 201, "pay", {"card_token": "tok_approved"})
        document = self._call("GET", base, applicant, 200, "application").json()
        for _round in range(MAX_ROUNDS):
            waiting = sorted({p["agency"] for p in document["permits"] if p["waiting_on"] == "agency"})
            if not waiting:
                break
            for agency in waiting:  # that agency's clerk finds the application's tasks in the queue
                clerk = self.me["clerks"][agency]
                queue = self._call(
                    "GET",
                    f"/api/v1/queue?municipality={plan['jurisdiction']}&page_size=100",
                    clerk,
                    200,
                    "queue",
                ).json()
                for waiting_task in queue["tasks"]:
                    if waiting_task["application_id"] == created["id"]:
                        task_path = f"/api/v1/tasks/{waiting_task['id']}"
                        self._call("POST", f"{task_path}/claim", clerk, 200, "claim", {})
                        self._call("POST", f"{task_path}/approve", clerk, 200, "approve", {})
            document = self._call("GET", base, applicant, 200, "application").json()
        if document.get("licence") is None:
            raise JourneyFailed("no licence once every task was decided")
        pdf = self._call("GET", f"{base}/licence.pdf", applicant, 200, "licence")
        if not pdf.content.startswith(b"%PDF"):
            raise JourneyFailed("the licence is not a PDF")
