"""Reading pack YAML safely, keeping the line of every node for error messages.

PyYAML silently keeps the last of two equal keys; a pack author who writes a
permit's `fee` twice deserves to hear about it, so duplicates are reported here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from workflows.packs.errors import PathPart


class YamlFault(Exception):
    def __init__(self, path: tuple[PathPart, ...], line: int | None, reason: str):
        super().__init__(reason)
        self.path, self.line, self.reason = path, line, reason


@dataclass(frozen=True, slots=True)
class ParsedYaml:
    data: Any
    root: yaml.Node | None

    def line_of(self, path: Sequence[PathPart]) -> int | None:
        """The 1-based line where the node at `path` starts, or its nearest parent's."""
        node = self.root
        line = node.start_mark.line + 1 if node is not None else None
        for part in path:
            child = None
            if isinstance(node, yaml.MappingNode):
                child = next((v for k, v in node.value if k.value == part), None)
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
                child = node.value[part] if part < len(node.value) else None
            if child is None:
                break
            node = child
            line = node.start_mark.line + 1
        return line


def parse_yaml(text: str) -> ParsedYaml:
    """Parse one YAML document; raise YamlFault for syntax errors and duplicate keys."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem = getattr(error, "problem", None) or str(error)
        raise YamlFault((), mark.line + 1 if mark else None, f"not valid YAML: {problem}") from None
    if root is not None:
        _reject_duplicate_keys(root, ())
    loader = yaml.SafeLoader("")
    try:
        data = loader.construct_document(root) if root is not None else None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        raise YamlFault((), mark.line + 1 if mark else None, f"not valid YAML: {error}") from None
    finally:
        loader.dispose()
    return ParsedYaml(data, root)


def _reject_duplicate_keys(node: yaml.Node, path: tuple[PathPart, ...]) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            if key.value in seen:
                raise YamlFault(
                    (*path, key.value),
                    key.start_mark.line + 1,
                    f"the key '{key.value}' appears twice in the same mapping",
                )
            seen.add(key.value)
            _reject_duplicate_keys(value, (*path, key.value))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _reject_duplicate_keys(item, (*path, index))
