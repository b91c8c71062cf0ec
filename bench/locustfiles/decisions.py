"""Clerks deciding tasks: each simulated clerk claims a task of its agency, then approves it.

bench/decisions.py writes the plan (BENCH_PLAN): for each clerk, a bearer token and the ids
of tasks nobody else is given, so clerks never race for one task and every claim and approval
is expected to answer 200. Anything else is a failure. BENCH_DECISIONS_PER_SECOND, when set,
paces the clerks to about that many decisions a second in all: each clerk waits a random time
(exponential, so together they arrive like independent people rather than in bursts) whose
mean is its share of the rate; otherwise each clerk decides as fast as the server answers.
"""

from __future__ import annotations

import itertools
import json
import os
import random
from pathlib import Path

from locust import task
from locust.contrib.fasthttp import FastHttpUser

PLAN = json.loads(Path(os.environ["BENCH_PLAN"]).read_text())
NEXT_CLERK = itertools.count()
RATE = float(os.environ.get("BENCH_DECISIONS_PER_SECOND") or 0)


class Clerk(FastHttpUser):
    def wait_time(self) -> float:
        return random.expovariate(RATE / len(PLAN["clerks"])) if RATE else 0.0

    def on_start(self) -> None:
        clerk = PLAN["clerks"][next(NEXT_CLERK) % len(PLAN["clerks"])]
        self.headers = {"Authorization": f"Bearer {clerk['token']}", "Content-Type": "application/json"}
        self.tasks_left = iter(clerk["tasks"])

    @task
    def decide(self) -> None:
        task_id = next(self.tasks_left, None)
        if task_id is None:
            self.environment.runner.quit()
            return
        for action in ("claim", "approve"):
            with self.client.post(
                f"/api/v1/tasks/{task_id}/{action}",
                data="{}",
                headers=self.headers,
                name=action,
                catch_response=True,
            ) as response:
                if response.status_code != 200:
                    response.failure(f"{action} answered {response.status_code}: {response.text[:200]}")
                    return
