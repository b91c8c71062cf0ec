"""Permit packs: one YAML file per jurisdiction, validated together and loaded all-or-nothing."""

from workflows.packs.errors import PackError, PackProblem
from workflows.packs.loader import PackSource, load_pack_set, read_pack_directory
from workflows.packs.model import PackSet

__all__ = ["PackError", "PackProblem", "PackSet", "PackSource", "load_pack_set", "read_pack_directory"]
