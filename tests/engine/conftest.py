"""Fixtures for engine tests: the bundled packs, loaded once, and an engine over them."""

import pytest

from workflows.packs.loader import bundled_pack_directory, load_pack_set, read_pack_directory
from workflows.triage import TriageEngine


@pytest.fixture(scope="session")
def bundled_packs():
    return load_pack_set(read_pack_directory(bundled_pack_directory()))


@pytest.fixture(scope="session")
def engine(bundled_packs):
    return TriageEngine(bundled_packs)
