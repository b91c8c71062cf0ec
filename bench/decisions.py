"""Clerk decisions under load: how many claim-and-approve decisions a second, and how fast.

1. Seeds a PostgreSQL database with 100,000 paid applications (bench/seed.py): about
   1,300,000 permits, 400,000 of them waiting for a clerk.
2. Makes 64 clerks of the agencies with waiting Toronto tasks, shared by how many tasks
   each agency has, each with an API token, and gives each clerk its own waiting tasks.
3. Counts the SQL statements of a decision (a claim, then an approval) over the API, in
   this process, on the same database.
4. Serves the app with gunicorn (sync workers, two per core plus one) and runs, in turns,
   pgbench with as many clients as there are clerks, then locust with the 64 clerks
   claiming and approving as fast as the server answers; `--runs` times each. A decision
   is a claim and its approval; locust fails any answer but 200.

    .venv/bin/python bench/decisions.py              # about 4 minutes, seeding included
    .venv/bin/python bench/decisions.py --reuse      # keep an already seeded database
    .venv/bin/python bench/decisions.py --quick      # 2,000 applications, short runs

Targets (issue 8): p95 latency under 50 ms, and decisions/s at least 40% of pgbench's TPS
measured in the same run. Prints every figure, then PASS or FAIL; exits 0 either way, as it
measures rather than gates. See docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, text

from bench import load, seed

TORONTO = "3520005"
TASKS_PER_CLERK = 4000


def waiting_by_agency(url: str) -> dict[str, int]:
    engine = create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT p.agency_code, count(*) FROM permit_cases p"
                " JOIN applications a ON a.id = p.application_id"
                " WHERE p.waiting_on = 'clerk' AND p.claimed_by_id IS NULL AND a.jurisdiction_code = :toronto"
                " GROUP BY p.agency_code ORDER BY p.agency_code"
            ),
            {"toronto": TORONTO},
        ).all()
    engine.dispose()
    return dict(rows)


def clerks_per_agency(waiting: dict[str, int], clerks: int) -> dict[str, int]:
    """`clerks` shared among the agencies by their waiting tasks (the busiest takes what rounding
    leaves); an agency whose share rounds to none gets no clerk."""
    total = sum(waiting.values())
    shares = {agency: clerks * count // total for agency, count in waiting.items()}
    shares[max(waiting, key=waiting.get)] += clerks - sum(shares.values())
    return {agency: share for agency, share in shares.items() if share}


def make_plan(app, clerks: int, tasks_per_clerk: int) -> dict:
    """Clerks with tokens and disjoint lists of their agency's waiting tasks (most urgent first)."""
    from accounts.service import issue_token
    from app.db import db_session
    from tests.factories import user

    url = app.config["DATABASE_URL"]
    shares = clerks_per_agency(waiting_by_agency(url), clerks)
    plan = []
    with app.app_context():
        session = db_session()
        for agency, count in shares.items():
            task_ids = (
                session.execute(
                    text(
                        "SELECT p.id FROM permit_cases p JOIN applications a ON a.id = p.application_id"
                        " WHERE p.agency_code = :agency AND p.waiting_on = 'clerk'"
                        " AND p.claimed_by_id IS NULL"
                        " AND a.jurisdiction_code = :toronto ORDER BY p.decision_due_at LIMIT :limit"
                    ),
                    {"agency": agency, "toronto": TORONTO, "limit": count * tasks_per_clerk},
                )
                .scalars()
                .all()
            )
            for index in range(count):
                clerk = user(session, "clerk", agency)
                plan.append(
                    {"agency": agency, "token": issue_token(session, clerk), "tasks": task_ids[index::count]}
                )
        session.commit()
    return {"clerks": plan}


def statements_per_decision(app, plan: dict, decisions: int = 5) -> tuple[float, float]:
    """Mean SQL statements of a claim and of an approval over the API, taking the plan's last tasks."""
    engine = app.extensions["guichet.db"].engine
    client = app.test_client()
    claims, approvals = [], []
    clerk = plan["clerks"][0]
    headers = {"Authorization": f"Bearer {clerk['token']}"}
    for task_id in [clerk["tasks"].pop() for _ in range(decisions)]:
        for action, counts in (("claim", claims), ("approve", approvals)):
            with load.statement_counter(engine) as statements:
                response = client.post(f"/api/v1/tasks/{task_id}/{action}", json={}, headers=headers)
            assert response.status_code == 200, response.get_data(as_text=True)
            counts.append(len(statements))
    return sum(claims) / decisions, sum(approvals) / decisions


@dataclass(frozen=True)
class Run:
    pgbench: load.Pgbench
    ceiling: load.Requests  # GET /healthz as fast as answered
    requests: dict[str, load.Requests]  # claim, approve, Aggregated
    cpu: load.CpuSeconds
    in_app: dict[str, list[float]]  # milliseconds the app took over each claim and approval

    @property
    def decisions(self) -> float:
        return self.requests["approve"].per_second


def decide(
    app, server: load.Server, args, rate: float
) -> tuple[dict[str, load.Requests], load.CpuSeconds, dict[str, list[float]]]:
    """One locust run of the clerks on fresh tasks (paced to `rate` decisions/s unless 0): what
    locust saw, the CPU spent, and the app's own time over each request."""
    plan = make_plan(app, args.clerks, TASKS_PER_CLERK)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as plan_file:
        json.dump(plan, plan_file)
    environment = {"BENCH_PLAN": plan_file.name, "BENCH_DECISIONS_PER_SECOND": str(rate or "")}
    try:
        with load.cpu_meter(server) as cpu, server.timed_in_app() as in_app:
            requests = load.locust("decisions.py", server.base, args.clerks, args.seconds, environment)
    finally:
        Path(plan_file.name).unlink()
    return requests, cpu[0], in_app


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=seed.DEFAULT_URL, help="quick runs add _quick to its name")
    parser.add_argument("--applications", type=int, default=100_000)
    parser.add_argument("--reuse", action="store_true", help="keep the database if it is seeded already")
    parser.add_argument("--clerks", type=int, default=64)
    parser.add_argument("--seconds", type=int, default=20, help="length of each locust and pgbench run")
    parser.add_argument("--runs", type=int, default=3)
    load.add_server_options(parser)
    parser.add_argument("--quick", action="store_true", help="2,000 applications, one 8-second run")
    args = parser.parse_args(argv)
    if args.quick:
        args.applications, args.seconds, args.runs = 2_000, 8, 1
    url = seed.postgres_url(args.database_url, quick=args.quick)
    seed.ensure_seeded(url, args.applications, args.reuse)

    os.environ["DATABASE_URL"] = url
    from app import create_app

    app = create_app({"SIGNIN_RATE_LIMIT": "100000 per minute"})
    claim_statements, approve_statements = statements_per_decision(app, make_plan(app, 1, 5))
    conninfo = load.pgbench_init(url, scale=args.clerks)
    runs = []
    for number in range(1, args.runs + 1):
        pgbench = load.pgbench_run(conninfo, args.clerks, args.seconds)
        with load.gunicorn(url, args.workers, args.threads) as server:
            ceiling = load.locust("ceiling.py", server.base, args.clerks, args.seconds, {})["healthz"]
            requests, cpu, in_app = decide(app, server, args, rate=0)
        run = Run(pgbench, ceiling, requests, cpu, in_app)
        runs.append(run)
        print(
            f"run {number}: pgbench {pgbench.tps:,.0f} TPS; GET /healthz {ceiling.per_second:,.0f}/s;"
            f" {run.decisions:,.0f} decisions/s; p95 claim {requests['claim'].p95:.0f} ms,"
            f" approve {requests['approve'].p95:.0f} ms; failures {requests['Aggregated'].failures}",
            flush=True,
        )
    paced_rate = round(load.median([run.decisions for run in runs]) / 2)
    with load.gunicorn(url, args.workers, args.threads) as server:
        paced, _cpu, paced_in_app = decide(app, server, args, rate=paced_rate)
    app.extensions["guichet.db"].engine.dispose()
    report(args, runs, paced_rate, paced, paced_in_app, claim_statements, approve_statements)
    return 0


def report(
    args,
    runs: list[Run],
    paced_rate: float,
    paced: dict,
    paced_in_app: dict[str, list[float]],
    claim_statements: float,
    approve_statements: float,
) -> None:
    median = load.median
    tps = median([run.pgbench.tps for run in runs])
    decisions = median([run.decisions for run in runs])
    failures = sum(run.requests["Aggregated"].failures for run in runs) + paced["Aggregated"].failures
    print()
    print(f"Machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(
        f"{args.applications:,} applications; {args.clerks} clerks; gunicorn {args.workers} sync workers;"
        f" {args.runs} runs of {args.seconds} s, clerks as fast as answered"
    )
    print(f"{'':36}{'median':>10}  runs")
    rows = [
        ("pgbench TPS", tps, [run.pgbench.tps for run in runs]),
        (
            "GET /healthz per second",
            median([r.ceiling.per_second for r in runs]),
            [r.ceiling.per_second for r in runs],
        ),
        ("decisions/s", decisions, [run.decisions for run in runs]),
    ]
    for name in ("claim", "approve"):
        for fraction in ("p50", "p95", "p99"):
            values = [getattr(run.requests[name], fraction) for run in runs]
            rows.append((f"{name} {fraction} (ms)", median(values), values))
    for name in ("claim", "approve"):
        values = [load.percentile(run.in_app.get(name, []), 0.95) for run in runs]
        rows.append((f"{name} p95 in the app (ms)", median(values), values))
    for who in ("app", "database", "load"):
        values = [getattr(run.cpu, who) * 1000 / max(run.requests["approve"].count, 1) for run in runs]
        rows.append((f"CPU ms per decision: {who}", median(values), values))
    for label, value, values in rows:
        print(f"{label:36}{value:>10,.1f}  {', '.join(f'{v:,.1f}' for v in values)}")
    print(
        f"{'SQL statements per decision':36}{claim_statements + approve_statements:>10.1f}"
        f"  (claim {claim_statements:.1f}, approve {approve_statements:.1f}; BEGIN and COMMIT not counted)"
    )
    ratio = decisions / tps
    print(f"{'decisions/s / pgbench TPS':36}{ratio:>10.3f}")
    print(
        f"Paced to {paced_rate:g} decisions/s (half the above):"
        f" {paced['approve'].per_second:,.0f} decisions/s;"
        f" claim p50/p95/p99 {paced['claim'].p50:.0f}/{paced['claim'].p95:.0f}/{paced['claim'].p99:.0f} ms,"
        f" approve {paced['approve'].p50:.0f}/{paced['approve'].p95:.0f}/{paced['approve'].p99:.0f} ms"
    )
    in_app = ", ".join(
        f"{name} p50/p95/p99 "
        + "/".join(f"{load.percentile(paced_in_app.get(name, []), q):.0f}" for q in (0.5, 0.95, 0.99))
        for name in ("claim", "approve")
    )
    print(f"  the same in the app (gunicorn's access log): {in_app} ms")
    print(f"{'failed requests':36}{failures:>10}")
    p95 = max(median([run.requests[name].p95 for run in runs]) for name in ("claim", "approve"))
    print()
    print(
        f"{'PASS' if p95 < 50 else 'FAIL'}: p95 latency {p95:.0f} ms with {args.clerks} clerks"
        " as fast as answered (target under 50 ms)"
    )
    print(
        f"{'PASS' if ratio >= 0.4 else 'FAIL'}: decisions/s are {ratio:.1%} of pgbench TPS"
        " (target at least 40%)"
    )
    print(f"{'PASS' if failures == 0 else 'FAIL'}: {failures} failed requests")


if __name__ == "__main__":
    sys.exit(main())
