"""What every web worker carries: libraries that only some requests or commands need wait for them.

With 3,500 municipalities' packs a worker must stay under 150 MB (docs/performance.md). Alembic
(about 10 MB with Mako and Pygments) only runs migrations; jsonschema (3 MB) only checks texts no
stamp vouches for; ReportLab (8 MB) only draws PDFs. None is loaded by starting the app.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path

from tests.conftest import SIGNING_KEY
from workflows import memory

ROOT = Path(__file__).resolve().parent.parent


def test_a_worker_starts_without_the_libraries_only_some_requests_need(tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'guichet.sqlite'}",
        "SECRET_KEY": "s" * 48,
        "GUICHET_WEBHOOK_SECRET": "w" * 48,
        "GUICHET_LICENCE_SIGNING_KEY": SIGNING_KEY,
        "GUICHET_OUTBOX_BACKGROUND": "false",
    }
    probe = (
        "import sys, wsgi; "
        "print(sorted(m for m in ('alembic', 'jsonschema', 'reportlab', 'mako') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]", result.stderr


def test_freed_memory_is_handed_back_where_the_c_library_can(monkeypatch):
    if platform.system() == "Linux" and platform.libc_ver()[0] == "glibc":
        assert memory.release_free_memory() is True
    monkeypatch.setattr(memory, "_MALLOC_TRIM", None)  # musl, macOS: nothing to call
    assert memory.release_free_memory() is False
