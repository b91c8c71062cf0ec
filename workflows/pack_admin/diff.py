"""What a new pack changes compared with the version in force, said item by item.

The comparison is made on the packs as written (after they passed validation), section by
section and keyed by each item's code, id or name, so a reviewer reads "permit HFX-SIDEWALK
added; permit HFX-SIGN: fee changed" rather than hunting through a text diff. The unified
diff of the YAML is kept beside it for whoever wants every character.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any, Literal

import yaml

from workflows.packs.yaml_source import FAST_LOADER
from workflows.text import Text

ChangeKind = Literal["added", "removed", "changed"]

#: The list sections of a pack, each with the key that names an item and the key of its display text.
SECTIONS: tuple[tuple[str, str, str | None], ...] = (
    ("agencies", "code", "name"),
    ("questions", "id", "text"),
    ("fields", "id", "label"),
    ("permits", "code", "name"),
    ("suggestions", "code", "name"),
    ("workflows", "name", "description"),
)


@dataclass(frozen=True, slots=True)
class Change:
    """One item added, removed or changed; for a change, the keys whose values differ."""

    section: str  # "jurisdiction", "agencies", "questions", "fields", "permits", "suggestions", "workflows"
    key: str  # the item's code, id or name ("" for the jurisdiction itself)
    kind: ChangeKind
    title: Text | None  # what the item is called, in the newer version where there is one
    changed_keys: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PackChanges:
    """One jurisdiction's pack: the version in force (None: a new jurisdiction) and what changes."""

    jurisdiction_code: str
    name: Text
    filename: str
    version_in_force: int | None
    changes: tuple[Change, ...]
    text_diff: str  # unified diff of the YAML, "" when the text is the same

    @property
    def unchanged(self) -> bool:
        return not self.text_diff and self.version_in_force is not None


def _load(text: str | None) -> dict[str, Any]:
    if text is None:
        return {}
    data = yaml.load(text, Loader=FAST_LOADER)
    return data if isinstance(data, dict) else {}


def _title(item: dict[str, Any], key: str | None) -> Text | None:
    value = item.get(key) if key else None
    if isinstance(value, dict) and isinstance(value.get("en"), str) and isinstance(value.get("fr"), str):
        return Text.from_data(value)
    return None


def _changed_keys(old: dict[str, Any], new: dict[str, Any]) -> tuple[str, ...]:
    return tuple(sorted(key for key in old.keys() | new.keys() if old.get(key) != new.get(key)))


def structured_changes(old_text: str | None, new_text: str) -> tuple[Change, ...]:
    """Every item added, removed or changed, jurisdiction first, then section by section in pack order."""
    old, new = _load(old_text), _load(new_text)
    changes: list[Change] = []
    old_jurisdiction, new_jurisdiction = old.get("jurisdiction") or {}, new.get("jurisdiction") or {}
    if old_text is not None and old_jurisdiction != new_jurisdiction:
        changes.append(
            Change(
                "jurisdiction",
                "",
                "changed",
                _title(new_jurisdiction, "name"),
                _changed_keys(old_jurisdiction, new_jurisdiction),
            )
        )
    for section, id_key, title_key in SECTIONS:
        before = {str(item.get(id_key)): item for item in old.get(section) or () if isinstance(item, dict)}
        after = {str(item.get(id_key)): item for item in new.get(section) or () if isinstance(item, dict)}
        for key, item in after.items():
            if key not in before:
                changes.append(Change(section, key, "added", _title(item, title_key)))
            elif before[key] != item:
                changed = _changed_keys(before[key], item)
                changes.append(Change(section, key, "changed", _title(item, title_key), changed))
        changes.extend(
            Change(section, key, "removed", _title(item, title_key))
            for key, item in before.items()
            if key not in after
        )
    return tuple(changes)


def text_diff(old_text: str | None, new_text: str, old_name: str, new_name: str) -> str:
    """The unified diff of two versions of a pack's YAML ("" when they are the same)."""
    if old_text == new_text:
        return ""
    return "".join(
        difflib.unified_diff(
            (old_text or "").splitlines(keepends=True),
            new_text.splitlines(keepends=True),
            fromfile=old_name,
            tofile=new_name,
        )
    )
