"""Reading pack YAML safely, and finding the line of any node for error messages.

PyYAML silently keeps the last of two equal keys; a pack author who writes a
permit's `fee` twice deserves to hear about it, so duplicates are reported here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import yaml

from workflows.packs.errors import PathPart
from workflows.text import Text


class YamlFault(Exception):
    """A text that is not one readable YAML document; `reason` says why in both languages."""

    def __init__(self, path: tuple[PathPart, ...], line: int | None, reason: Text):
        super().__init__(reason.en)
        self.path, self.line, self.reason = path, line, reason


_NOT_COMPOSED = object()


class ParsedYaml:
    """A parsed document: its data, and the node tree that gives a fault its line.

    The tree is not kept after parsing: thousands of packs load together, and their trees
    (a node and two marks per value) would cost many times the memory of the data and slow
    every garbage collection during the load. Only a pack with a fault needs lines, so
    `root` composes the text again the first time it is asked for.
    """

    __slots__ = ("_root", "data", "text")

    def __init__(self, data: Any, text: str):
        self.data, self.text = data, text
        self._root: Any = _NOT_COMPOSED

    @property
    def root(self) -> yaml.Node | None:
        if self._root is _NOT_COMPOSED:
            self._root = _compose(self.text)
        return self._root

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


#: libyaml's parser when PyYAML has it: it builds the same nodes, about seven times faster.
FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _compose(text: str) -> yaml.Node | None:
    try:
        return yaml.compose(text, Loader=FAST_LOADER)
    except yaml.YAMLError:
        # Faults are reported in the pure-Python parser's words and lines, the same on every install.
        return yaml.compose(text, Loader=yaml.SafeLoader)


def parse_yaml(text: str) -> ParsedYaml:
    """Parse one YAML document; raise YamlFault for syntax errors and duplicate keys."""
    try:
        root = _compose(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem = getattr(error, "problem", None) or str(error)
        raise YamlFault((), mark.line + 1 if mark else None, _not_yaml(problem)) from None
    if root is not None:
        _reject_duplicate_keys(root, ())
    loader = yaml.SafeLoader("")
    try:
        data = loader.construct_document(root) if root is not None else None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        raise YamlFault((), mark.line + 1 if mark else None, _not_yaml(error)) from None
    finally:
        loader.dispose()
    return ParsedYaml(data, text)


def _not_yaml(problem: object) -> Text:
    """The parser's own words (PyYAML's, in English) are quoted as they are in both languages."""
    return Text(f"not valid YAML: {problem}", f"YAML non valide : {problem}")


def _reject_duplicate_keys(node: yaml.Node, path: tuple[PathPart, ...]) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            if key.value in seen:
                raise YamlFault(
                    (*path, key.value),
                    key.start_mark.line + 1,
                    Text(
                        f"the key '{key.value}' appears twice in the same mapping",
                        f"la clé '{key.value}' figure deux fois dans le même tableau associatif (mapping)",
                    ),
                )
            seen.add(key.value)
            _reject_duplicate_keys(value, (*path, key.value))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _reject_duplicate_keys(item, (*path, index))
