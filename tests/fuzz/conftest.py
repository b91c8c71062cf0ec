"""Hypothesis profiles for the fuzz tests, chosen by GUICHET_FUZZ.

`quick` (the default) runs in the suite: derandomized, so every run tries the same examples
and a failure reproduces, and small enough to keep the suite fast. `GUICHET_FUZZ=deep` draws
many more, at random, for a deep run by hand (docs/reliability.md gives the command).
Each test scales `max_examples` by how costly its examples are (`examples(n)`).
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

SHARED = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    "database": None,
}
settings.register_profile("quick", derandomize=True, max_examples=20, **SHARED)
settings.register_profile("deep", max_examples=1000, print_blob=True, **SHARED)
settings.load_profile("deep" if os.environ.get("GUICHET_FUZZ", "").lower() == "deep" else "quick")
