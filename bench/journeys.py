"""Whole journeys under load: how many Toronto restaurants get from triage to licence a second.

Each of 32 simulated entrepreneurs, over and over: triage, apply, fill the one form, consent,
submit, pay by card; then the agencies' clerks (one per agency for each entrepreneur) find
the application's tasks in their queue, claim and approve each until nothing waits, and the
entrepreneur reads the application and downloads the licence PDF. That is a journey: about
50 requests, 12 permits, 8 agencies, one licence (bench/locustfiles/journeys.py).

The accounts and their API tokens are made beforehand: password hashing is slow on purpose
and is not what this measures. The database is fresh (migrated, bundled packs loaded), so the
queues only hold the journeys' own tasks. gunicorn serves the app with sync workers.

    .venv/bin/python bench/journeys.py             # 3 runs of 60 s, about 4 minutes
    .venv/bin/python bench/journeys.py --quick     # one 45-second run

Target (issue 8): at least 20 complete journeys a second on 2 cores, with zero errors. Prints
every figure, then PASS or FAIL; exits 0 either way. See docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import load, seed

STEPS = (
    "triage",
    "apply",
    "form",
    "consent",
    "submit",
    "pay",
    "queue",
    "claim",
    "approve",
    "application",
    "licence",
)


def make_plan(app, users: int) -> dict:
    """Each user's applicant and clerk tokens, and the restaurant's answers and form values."""
    from accounts.service import issue_token
    from app.db import db_session
    from tests.answer_sets import TORONTO, TORONTO_FULL
    from tests.factories import complete_form, draft_application, user
    from workflows.applications import consent_requests, fields_of

    with app.app_context():
        session = db_session()
        template, result = draft_application(session, user(session), TORONTO_FULL)
        form = complete_form(fields_of(session, template))
        consenting = [request.agency_code for request in consent_requests(session, template)]
        agencies = sorted({permit.permit.agency.code for permit in result.permits})
        session.rollback()  # the template was only needed for its form
        plan = []
        for _ in range(users):
            plan.append(
                {
                    "applicant": issue_token(session, user(session)),
                    "clerks": {
                        agency: issue_token(session, user(session, "clerk", agency)) for agency in agencies
                    },
                }
            )
        session.commit()
    return {
        "jurisdiction": TORONTO,
        "answers": TORONTO_FULL,
        "form": form,
        "agencies": consenting,
        "users": plan,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/guichet_journeys")
    parser.add_argument("--users", type=int, default=32)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--runs", type=int, default=3)
    load.add_server_options(parser)
    parser.add_argument("--quick", action="store_true", help="one 45-second run")
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds, args.runs = 45, 1
    url = seed.postgres_url(args.database_url)
    seed.recreate_database(url)
    seed.flask(url, "db", "upgrade")
    seed.flask(url, "packs", "load")
    os.environ["DATABASE_URL"] = url
    from app import create_app

    app = create_app()
    plan = make_plan(app, args.users)
    app.extensions["guichet.db"].engine.dispose()
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as plan_file:
        json.dump(plan, plan_file)
    runs, cpu_per_journey = [], []
    try:
        with load.gunicorn(url, args.workers, args.threads) as server:
            for run in range(1, args.runs + 1):
                with load.cpu_meter(server) as cpu:
                    requests = load.locust(
                        "journeys.py", server.base, args.users, args.seconds, {"BENCH_PLAN": plan_file.name}
                    )
                finished = requests["journey"].count if "journey" in requests else 0
                runs.append(requests)
                cpu_per_journey.append(cpu[0])
                print(
                    f"run {run}: {finished / requests['Aggregated'].seconds:.2f} journeys/s;"
                    f" {requests['Aggregated'].per_second:,.0f} requests/s;"
                    f" failures {requests['Aggregated'].failures}",
                    flush=True,
                )
    finally:
        Path(plan_file.name).unlink()
    report(args, runs, cpu_per_journey)
    return 0


def report(args, runs, cpu: list[load.CpuSeconds]) -> None:
    median = load.median

    def figure(name: str, attribute: str) -> float:
        return median([getattr(r[name], attribute) if name in r else 0.0 for r in runs])

    # locust counts the journey events among the requests: the HTTP figures leave them out
    http = [r["Aggregated"].count - (r["journey"].count if "journey" in r else 0) for r in runs]
    # a journey's rate is journeys over the run's length (locust's own rate for these events
    # starts at the first one, which ends a long way into the run)
    rates = [r["journey"].count / r["Aggregated"].seconds if "journey" in r else 0.0 for r in runs]
    journeys = median(rates)
    failures = sum(r["Aggregated"].failures for r in runs)
    print()
    print(f"Machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(f"{args.users} users; gunicorn {args.workers} sync workers; {args.runs} runs of {args.seconds} s")
    each = ", ".join(f"{rate:.2f}" for rate in rates)
    print(f"{'journeys/s':28}{journeys:>10.2f}  runs: {each}")
    print(
        f"{'journey time p50/p95 (ms)':28}{figure('journey', 'p50'):>10,.0f}  {figure('journey', 'p95'):,.0f}"
    )
    per_journey = median(
        [h / r["journey"].count for h, r in zip(http, runs, strict=True) if "journey" in r] or [0]
    )
    print(f"{'HTTP requests per journey':28}{per_journey:>10.1f}")
    print(f"{'step':16}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}")
    for step in STEPS:
        if all(step in r for r in runs):
            print(
                f"{step:16}"
                + "".join(f"{figure(step, fraction):>8,.0f}" for fraction in ("p50", "p95", "p99"))
            )
    for who in ("app", "database", "load"):
        spent = [
            getattr(c, who) * 1000 / r["journey"].count
            for c, r in zip(cpu, runs, strict=True)
            if "journey" in r
        ]
        print(f"{'CPU ms per journey: ' + who:28}{median(spent or [0]):>10,.0f}")
    print(f"{'failed requests':28}{failures:>10}")
    print()
    print(f"{'PASS' if journeys >= 20 else 'FAIL'}: {journeys:.2f} journeys/s (target at least 20)")
    print(f"{'PASS' if failures == 0 else 'FAIL'}: {failures} failed requests (target none)")


if __name__ == "__main__":
    sys.exit(main())
