"""Browser tests: Debian's Chromium driven by Playwright against the real app on a live server.

Each test gets its own server (werkzeug, in a thread, on a free port of 127.0.0.1) over its own
freshly migrated database holding the bundled packs, so tests are independent and safe under
pytest-xdist. `make test` installs Chromium (apt) and axe-core (npm) first; without them the tests
skip locally with the reason, and fail under CI=true, where they must run.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy.orm import Session
from werkzeug.serving import WSGIRequestHandler, make_server

from accounts.service import create_account
from app import create_app
from tests.conftest import IN_CI, SIGNING_KEY
from tests.smtp_sink import SmtpSink
from tests.web.conftest import PASSWORD
from workflows import migrate
from workflows.db import make_engine
from workflows.pack_store import publish_packs
from workflows.packs.loader import bundled_pack_directory, read_pack_directory

CHROMIUM = Path(os.environ.get("GUICHET_CHROMIUM", "/usr/bin/chromium"))
AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
#: Debian's Chromium on a machine with a closed network: no sandbox (root), no GPU, and none of the
#: background connections (updates, sync, QUIC) that would be refused and slow every page down.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: Every agency with a clerk's task in the Toronto restaurant's journey (tests/answer_sets.py), in
#: the order their tasks open up, so few rounds of the queues approve everything.
CLERK_AGENCIES = ("ON-PHU", "ON-AGCO", "TO-TB", "TO-TPH", "TO-MLS", "TO-TS")
#: The longest browser tests, each run in English and in French (`_spread_the_long_tests`).
LONG_TESTS = ("test_the_whole_journey_in_a_browser", "test_the_pages_the_journey_does_not_reach")


def _missing() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing: `make test` installs Debian's chromium package"
    if not AXE.exists():
        return f"{AXE} is missing: `make test` runs `npm ci` in tests/browser"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "the playwright package is missing: pip install -e '.[test]'"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    ours = [item for item in items if here in Path(item.path).parents]
    _spread_the_long_tests(items, ours)
    reason = _missing() if ours else None
    if reason is None:
        return
    if IN_CI:
        raise pytest.UsageError(f"CI=true: the browser tests must run, not be skipped: {reason}")
    for item in ours:
        item.add_marker(pytest.mark.skip(reason=reason))


def _spread_the_long_tests(items: list[pytest.Item], ours: list[pytest.Item]) -> None:
    """Put the two languages of each long test apart among the browser tests (the first ones at
    the start, the others in the middle), so that pytest-xdist, which hands each worker consecutive
    tests, starts them on different workers."""
    found = [[item for item in ours if item.originalname == name] for name in LONG_TESTS]
    found = [runs for runs in found if len(runs) >= 2]
    if not found:
        return
    front = [runs[0] for runs in found]
    back = [item for runs in found for item in runs[1:]]
    others = [item for item in ours if item not in front and item not in back]
    middle = max(1, len(others) // 2)
    spread = [*front, *others[:middle], *back, *others[middle:]]
    start = items.index(ours[0])
    if items[start : start + len(ours)] == ours:  # one block, as collected from this folder
        items[start : start + len(ours)] = spread


@pytest.fixture(scope="session")
def chromium():
    """One headless Chromium per test process; each test opens its own contexts (cookie jars)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@dataclass
class LiveServer:
    """The real app serving HTTP on 127.0.0.1, and what a test needs to look behind it."""

    app: Flask
    url: str
    smtp: SmtpSink
    backend: str
    clerks: dict[str, str] = field(default_factory=dict)  # agency code -> clerk's email

    def send_outbox(self) -> None:
        """What `flask outbox send` does in production: deliver the emails waiting, to the sink."""
        result = self.app.test_cli_runner().invoke(args=["outbox", "send"])
        assert result.exit_code == 0, result.output


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs) -> None:  # a hundred pages a test: keep the output readable
        pass


def _serve(app: Flask) -> tuple[Callable[[], None], str]:
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(5)

    return stop, f"http://127.0.0.1:{server.server_port}"


@pytest.fixture
def live_server_on(fresh_database) -> Iterator[Callable[[str], LiveServer]]:
    """Start the app on a new database of a backend ("sqlite" or "postgresql"), with a clerk for
    every agency of the journey unless told not to; everything is stopped when the test ends."""
    stops: list[Callable[[], None]] = []

    def start(backend: str = "sqlite", *, with_clerks: bool = True) -> LiveServer:
        url = fresh_database(backend)
        engine = make_engine(url)
        migrate.upgrade(engine)
        with Session(engine) as session, session.begin():
            publish_packs(session, read_pack_directory(bundled_pack_directory()))
            clerks = {}
            for agency in CLERK_AGENCIES if with_clerks else ():
                email = f"clerk@{agency.lower()}.example.ca"
                create_account(
                    session,
                    email=email,
                    password=PASSWORD,
                    name=f"Clerk {agency}",
                    role="clerk",
                    agency_code=agency,
                )
                clerks[agency] = email
        engine.dispose()
        smtp = SmtpSink()
        smtp.start()
        stops.append(smtp.stop)
        app = create_app(
            {
                "TESTING": True,
                "DATABASE_URL": url,
                "SECRET_KEY": "browser-test-secret-key",
                "PACKS_REFRESH_SECONDS": 0,
                "LICENCE_SIGNING_KEY": SIGNING_KEY,
                "OUTBOX_BACKGROUND": False,
                "SMTP_HOST": "127.0.0.1",
                "SMTP_PORT": smtp.port,
                # Every clerk signs in from the same address: the limits would only get in the way.
                "SIGNIN_RATE_LIMIT": "10000 per minute",
                "PAYMENT_RATE_LIMIT": "10000 per minute",
            }
        )
        stop, base = _serve(app)
        stops.append(stop)
        stops.append(app.extensions["guichet.db"].engine.dispose)
        return LiveServer(app, base, smtp, backend, clerks)

    yield start
    for stop in reversed(stops):
        stop()


@pytest.fixture
def live_server(live_server_on) -> LiveServer:
    """The app on SQLite, for tests that need no clerk."""
    return live_server_on("sqlite", with_clerks=False)


@pytest.fixture
def screenshots() -> Callable[[str], Path]:
    """A fresh folder build/screenshots/<name>/ for a test's full-page screenshots."""

    def folder(name: str) -> Path:
        path = SCREENSHOTS / name
        shutil.rmtree(path, ignore_errors=True)
        path.mkdir(parents=True)
        return path

    return folder
