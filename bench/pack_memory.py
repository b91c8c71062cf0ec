"""Memory of a real worker with 3,500 municipalities' packs in force.

Generates the synthetic country of bench/triage.py (1 federal, 13 provincial and by default
3,500 municipal packs), publishes it into a fresh database with `flask packs load` (the
operator's path), then starts real workers: gunicorn with 2 sync workers (or, without
gunicorn, one process serving the app with werkzeug). Each worker is sent a triage over the
API, which makes it load the packs in force from the database as any worker does, then the
triage pages. Once every worker has served a triage, the benchmark reads each one's memory
from /proc: VmRSS (resident: what the target is about), VmHWM (the highest VmRSS it reached,
during the load), and PSS and USS from smaps_rollup (its share of pages shared with the other
processes, and the pages that are its own). In the last run, a new version of one pack is then
published, and memory read again once every worker triages with it.

    .venv/bin/python bench/pack_memory.py          # 3,500 municipalities, 3 runs (about 5 minutes)
    .venv/bin/python bench/pack_memory.py --quick  # 500 municipalities, 1 run
    .venv/bin/python bench/pack_memory.py --database-url postgresql://postgres@127.0.0.1:5432/bench

Target: every worker's VmRSS under 150 MB (150 x 10^6 bytes) after it has loaded the packs and
served a triage; the median over runs and workers is reported with each run's figures. Prints
PASS or FAIL and exits 1 on FAIL. See docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.triage import RESTAURANT_ANSWERS, generate  # noqa: E402
from licences.signing import new_private_key_pem  # noqa: E402
from workflows.db import make_engine  # noqa: E402
from workflows.models import PackVersion  # noqa: E402
from workflows.packs.loader import PackSource  # noqa: E402

#: The target (see docs/performance.md): a worker's whole resident memory, in bytes.
TARGET_RSS_BYTES = 150_000_000
BIN = Path(sys.executable).parent


@dataclass
class WorkerMemory:
    """One worker's memory after its triage, in KiB as /proc gives it."""

    pid: int
    rss_kib: int
    hwm_kib: int
    pss_kib: int
    uss_kib: int


@dataclass
class Run:
    workers: list[WorkerMemory] = field(default_factory=list)
    #: How long each worker's first triage took, the load of the packs included.
    first_triages: list[float] = field(default_factory=list)


def proc_memory(pid: int) -> WorkerMemory:
    """VmRSS and VmHWM from /proc/<pid>/status; Pss and USS (private pages) from smaps_rollup."""
    status = _proc_fields(Path(f"/proc/{pid}/status"))
    rollup = _proc_fields(Path(f"/proc/{pid}/smaps_rollup"))
    return WorkerMemory(
        pid,
        status["VmRSS"],
        status["VmHWM"],
        rollup.get("Pss", 0),
        rollup.get("Private_Clean", 0) + rollup.get("Private_Dirty", 0),
    )


def _proc_fields(path: Path) -> dict[str, int]:
    values = {}
    for line in path.read_text().splitlines():
        name, _, rest = line.partition(":")
        parts = rest.split()
        if len(parts) == 2 and parts[1] == "kB":
            values[name] = int(parts[0])
    return values


def children_of(pid: int) -> list[int]:
    """The processes whose parent is `pid` (gunicorn's workers), read from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rpartition(")")[2].split()[1]) == pid:
            found.append(int(entry.name))
    return sorted(found)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def environment(database_url: str) -> dict[str, str]:
    """What the app needs from the environment, with fixed secrets so nothing is written to instance/."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        FLASK_APP="wsgi",
        PYTHONPATH=str(ROOT),
        SECRET_KEY=secrets.token_urlsafe(48),
        GUICHET_WEBHOOK_SECRET=secrets.token_urlsafe(48),
        GUICHET_LICENCE_SIGNING_KEY=new_private_key_pem(),
        GUICHET_OUTBOX_BACKGROUND="false",
        GUICHET_PACKS_REFRESH_SECONDS="1",  # workers take up a republication within a second
    )
    return env


def flask(env: dict[str, str], *arguments: str) -> float:
    """Run a `flask` command in the project; return how long it took."""
    started = time.perf_counter()
    subprocess.run([str(BIN / "flask"), *arguments], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def publish(sources: Sequence[PackSource], database_url: str, env: dict[str, str], directory: Path) -> float:
    """Write the packs to files and publish them with `flask packs load`, as an operator would."""
    for source in sources:
        (directory / source.filename).write_text(source.text, encoding="utf-8")
    engine = make_engine(database_url)
    flask(env, "db", "upgrade")
    with engine.connect() as connection:
        if connection.scalar(select(func.count()).select_from(PackVersion)):
            raise SystemExit(f"{database_url} already holds packs: give an empty database")
    engine.dispose()
    return flask(env, "packs", "load", str(directory))


class Server:
    """gunicorn with N sync workers, or one werkzeug process; stopped by its own pid only."""

    def __init__(self, kind: str, workers: int, env: dict[str, str], log: Path, timeout: int):
        self.port = free_port()
        self.kind = kind
        self.log = log
        if kind == "gunicorn":
            command = [
                str(BIN / "gunicorn"),
                f"--workers={workers}",
                f"--bind=127.0.0.1:{self.port}",
                f"--timeout={timeout}",
                f"--access-logfile={log}",
                "--access-logformat=%(p)s %(m)s %(U)s %(s)s",
                "wsgi:app",
            ]
        else:
            command = [
                sys.executable,
                "-c",
                "import sys; from werkzeug.serving import run_simple; from wsgi import app; "
                "run_simple('127.0.0.1', int(sys.argv[1]), app, threaded=False)",
                str(self.port),
            ]
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.DEVNULL)
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=5) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError):
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the {kind} server did not start")
            time.sleep(0.2)

    def worker_pids(self) -> list[int]:
        return children_of(self.process.pid) if self.kind == "gunicorn" else [self.process.pid]

    def pids_that_triaged(self) -> set[int]:
        """Workers whose access log shows a triage answered 200 (werkzeug: the one process)."""
        if self.kind != "gunicorn":
            return {self.process.pid}
        served = set()
        for line in self.log.read_text().splitlines():
            pid, method, path, status = line.split()
            if (method, path, status) == ("POST", "/api/v1/triage", "200"):
                served.add(int(pid.strip("<>")))
        return served

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def request(url: str, body: dict | None = None) -> tuple[int, float, str]:
    """GET, or POST `body` as JSON; returns the status, the seconds it took and the answer."""
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"} if body is not None else {}
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data, headers), timeout=900) as response:
            answer = response.read().decode()
            status = response.status
    except urllib.error.HTTPError as error:
        status, answer = error.code, ""
    return status, time.perf_counter() - started, answer


def at_once(calls: Sequence[tuple[str, dict | None]]) -> list[tuple[int, float, str]]:
    """Send requests at the same time, one thread each: each sync worker takes one."""
    results: list[tuple[int, float, str]] = [(0, 0.0, "")] * len(calls)

    def send(index: int, url: str, body: dict | None) -> None:
        results[index] = request(url, body)

    threads = [threading.Thread(target=send, args=(i, *call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def measure(server: Server, workers: int, municipality: str, answers: dict) -> Run:
    """Triage on every worker, then the triage pages, then read each worker's memory."""
    triage = (f"{server.url}/api/v1/triage", {"jurisdiction": municipality, "answers": answers})
    first = at_once([triage] * workers)
    if any(status != 200 for status, _, _ in first):
        raise SystemExit(f"a first triage failed: {first}")
    pages = [
        triage,
        (f"{server.url}/triage/", None),
        (f"{server.url}/triage/{municipality}", None),
        (f"{server.url}/api/v1/triage/questions?jurisdiction={municipality}", None),
    ]
    for _ in range(40):
        for page in pages:
            results = at_once([page] * workers)
            if any(status != 200 for status, _, _ in results):
                raise SystemExit(f"{page[0]} failed: {[status for status, _, _ in results]}")
        if server.pids_that_triaged() >= set(server.worker_pids()):
            break
    else:
        raise SystemExit("not every worker served a triage")
    time.sleep(0.5)
    return Run([proc_memory(pid) for pid in server.worker_pids()], [seconds for _, seconds, _ in first])


REPUBLISHED = " (republished)"


def republish(
    server: Server, workers: int, env: dict[str, str], source: PackSource, directory: Path, answers: dict
) -> tuple[float, float, list[WorkerMemory]]:
    """Publish a new version of one municipality's pack and triage there until every worker answers
    with it (each reloads every pack in force, holding the old set until the new one is ready).
    Returns how long `flask packs load` and the reloads took, and each worker's memory after."""
    old = ", as the by-law requires."
    text = source.text.replace(old, old[:-1] + REPUBLISHED + ".")
    if text == source.text:
        raise SystemExit(f"{source.filename} has no permit description to change")
    directory.mkdir(exist_ok=True)
    (directory / source.filename).write_text(text, encoding="utf-8")
    publish_seconds = flask(env, "packs", "load", str(directory / source.filename))
    municipality = source.filename.removesuffix(".yaml")
    triage = (f"{server.url}/api/v1/triage", {"jurisdiction": municipality, "answers": answers})
    started = time.perf_counter()
    in_a_row = 0
    for _ in range(200):
        results = at_once([triage] * workers)
        in_a_row = in_a_row + 1 if all(REPUBLISHED in answer for _, _, answer in results) else 0
        if in_a_row == 3:  # each of 3 rounds spread over the workers: every one has reloaded
            break
        time.sleep(0.2)
    else:
        raise SystemExit("the workers did not take up the new version")
    reload_seconds = time.perf_counter() - started
    time.sleep(0.5)
    return publish_seconds, reload_seconds, [proc_memory(pid) for pid in server.worker_pids()]


def mb(kib: float) -> str:
    return f"{kib * 1024 / 1e6:.1f} MB"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--municipalities", type=int, default=3500, help="municipal packs (default 3500)")
    parser.add_argument("--runs", type=int, default=3, help="servers started one after the other (default 3)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--seed", type=int, default=20240601, help="generator seed")
    parser.add_argument("--database-url", help="an empty database to publish into (default: a fresh SQLite)")
    parser.add_argument("--server", choices=("auto", "gunicorn", "werkzeug"), default="auto")
    parser.add_argument(
        "--timeout", type=int, default=600, help="gunicorn's worker timeout in seconds (default 600)"
    )
    parser.add_argument("--quick", action="store_true", help="500 municipalities, 1 run")
    parser.add_argument(
        "--no-republish", action="store_true", help="skip the new version published during the last run"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.municipalities, args.runs = min(args.municipalities, 500), 1
    kind = args.server
    if kind == "auto":
        kind = "gunicorn" if (BIN / "gunicorn").exists() else "werkzeug"
    workers = args.workers if kind == "gunicorn" else 1

    print("Guichet pack memory benchmark")
    print(
        f"machine: {platform.platform()}; {platform.processor() or platform.machine()}; "
        f"{os.cpu_count()} CPUs; Python {platform.python_version()}; server: {kind}, {workers} worker(s)"
    )
    started = time.perf_counter()
    country = generate(args.municipalities, args.seed)
    print(f"generated {len(country.sources):,} packs in {time.perf_counter() - started:.1f} s")
    chain_questions = {
        question["id"]
        for source in country.chains[country.headline]
        for question in yaml.safe_load(source.text).get("questions", ())
    }
    answers = {key: value for key, value in RESTAURANT_ANSWERS.items() if key in chain_questions}

    with tempfile.TemporaryDirectory(prefix="guichet-pack-memory-") as temporary:
        directory = Path(temporary)
        (directory / "packs").mkdir()
        database_url = args.database_url or f"sqlite:///{directory / 'guichet.sqlite'}"
        env = environment(database_url)
        publish_seconds = publish(country.sources, database_url, env, directory / "packs")
        print(f"published with `flask packs load` in {publish_seconds:.1f} s")
        runs = []
        republication = None
        for number in range(1, args.runs + 1):
            server = Server(kind, workers, env, directory / f"access-{number}.log", args.timeout)
            try:
                run = measure(server, workers, country.headline, answers)
                _print_run(f"run {number}", run)
                if number == args.runs and not args.no_republish:
                    republication = republish(
                        server, workers, env, country.chains[country.headline][-1], directory / "new", answers
                    )
            finally:
                server.stop()
            runs.append(run)
        if republication is not None:
            publish_again, reload_seconds, after = republication
            print(
                f"after a new version of {country.headline}'s pack (`flask packs load` "
                f"{publish_again:.1f} s, every worker triaging with it {reload_seconds:.1f} s later):"
            )
            for worker in after:
                print(f"  {_memory_line(worker)}")

    every = [worker for run in runs for worker in run.workers]
    figures = [
        ("packs", f"{len(country.sources):,} ({args.municipalities:,} municipalities)"),
        ("`flask packs load`", f"{publish_seconds:.1f} s"),
        (
            "first triage (loads the packs)",
            _median_range([seconds for run in runs for seconds in run.first_triages], "s"),
        ),
        ("VmRSS after the triage", _median_range([w.rss_kib for w in every])),
        ("VmHWM (peak VmRSS)", _median_range([w.hwm_kib for w in every])),
        ("PSS", _median_range([w.pss_kib for w in every])),
        ("USS", _median_range([w.uss_kib for w in every])),
    ]
    if republication is not None:
        figures.append(("VmRSS after a republication", _median_range([w.rss_kib for w in republication[2]])))
        figures.append(("VmHWM after a republication", _median_range([w.hwm_kib for w in republication[2]])))
    print()
    width = max(len(name) for name, _ in figures) + 2
    for name, value in figures:
        print(f"{name:<{width}}{value}")
    worst = max(worker.rss_kib for worker in every) * 1024
    median = statistics.median(worker.rss_kib for worker in every) * 1024
    passed = worst < TARGET_RSS_BYTES
    print()
    print(
        f"{'PASS' if passed else 'FAIL'}  every worker's VmRSS < {TARGET_RSS_BYTES / 1e6:.0f} MB: "
        f"highest {worst / 1e6:.1f} MB, median {median / 1e6:.1f} MB"
    )
    return 0 if passed else 1


def _memory_line(worker: WorkerMemory) -> str:
    return (
        f"worker {worker.pid}: VmRSS {mb(worker.rss_kib)}, VmHWM {mb(worker.hwm_kib)}, "
        f"PSS {mb(worker.pss_kib)}, USS {mb(worker.uss_kib)}"
    )


def _print_run(name: str, run: Run) -> None:
    firsts = ", ".join(f"{seconds:.1f} s" for seconds in run.first_triages)
    print(f"{name}: first triages (each loads the packs) {firsts}")
    for worker in run.workers:
        print(f"  {_memory_line(worker)}")


def _median_range(values: Sequence[float], unit: str = "") -> str:
    if unit == "s":
        return f"median {statistics.median(values):.1f} s (runs: {min(values):.1f}-{max(values):.1f} s)"
    return f"median {mb(statistics.median(values))} ({mb(min(values))}-{mb(max(values))})"


if __name__ == "__main__":
    sys.exit(main())
