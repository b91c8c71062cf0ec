"""The triage engine over the packs in force, shared by web pages, API and CLI.

Each process keeps the compiled packs and re-checks the database's pack revision at
most every PACKS_REFRESH_SECONDS, so every worker picks up a newly published pack
soon after, without a query on every request.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from threading import Lock

from flask import current_app

from app.db import db_session
from workflows.pack_store import load_active_pack_set, packs_revision
from workflows.triage import TriageEngine


class NoPacksLoaded(RuntimeError):
    """No pack has been published yet: run `flask packs load`."""


@dataclass
class _Cached:
    engine: TriageEngine | None = None
    revision: int = -1
    checked_at: float = float("-inf")


class EngineCache:
    def __init__(self) -> None:
        self._lock = Lock()
        self._cached = _Cached()

    def engine(self) -> TriageEngine:
        cached = self._cached
        now = time.monotonic()
        if now - cached.checked_at >= current_app.config["PACKS_REFRESH_SECONDS"]:
            del cached  # not held by this thread while new packs load
            with self._lock:
                self._refresh(now)
                cached = self._cached
        if cached.engine is None:
            raise NoPacksLoaded("No permit pack is loaded. Run: flask packs load")
        return cached.engine

    def _refresh(self, now: float) -> None:
        session = db_session()
        revision = packs_revision(session)
        if revision == self._cached.revision:
            self._cached.checked_at = now
            return
        # Let go of the packs in force until now before reading the new ones: held during the
        # load, they would double a worker's memory (two countries' packs) and leave it there.
        self._cached = _Cached()
        pack_set = load_active_pack_set(session)
        self._cached = _Cached(TriageEngine(pack_set) if pack_set else None, revision, now)


def triage_engine() -> TriageEngine:
    return current_app.extensions["guichet.engine_cache"].engine()
