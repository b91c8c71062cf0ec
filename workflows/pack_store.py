"""Published packs in the database: publishing new versions and reading the ones in force.

Publishing validates the new files together with every pack already in force (a new
Toronto pack must still fit Ontario's), then records a new version only for the
jurisdictions whose text changed. Callers run it inside one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from threading import Lock

import yaml
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from workflows.models import PackVersion
from workflows.packs.loader import PackSource, load_pack_set
from workflows.packs.model import PackSet
from workflows.packs.yaml_source import FAST_LOADER


@dataclass(frozen=True, slots=True)
class PublishedPack:
    jurisdiction_code: str
    version: int
    changed: bool  # False when the same text was already in force


def active_versions(session: Session) -> list[PackVersion]:
    return list(
        session.scalars(select(PackVersion).where(PackVersion.active).order_by(PackVersion.jurisdiction_code))
    )


def packs_revision(session: Session) -> int:
    """A number that changes whenever a pack is published: the newest version's id."""
    return session.scalar(select(func.coalesce(func.max(PackVersion.id), 0)))


def _jurisdiction_code(source: PackSource) -> str | None:
    """The code a file claims, read leniently, so it can replace the version in force."""
    try:
        data = yaml.load(source.text, Loader=FAST_LOADER)
        return str(data["jurisdiction"]["code"])
    except (yaml.YAMLError, TypeError, KeyError):
        return None


def _combined(in_force: Iterable[PackVersion], new_sources: Sequence[PackSource]) -> list[PackSource]:
    """The new files plus every pack in force that they do not replace: the set once published."""
    replaced = {_jurisdiction_code(source) for source in new_sources}
    kept = [PackSource(v.filename, v.source) for v in in_force if v.jurisdiction_code not in replaced]
    return kept + list(new_sources)


def validate_with_active(session: Session, new_sources: Sequence[PackSource]) -> PackSet:
    """Validate new files as they would stand once published; raises PackError."""
    return load_pack_set(_combined(active_versions(session), new_sources))


def publish_packs(
    session: Session, new_sources: Sequence[PackSource], *, published_by_id: int | None = None
) -> list[PublishedPack]:
    """Validate, then store a new active version of each changed pack. Raises PackError, storing nothing.

    `published_by_id` is the administrator who published them (None: an operator's command).
    """
    in_force = {v.jurisdiction_code: v for v in active_versions(session)}
    combined = _combined(in_force.values(), new_sources)
    pack_set = load_pack_set(combined)
    results = []
    for source in new_sources:
        code = _jurisdiction_code(source)
        current = in_force.get(code)
        if current is not None and current.sha256 == source.sha256:
            results.append(PublishedPack(code, current.version, changed=False))
            continue
        latest = session.scalar(
            select(func.max(PackVersion.version)).where(PackVersion.jurisdiction_code == code)
        )
        session.execute(update(PackVersion).where(PackVersion.jurisdiction_code == code).values(active=False))
        version = (latest or 0) + 1
        session.add(
            PackVersion(
                jurisdiction_code=code,
                version=version,
                filename=source.filename,
                source=source.text,
                sha256=source.sha256,
                active=True,
                published_by_id=published_by_id,
            )
        )
        results.append(PublishedPack(code, version, changed=True))
    session.flush()
    _remember(pack_set, combined)
    return results


_compiled: dict[tuple[str, ...], PackSet] = {}
_compiled_lock = Lock()


def _key(sources: Sequence[PackSource]) -> tuple[str, ...]:
    return tuple(sorted(source.sha256 for source in sources))


def _remember(pack_set: PackSet, sources: Sequence[PackSource]) -> None:
    with _compiled_lock:
        if len(_compiled) >= 4:  # a few recent sets: enough for workers and tests, bounded memory
            _compiled.pop(next(iter(_compiled)))
        _compiled[_key(sources)] = pack_set


def _compiled_set(versions: Sequence[PackVersion]) -> PackSet:
    """Compile these versions, or reuse the set compiled from the same texts.

    Compiled sets are kept per content digest, so workers, pinned applications and tests
    that read the same versions compile them once.
    """
    sources = [PackSource(v.filename, v.source) for v in versions]
    key = _key(sources)
    with _compiled_lock:
        cached = _compiled.get(key)
    if cached is not None:
        return cached
    pack_set = load_pack_set(sources)
    _remember(pack_set, sources)
    return pack_set


def load_active_pack_set(session: Session) -> PackSet | None:
    """The packs in force, compiled; None before any pack was published."""
    versions = active_versions(session)
    return _compiled_set(versions) if versions else None


def pinned_versions(pack_set: PackSet, session: Session, jurisdiction: str) -> dict[str, int]:
    """The version of each pack a municipality's chain took from `pack_set`, to pin on an application.

    Matched by the packs' digests, not by what is in force now: a worker whose packs are a few
    seconds old pins the versions it really triaged with.
    """
    digests = {j.code: pack_set.packs[j.code].sha256 for j in pack_set.chains[jurisdiction].jurisdictions}
    rows = session.execute(
        select(PackVersion.jurisdiction_code, func.max(PackVersion.version))
        .where(
            or_(
                *(
                    and_(PackVersion.jurisdiction_code == code, PackVersion.sha256 == digest)
                    for code, digest in digests.items()
                )
            )
        )
        .group_by(PackVersion.jurisdiction_code)
    )
    versions = {code: version for code, version in rows}
    if versions.keys() != digests.keys():
        raise LookupError(f"packs never published: {sorted(digests.keys() - versions.keys())}")
    return versions


def load_pinned_pack_set(session: Session, versions: dict[str, int]) -> PackSet:
    """The packs exactly as they were when an application was made, whatever was published since."""
    rows = list(
        session.scalars(
            select(PackVersion).where(
                or_(
                    *(
                        and_(PackVersion.jurisdiction_code == code, PackVersion.version == version)
                        for code, version in versions.items()
                    )
                )
            )
        )
    )
    if len(rows) != len(versions):
        raise LookupError(f"pinned pack versions missing: {versions}")
    return _compiled_set(rows)
