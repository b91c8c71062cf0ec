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


#: Deeper than any pack needs (the bundled ones reach 7), and shallow enough that nothing
#: that walks a pack afterwards (the checks, the schema, the rules) meets the recursion limit.
MAX_DEPTH = 100


def parse_yaml(text: str) -> ParsedYaml:
    """Parse one YAML document; raise YamlFault for syntax errors, duplicate keys, aliases and
    nesting past MAX_DEPTH."""
    try:
        root = _compose(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem = getattr(error, "problem", None) or str(error)
        raise YamlFault((), mark.line + 1 if mark else None, _not_yaml(problem)) from None
    except RecursionError:  # the parser follows nesting by recursion, so it fails first
        raise YamlFault((), None, _too_deep()) from None
    if root is not None:
        _check_nodes(root, (), set(), text)
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


def _too_deep() -> Text:
    return Text(
        f"nested more than {MAX_DEPTH} levels deep",
        f"imbriqué sur plus de {MAX_DEPTH} niveaux",
    )


def _check_nodes(node: yaml.Node, path: tuple[PathPart, ...], seen: set[int], text: str) -> None:
    """Refuse duplicate keys, keys that are not text, aliases and nesting past MAX_DEPTH,
    before any data is built.

    An alias (`*name`) makes its anchored value appear again: nine aliases of nine aliases
    of nine make a 400-byte file read as a million values, and everything that walks the pack
    walks them all. Packs are data written once per permit, so a value is written out in full.
    The composer shares one node between the anchor and its aliases, which is how they show.
    """
    if id(node) in seen:
        raise YamlFault(path, _first_alias_line(text), _ALIAS)
    if len(path) > MAX_DEPTH:
        raise YamlFault(path, node.start_mark.line + 1, _too_deep())
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        keys: set[str] = set()
        for key, value in node.value:
            if not isinstance(key, yaml.ScalarNode):
                raise YamlFault(path, key.start_mark.line + 1, _KEY_NOT_TEXT)
            if id(key) in seen:
                raise YamlFault(path, _first_alias_line(text), _ALIAS)
            seen.add(id(key))
            if key.value in keys:
                raise YamlFault(
                    (*path, key.value),
                    key.start_mark.line + 1,
                    Text(
                        f"the key '{key.value}' appears twice in the same mapping",
                        f"la clé '{key.value}' figure deux fois dans le même tableau associatif (mapping)",
                    ),
                )
            keys.add(key.value)
            _check_nodes(value, (*path, key.value), seen, text)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _check_nodes(item, (*path, index), seen, text)


_ALIAS = Text(
    "repeats a value with a YAML alias (*name); aliases are not accepted in packs: "
    "write the value out in full",
    "répète une valeur au moyen d'un alias YAML (*nom); les alias ne sont pas acceptés dans les packs : "
    "écrivez la valeur en entier",
)

_KEY_NOT_TEXT = Text(
    "a key is a list or a mapping; keys in a pack are plain text",
    "une clé est une liste ou un tableau associatif; les clés d'un pack sont du texte simple",
)


def _first_alias_line(text: str) -> int | None:
    """The line of the document's first alias: the walk meets aliases in document order, and
    the shared node it finds carries only its anchor's line."""
    for event in yaml.parse(text, Loader=FAST_LOADER):
        if isinstance(event, yaml.AliasEvent):
            return event.start_mark.line + 1
    return None
