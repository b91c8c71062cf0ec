"""One object for each distinct value compiled from a set of packs, so a country fits a worker.

Municipal packs repeat one another: the same permit names and descriptions, the same rules
(`{question: serves_alcohol, equals: true}`), fees, lists of fields and strings. Compiled pack
by pack, every repetition was an object of its own, and with 3,500 municipalities those copies
were most of a worker's memory. What packs compile to is immutable (frozen dataclasses, tuples,
frozensets, strings, numbers), so equal values can be one object and nothing but `is` can tell.

Values are equal here only when their types are equal too, all the way down: `equals: true` and
`equals: 1` stay two conditions, although `True == 1` in Python. Each value is looked up among
the values of its exact shape (its types, recursively), where Python's equality is exact.

The table holds the shared values themselves as keys, and a few shapes: it makes no object of
its own per value. It lives as long as one load, and whatever it allocated for long is freed
at the end of the load, between the objects the load keeps, where the memory stays unused.
"""

from __future__ import annotations

import json
from dataclasses import fields, is_dataclass
from typing import Any, TypeVar

T = TypeVar("T")


class Sharing:
    """Hands back one shared object for each distinct value it is given; one per load."""

    __slots__ = ("_atoms", "_by_shape", "_json")

    def __init__(self) -> None:
        self._atoms: dict[str | int, str | int] = {}
        self._by_shape: dict[Any, dict[Any, Any]] = {}
        self._json: dict[str, Any] = {}

    def __call__(self, value: T) -> T:
        kind = type(value)
        if kind is str or kind is int:  # exactly: True is not shared with 1
            return self._atoms.setdefault(value, value)  # type: ignore[arg-type]
        if kind is dict or kind is list:
            return self._mutable(value)
        if kind is tuple or kind is frozenset:
            parts = [self(item) for item in value]  # type: ignore[attr-defined]
            if any(part is not item for part, item in zip(parts, value, strict=True)):  # type: ignore[call-overload]
                value = kind(parts)
        else:
            names = _field_names(kind)
            if names is None:
                return value  # a boolean, a float or None
            parts = [self(getattr(value, name)) for name in names]
            if any(part is not getattr(value, name) for part, name in zip(parts, names, strict=True)):
                value = kind(*parts)
        try:
            same_shape = self._by_shape.setdefault(_shape(value), {})
            return same_shape.setdefault(value, value)
        except TypeError:  # holds something unhashable: kept as it is
            return value

    def _mutable(self, value: Any) -> Any:
        """A mapping or list as written in a pack (a question's show_if for API clients): equal ones
        are found by their JSON, which tells `true` from `1`; nothing may change them in place."""
        try:
            key = json.dumps(value)
        except (TypeError, ValueError):
            return value
        return self._json.setdefault(key, value)


_FIELDS: dict[type, tuple[str, ...] | None] = {}


def _field_names(kind: type) -> tuple[str, ...] | None:
    """A dataclass's fields in the order its constructor takes them; None for any other type."""
    try:
        return _FIELDS[kind]
    except KeyError:
        pass
    names = None
    if is_dataclass(kind):
        names = tuple(f.name for f in fields(kind))
        if getattr(kind, "__match_args__", None) != names:
            raise TypeError(f"cannot share a {kind.__name__}: its fields are not all positional")
    return _FIELDS.setdefault(kind, names)


def _shape(value: Any) -> Any:
    """The exact types of `value` all the way down: values of one shape are equal in Python only
    when they are the same value (a float's shape is its text, so that 0.0 is not -0.0)."""
    kind = type(value)
    if kind is tuple:
        return (tuple, *map(_shape, value))
    if kind is frozenset:
        return (frozenset, frozenset(map(_shape, value)))
    if kind is float:
        return (float, repr(value))
    names = _field_names(kind)
    if names is None:
        return kind
    return (kind, *(_shape(getattr(value, name)) for name in names))
