"""What the load benchmarks share: gunicorn serving the app, pgbench, and locust runs.

Everything runs on this machine over loopback: gunicorn (sync workers) serves the app on a
PostgreSQL database, locust (headless, in its own process) plays the users, and pgbench
measures what the same PostgreSQL does with a simple transactional workload, so that the
app's figures can be read as a ratio of the database's, which travels better between
machines than absolute figures.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import psutil
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def default_workers() -> int:
    """gunicorn's advice for sync workers: two per core, plus one."""
    return 2 * (os.cpu_count() or 1) + 1


def add_server_options(parser: argparse.ArgumentParser) -> None:
    """--workers and --threads, how each benchmark's gunicorn is set up."""
    parser.add_argument("--workers", type=int, default=default_workers())
    parser.add_argument(
        "--threads", type=int, default=1, help="above 1: gthread workers with this many threads"
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass(frozen=True)
class Server:
    base: str  # e.g. http://127.0.0.1:41234
    pid: int  # gunicorn's master
    access_log: Path  # one line a request: microseconds in the app, then the path

    @contextmanager
    def timed_in_app(self) -> Iterator[dict[str, list[float]]]:
        """How long the app took over each request of the block (milliseconds, by the path's last
        part, e.g. "approve"), from gunicorn's access log: the server's side of the latency,
        without the network, the load generator or the wait to be accepted."""
        times: dict[str, list[float]] = {}
        start = self.access_log.stat().st_size
        yield times
        time.sleep(0.5)  # gunicorn writes its access log line after the response
        with self.access_log.open() as log:
            log.seek(start)
            for line in log:
                microseconds, path = line.split()
                times.setdefault(path.rstrip("/").rsplit("/", 1)[-1], []).append(int(microseconds) / 1000)


@contextmanager
def gunicorn(database_url: str, workers: int, threads: int = 1) -> Iterator[Server]:
    """The app under gunicorn on a free port, serving once every worker has the packs loaded.

    With `threads` above 1, gthread workers: each serves that many requests at once and keeps
    connections alive between requests, which sync workers do not."""
    port = free_port()
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "GUICHET_OUTBOX_BACKGROUND": "0",  # as in production: `flask outbox send --loop` sends
        "GUICHET_SIGNIN_RATE_LIMIT": "100000 per minute",
        "GUICHET_PAYMENT_RATE_LIMIT": "100000 per minute",
        "GUICHET_PACKS_REFRESH_SECONDS": "3600",
    }
    log = Path(tempfile.mkstemp(prefix="guichet-gunicorn-", suffix=".log")[1])
    access_log = Path(tempfile.mkstemp(prefix="guichet-access-", suffix=".log")[1])
    process = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "--workers",
            str(workers),
            *(["--worker-class", "gthread", "--threads", str(threads)] if threads > 1 else []),
            "--bind",
            f"127.0.0.1:{port}",
            "--backlog",
            "2048",
            "--access-logfile",
            str(access_log),
            "--access-logformat",
            "%(D)s %(U)s",
            "--log-level",
            "warning",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=environment,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, process, log)
        for _ in range(workers * 4):  # each worker compiles the packs on its first triage
            _get(f"{base}/triage/")
        yield Server(base, process.pid, access_log)
    finally:
        process.terminate()
        process.wait(timeout=30)
        errors = [line for line in log.read_text().splitlines() if "Traceback" in line]
        log.unlink()
        access_log.unlink()
        if errors:
            raise RuntimeError(f"gunicorn logged {len(errors)} tracebacks")


def _get(url: str) -> int:
    with urllib.request.urlopen(url, timeout=30) as response:
        response.read()
        return response.status


def _wait_until_up(base: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn stopped: {log.read_text()[-2000:]}")
        try:
            if _get(f"{base}/healthz") == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer within 60 s")


@dataclass(frozen=True)
class Pgbench:
    tps: float
    latency_ms: float


def pgbench_init(database_url: str, scale: int) -> str:
    """A fresh pgbench database beside the app's; its libpq connection string."""
    url = make_url(database_url).set(
        drivername="postgresql", database=f"{make_url(database_url).database}_pgbench"
    )
    admin = create_engine(
        url.set(drivername="postgresql+psycopg", database="postgres"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{url.database}"'))
    admin.dispose()
    conninfo = url.render_as_string(hide_password=False)
    subprocess.run(["pgbench", "-i", "-q", "-s", str(scale), conninfo], check=True, capture_output=True)
    return conninfo


def pgbench_run(conninfo: str, clients: int, seconds: int) -> Pgbench:
    """pgbench's default TPC-B-like transaction (three updates, a select, an insert) from
    `clients` connections for `seconds`."""
    output = subprocess.run(
        [
            "pgbench",
            "-c",
            str(clients),
            "-j",
            str(min(clients, os.cpu_count() or 1)),
            "-T",
            str(seconds),
            conninfo,
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    figures = dict(line.split(" = ", 1) for line in output.splitlines() if " = " in line)
    return Pgbench(
        tps=float(figures["tps"].split()[0]),
        latency_ms=float(figures["latency average"].split()[0]),
    )


@dataclass(frozen=True)
class Requests:
    """What locust saw of one kind of request (or of all, `name` "Aggregated")."""

    name: str
    count: int
    failures: int
    per_second: float
    seconds: float  # from the first request to the last
    p50: float
    p95: float
    p99: float


def locust(
    locustfile: str, host: str, users: int, seconds: int, environment: Mapping[str, str]
) -> dict[str, Requests]:
    """A headless locust run; its requests by name, with percentiles in milliseconds."""
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "stats.json"
        subprocess.run(
            [
                str(BIN / "locust"),
                "-f",
                str(ROOT / "bench" / "locustfiles" / locustfile),
                "--headless",
                "--host",
                host,
                "--users",
                str(users),
                "--spawn-rate",
                str(users),
                "--run-time",
                f"{seconds}s",
                "--reset-stats",
                "--only-summary",
                "--loglevel",
                "WARNING",
                "--json-file",
                str(report.with_suffix("")),
            ],
            cwd=ROOT,
            env={**os.environ, **environment},
            check=False,  # locust exits 1 when any request failed: the failures are reported
            stdout=subprocess.DEVNULL,
        )
        entries = json.loads(report.read_text())
    return {entry["name"]: _requests(entry) for entry in entries} | {"Aggregated": _aggregate(entries)}


def _percentile(histogram: Mapping[str, int], fraction: float) -> float:
    """A percentile of locust's response-time histogram (milliseconds, rounded as locust keeps them)."""
    times = sorted((float(ms), count) for ms, count in histogram.items())
    wanted = fraction * sum(count for _ms, count in times)
    seen = 0
    for ms, count in times:
        seen += count
        if seen >= wanted:
            return ms
    return float("nan")


def _requests(entry: Mapping) -> Requests:
    histogram = entry["response_times"]
    duration = max(entry["last_request_timestamp"] - entry["start_time"], 1e-9)
    return Requests(
        name=entry["name"],
        count=entry["num_requests"],
        failures=entry["num_failures"],
        per_second=entry["num_requests"] / duration,
        seconds=duration,
        p50=_percentile(histogram, 0.50),
        p95=_percentile(histogram, 0.95),
        p99=_percentile(histogram, 0.99),
    )


def _aggregate(entries: list[Mapping]) -> Requests:
    histogram: dict[str, int] = {}
    for entry in entries:
        for ms, count in entry["response_times"].items():
            histogram[ms] = histogram.get(ms, 0) + count
    start = min(entry["start_time"] for entry in entries)
    last = max(entry["last_request_timestamp"] for entry in entries)
    count = sum(entry["num_requests"] for entry in entries)
    return Requests(
        name="Aggregated",
        count=count,
        failures=sum(entry["num_failures"] for entry in entries),
        per_second=count / max(last - start, 1e-9),
        seconds=last - start,
        p50=_percentile(histogram, 0.50),
        p95=_percentile(histogram, 0.95),
        p99=_percentile(histogram, 0.99),
    )


@dataclass(frozen=True)
class CpuSeconds:
    """CPU time (user and system) spent while a block ran, by who spent it."""

    app: float  # gunicorn's master and workers
    database: float  # PostgreSQL's processes on this machine
    load: float  # the load generator and any other child of this process that ended


def _tree_seconds(pid: int) -> float:
    root = psutil.Process(pid)
    total = 0.0
    for process in [root, *root.children(recursive=True)]:
        with suppress(psutil.NoSuchProcess):
            times = process.cpu_times()
            total += times.user + times.system
    return total


def _postgres_seconds() -> dict[int, float]:
    seconds = {}
    for process in psutil.process_iter(["name", "cpu_times"]):
        if process.info["name"] == "postgres" and process.info["cpu_times"] is not None:
            seconds[process.pid] = process.info["cpu_times"].user + process.info["cpu_times"].system
    return seconds


def _children_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@contextmanager
def cpu_meter(server: Server) -> Iterator[list[CpuSeconds]]:
    """What the app, the database and the load generator each spent of the CPU while the block ran
    (PostgreSQL's backends that ended during it are missed: keep connections open, as pools do)."""
    measured: list[CpuSeconds] = []
    app, database, children = _tree_seconds(server.pid), _postgres_seconds(), _children_seconds()
    yield measured
    database_after = _postgres_seconds()
    measured.append(
        CpuSeconds(
            app=_tree_seconds(server.pid) - app,
            database=sum(seconds - database.get(pid, 0.0) for pid, seconds in database_after.items()),
            load=_children_seconds() - children,
        )
    )


@contextmanager
def statement_counter(engine) -> Iterator[list[str]]:
    """Every SQL statement the engine sends while the block runs."""
    statements: list[str] = []

    def count(_connection, _cursor, statement, _parameters, _context, _executemany) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def median(values: list[float]) -> float:
    return statistics.median(values)


def percentile(values: list[float], fraction: float) -> float:
    """The value below which `fraction` of `values` fall (nearest rank)."""
    ordered = sorted(values)
    return (
        ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]
        if ordered
        else float("nan")
    )
