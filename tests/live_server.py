"""The real app in OS processes of its own, for tests that kill it: a Werkzeug server on a fixed
port, `flask` commands, and a small JSON client that says when the server could not be reached.

In-process test clients cannot be killed half-way through a request; these can (SIGKILL), and
are started again on the same port, the way a supervisor restarts a crashed worker.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
#: What a client cannot tell from a lost answer: the request may or may not have been done.
UNREACHABLE = (ConnectionError, http.client.HTTPException, TimeoutError, OSError)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def flask_command(env: Mapping[str, str], *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    """`flask <args>` run for real, in a process of its own, against the app `env` configures."""
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


class Process:
    """A command run as its own OS process, its output kept in a log file; killed with SIGKILL."""

    def __init__(self, args: list[str], env: Mapping[str, str], log: Path):
        # Unbuffered: what it wrote before a SIGKILL is in the log, not lost with its buffers.
        self.args, self.env, self.log = args, {**os.environ, **env, "PYTHONUNBUFFERED": "1"}, log
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with self.log.open("a") as output:
            self.process = subprocess.Popen(
                self.args, cwd=ROOT, env=self.env, stdout=output, stderr=subprocess.STDOUT
            )

    def kill(self) -> None:
        """SIGKILL: no handler runs, no transaction is finished, no socket is closed politely."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


class AppServer(Process):
    """`flask run` (Werkzeug, a thread per request) on 127.0.0.1:`port`, kept on that port across
    restarts, as a crashed worker is restarted behind the same address."""

    def __init__(self, env: Mapping[str, str], log: Path, port: int | None = None):
        self.port = port or free_port()
        args = [sys.executable, "-m", "flask", "--app", "wsgi", "run", "--host", "127.0.0.1"]
        args += ["--port", str(self.port), "--no-reload", "--no-debugger", "--with-threads"]
        super().__init__(args, env, log)

    def start(self, timeout: float = 30) -> None:
        """Start it and return once it answers /healthz (the database reached)."""
        super().start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"the server exited with {self.process.returncode}:\n{self.output()[-3000:]}"
                )
            try:
                if JsonClient(self.port).request("GET", "/healthz").status == 200:
                    return
            except UNREACHABLE:
                time.sleep(0.05)
        raise RuntimeError(f"the server did not answer within {timeout} s:\n{self.output()[-3000:]}")


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: Any
    headers: Mapping[str, str]


class JsonClient:
    """One HTTP/1.1 connection per request, JSON in and out; a lost connection raises (UNREACHABLE)."""

    def __init__(self, port: int, timeout: float = 30):
        self.port, self.timeout = port, timeout

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        token: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Answer:
        sent = {"Accept": "application/json", **(headers or {})}
        if token:
            sent["Authorization"] = f"Bearer {token}"
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            connection.request(method, path, body=payload, headers=sent)
            response = connection.getresponse()
            raw = response.read()
            kind = response.getheader("Content-Type", "")
            data = json.loads(raw) if raw and kind.startswith("application/json") else raw
            return Answer(response.status, data, dict(response.getheaders()))
        finally:
            connection.close()
