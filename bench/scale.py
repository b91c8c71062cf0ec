"""Pages at national scale: the clerks' queue and the applicant's pages over 1,000,000 permits.

1. Seeds (or, with `--reuse`, keeps) a PostgreSQL database of 100,000 paid applications:
   about 1,340,000 permits, 400,000 of them waiting for a clerk (bench/seed.py).
2. Signs in, through the real sign-in page, a Toronto Buildings clerk (the biggest queue:
   about 160,000 waiting tasks) and the owner of one seeded application.
3. Serves the app with gunicorn and asks, one request after another over loopback, for
   the clerk's queue page (`/staff/queue`), its API (`/api/v1/queue`), the applicant's list of
   applications (`/applications/`) and the application's page (`/applications/{id}`):
   `--requests` times each, after a warm-up, in turns so that noise falls on all of them.
4. Shows that each page's queries use indexes: every SQL statement the page sends (caught
   in this process through the Flask test client, with its parameters) is run again under
   `EXPLAIN (ANALYZE, BUFFERS)` and its plan printed. A sequential scan of a big table fails.

    .venv/bin/python bench/scale.py             # seeding included, about 2 minutes
    .venv/bin/python bench/scale.py --reuse     # keep an already seeded database

Target (issue 8): under 30 ms p95 for the queue page and the applicant's pages with
1,000,000 permits in the database. Prints every figure, then PASS or FAIL; exits 0 either way.
See docs/performance.md; bench/pack_memory.py measures the other half of the issue's
scale target (a worker's memory with 3,500 municipalities' packs).
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import requests
from sqlalchemy import create_engine, text

from bench import load, seed

PASSWORD = "correct horse battery staple"
CLERK_AGENCY = "TO-TB"
BIG_TABLES = {"permit_cases", "applications", "permit_events", "users", "consents", "invoices", "payments"}
TARGET_MS = 30


def accounts(app) -> tuple[str, str, int]:
    """A Toronto Buildings clerk and the owner of a seeded application, both with a password."""
    from accounts.models import User
    from accounts.service import create_account
    from app.db import db_session
    from workflows.models import Application

    with app.app_context():
        session = db_session()
        clerk = create_account(
            session,
            email=f"clerk-{time.time_ns()}@example.ca",
            password=PASSWORD,
            name="Bench Clerk",
            role="clerk",
            agency_code=CLERK_AGENCY,
        )
        middle = session.execute(text("SELECT max(id) / 2 FROM applications")).scalar_one()
        application = session.get(Application, middle)
        owner = session.get(User, application.owner_id)
        owner.password_hash = clerk.password_hash  # the same password, hashed as sign-up does
        session.commit()
        return clerk.email, owner.email, application.id


def signed_in(base: str, email: str) -> requests.Session:
    browser = requests.Session()
    page = browser.get(f"{base}/account/signin").text
    token = re.search(r'name="csrf_token"[^>]*?value="([^"]+)"', page).group(1)
    answer = browser.post(
        f"{base}/account/signin",
        data={"email": email, "password": PASSWORD, "csrf_token": token},
        allow_redirects=False,
    )
    assert answer.status_code == 302, (answer.status_code, answer.text[:300])
    return browser


def timed(browser: requests.Session, url: str, headers: dict | None = None) -> float:
    started = time.perf_counter()
    answer = browser.get(url, headers=headers)
    elapsed = (time.perf_counter() - started) * 1000
    assert answer.status_code == 200, (url, answer.status_code)
    return elapsed


def explain(app, url: str, pages: dict[str, tuple[str, dict]]) -> list[str]:
    """Each page's statements under EXPLAIN ANALYZE; the sequential scans of big tables found."""
    from app.db import db_session

    engine = app.extensions["guichet.db"].engine
    captured: list[tuple[str, str, object]] = []
    for name, (path, login) in pages.items():
        client = app.test_client()
        if "token" in login:
            headers = {"Authorization": f"Bearer {login['token']}"}
        else:
            headers = {}
            page = client.get("/account/signin").get_data(as_text=True)
            token = re.search(r'name="csrf_token"[^>]*?value="([^"]+)"', page).group(1)
            client.post(
                "/account/signin", data={"email": login["email"], "password": PASSWORD, "csrf_token": token}
            )
        client.get(path, headers=headers)  # warm: packs compiled, caches filled
        seen: list = []

        def keep(_conn, _cursor, statement, parameters, _context, _many, seen=seen) -> None:
            seen.append((statement, parameters))

        from sqlalchemy import event

        event.listen(engine, "before_cursor_execute", keep)
        try:
            assert client.get(path, headers=headers).status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", keep)
        captured += [(name, statement, parameters) for statement, parameters in seen]
    scans = []
    with app.app_context():
        session = db_session()
        raw = session.connection().connection.driver_connection
        for name, statement, parameters in captured:
            if not statement.lstrip().upper().startswith("SELECT") or "FOR UPDATE" in statement.upper():
                continue
            plan = [row[0] for row in raw.execute(f"EXPLAIN (ANALYZE, BUFFERS) {statement}", parameters)]
            print(f"\n-- {name}: {' '.join(statement.split())[:400]}")
            for line in plan:
                print(f"   {line}")
            for line in plan:
                match = re.search(r"Seq Scan on (\w+)", line)
                if match and match.group(1) in BIG_TABLES:
                    scans.append(f"{name}: {line.strip()}")
        session.rollback()
    return scans


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=seed.DEFAULT_URL, help="quick runs add _quick to its name")
    parser.add_argument("--applications", type=int, default=100_000)
    parser.add_argument("--reuse", action="store_true", help="keep the database if it is seeded already")
    parser.add_argument("--requests", type=int, default=300, help="timed requests of each page")
    load.add_server_options(parser)
    parser.add_argument("--quick", action="store_true", help="2,000 applications, 50 requests a page")
    args = parser.parse_args(argv)
    if args.quick:
        args.applications, args.requests = 2_000, 50
    url = seed.postgres_url(args.database_url, quick=args.quick)
    seed.ensure_seeded(url, args.applications, args.reuse)
    engine = create_engine(url)
    with engine.connect() as connection:
        permits = connection.execute(text("SELECT count(*) FROM permit_cases")).scalar_one()
        waiting = connection.execute(
            text("SELECT count(*) FROM permit_cases WHERE agency_code = :a AND waiting_on = 'clerk'"),
            {"a": CLERK_AGENCY},
        ).scalar_one()
    engine.dispose()

    os.environ["DATABASE_URL"] = url
    from accounts.models import User
    from accounts.service import issue_token
    from app import create_app
    from app.db import db_session

    app = create_app({"SIGNIN_RATE_LIMIT": "100000 per minute"})
    clerk_email, owner_email, application_id = accounts(app)
    with app.app_context():
        session = db_session()
        clerk = session.query(User).filter_by(email=clerk_email).one()
        clerk_token = issue_token(session, clerk)
        session.commit()
    pages = {
        "queue page": ("/staff/queue", {"email": clerk_email}),
        "queue, filtered": (
            "/staff/queue?municipality=3520005&permit=TO-ZONING&page=3",
            {"email": clerk_email},
        ),
        "queue API": ("/api/v1/queue", {"token": clerk_token}),
        "applications list": ("/applications/", {"email": owner_email}),
        "application page": (f"/applications/{application_id}", {"email": owner_email}),
    }
    timings: dict[str, list[float]] = {name: [] for name in pages}
    with load.gunicorn(url, args.workers, args.threads) as server:
        base = server.base
        browsers = {
            clerk_email: signed_in(base, clerk_email),
            owner_email: signed_in(base, owner_email),
        }
        api = requests.Session()
        for round_ in range(args.requests + 20):
            for name, (path, login) in pages.items():
                if "token" in login:
                    elapsed = timed(api, base + path, {"Authorization": f"Bearer {login['token']}"})
                else:
                    elapsed = timed(browsers[login["email"]], base + path)
                if round_ >= 20:  # the first rounds warm the workers up
                    timings[name].append(elapsed)
    scans = explain(app, url, pages)
    app.extensions["guichet.db"].engine.dispose()

    print()
    print(f"Machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(
        f"{permits:,} permits; {waiting:,} waiting for {CLERK_AGENCY}'s clerks;"
        f" gunicorn {args.workers} sync workers;"
        f" {args.requests} requests a page, one at a time"
    )
    print(f"{'page':20}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}")
    worst = 0.0
    for name, values in timings.items():
        p95 = load.percentile(values, 0.95)
        worst = max(worst, p95)
        print(f"{name:20}{statistics.median(values):>8.1f}{p95:>8.1f}{load.percentile(values, 0.99):>8.1f}")
    print()
    print(
        f"{'PASS' if worst < TARGET_MS else 'FAIL'}: slowest p95 {worst:.1f} ms (target under {TARGET_MS} ms)"
    )
    print(
        f"{'PASS' if permits >= 1_000_000 else 'FAIL'}: {permits:,} permits in the database"
        " (target 1,000,000)"
    )
    print(f"{'PASS' if not scans else 'FAIL'}: sequential scans of big tables: {scans or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
