"""The hash that links each audit entry to the one before it.

An entry's hash is SHA-256 over a canonical JSON text of everything it says and the hash
of the entry before it. The text must come out byte for byte the same when the entry is
read back years later, from SQLite or PostgreSQL, so every value is reduced to plain JSON
first (`plain_details`), times are written as UTC with microseconds (both databases keep
microseconds), and keys are sorted.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any


def canonical_json(value: Any) -> str:
    """One text per value: sorted keys, no spaces, ASCII only; NaN and infinities refused (no
    database stores them as JSON)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)


def plain_details(details: dict | None) -> dict:
    """The details as the database will give them back: tuples become lists, keys strings.

    Hashing the original instead would make an entry that could never verify once read back.
    Raises TypeError for what JSON cannot hold (a datetime, say: pass its isoformat()).
    """
    if details is None:
        return {}
    if not isinstance(details, dict):
        raise TypeError(f"audit details must be a dict, not {type(details).__name__}")
    return json.loads(json.dumps(details, allow_nan=False))  # unsorted: keys may be of mixed types here


def utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def entry_hash(
    *,
    id: int,
    at: datetime,
    actor_id: int | None,
    action: str,
    subject: str | None,
    details: dict,
    prev_hash: str,
) -> str:
    """The hash an entry with this content, following the entry whose hash is `prev_hash`, must carry."""
    content = {
        "id": id,
        "at": utc_text(at),
        "actor_id": actor_id,
        "action": action,
        "subject": subject,
        "details": details,
        "prev_hash": prev_hash,
    }
    return hashlib.sha256(canonical_json(content).encode("ascii")).hexdigest()
