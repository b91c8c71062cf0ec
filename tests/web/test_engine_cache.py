"""A worker's engine cache: new packs in force are read once the old ones are let go, not beside them.

A country's compiled packs take about 45 MB; held while the new ones load, they would double a
worker's memory during the load and leave it fragmented after (docs/performance.md).
"""

from __future__ import annotations

import gc
import uuid
import weakref

from app import packs as app_packs
from tests.test_pack_store import toronto
from workflows.pack_store import publish_packs
from workflows.packs.loader import PackSource


def unique_toronto(change: tuple[str, str] | None = None) -> PackSource:
    """Toronto's pack as a text no other test publishes, so its compiled set is this test's own."""
    source = toronto(change)
    return PackSource(source.filename, f"{source.text}\n# {uuid.uuid4()}\n")


def test_a_worker_lets_go_of_its_packs_before_reading_the_new_ones(app, db_session, monkeypatch):
    app.config["PACKS_REFRESH_SECONDS"] = 0
    cache = app.extensions["guichet.engine_cache"]
    publish_packs(db_session, [unique_toronto()])
    with app.test_request_context():
        old = weakref.ref(cache.engine().packs)
    publish_packs(db_session, [unique_toronto(("amount_cents: 51600", "amount_cents: 52600"))])
    old_was_gone: list[bool] = []
    read = app_packs.load_active_pack_set

    def reading(session):
        gc.collect()
        old_was_gone.append(old() is None)
        return read(session)

    monkeypatch.setattr(app_packs, "load_active_pack_set", reading)
    with app.test_request_context():
        new = cache.engine().packs
    assert old_was_gone == [True]
    assert new.permits["TO-EATING"].fee.amount_cents({}) == 52600
