"""Published packs in the database: publishing new versions and reading the ones in force.

Publishing validates the new files together with every pack already in force (a new
Toronto pack must still fit Ontario's), then records a new version only for the
jurisdictions whose text changed. Callers run it inside one transaction.

Each version records that its text passed the JSON Schema (`schema_stamp`), so reading the
packs in force skips that check for texts that still match their stamp, and only that one:
every other check runs on every load, and a set that fails any is never used.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from threading import Lock
from weakref import WeakValueDictionary

import yaml
from sqlalchemy import and_, func, or_, select, text, update
from sqlalchemy.orm import Session

from workflows.db import take_sqlite_write_lock
from workflows.memory import release_free_memory
from workflows.models import PackVersion
from workflows.packs.loader import PackSource, load_pack_set, schema_stamp
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


def lock_publishing(session: Session) -> None:
    """Take the publishing lock until the transaction ends: one publication at a time.

    A publication reads the versions in force (and an administrator's the revision their
    preview was made on) before it writes the next version. Two at once would both read the
    same, so the second would fail on the unique (jurisdiction, version) or publish over a
    preview gone stale. Under the lock the second one reads what the first one committed.
    Take it before reading anything the publication depends on; taking it again in the same
    transaction is harmless (it is held already).
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext('guichet.packs.publish'))"))
    else:
        take_sqlite_write_lock(session)


def _jurisdiction_code(source: PackSource) -> str | None:
    """The code a file claims, read leniently, so it can replace the version in force."""
    try:
        data = yaml.load(source.text, Loader=FAST_LOADER)
        return str(data["jurisdiction"]["code"])
    except (yaml.YAMLError, TypeError, KeyError, RecursionError):  # the loader says why, precisely
        return None


def _published_source(filename: str, text: str, stamp: str | None) -> PackSource:
    """A published text, whose schema check is skipped only if its stamp is this very text's."""
    source = PackSource(filename, text)
    if stamp is not None and stamp == schema_stamp(source.sha256):
        return PackSource(filename, text, schema_checked=True)
    return source


def _kept(in_force: Iterable[PackVersion], replaced: set[str | None]) -> list[PackVersion]:
    """The versions in force that stay, parents first (CA, then CA-XX, then 7 digits), the order
    in which the loader reads packs without reading any twice."""
    kept = [v for v in in_force if v.jurisdiction_code not in replaced]
    return sorted(kept, key=lambda v: len(v.jurisdiction_code))


def _combined(in_force: Iterable[PackVersion], new_sources: Sequence[PackSource]) -> list[PackSource]:
    """The new files plus every pack in force that they do not replace: the set once published."""
    kept = _kept(in_force, {_jurisdiction_code(source) for source in new_sources})
    return [_published_source(v.filename, v.source, v.schema_check) for v in kept] + list(new_sources)


def validate_with_active(session: Session, new_sources: Sequence[PackSource]) -> PackSet:
    """Validate new files as they would stand once published; raises PackError."""
    return load_pack_set(_combined(active_versions(session), new_sources))


def publish_packs(
    session: Session, new_sources: Sequence[PackSource], *, published_by_id: int | None = None
) -> list[PublishedPack]:
    """Validate, then store a new active version of each changed pack. Raises PackError, storing nothing.

    `published_by_id` is the administrator who published them (None: an operator's command).
    """
    lock_publishing(session)
    in_force = {v.jurisdiction_code: v for v in active_versions(session)}
    codes = [_jurisdiction_code(source) for source in new_sources]
    kept = _kept(in_force.values(), set(codes))
    kept_sources = [_published_source(v.filename, v.source, v.schema_check) for v in kept]
    pack_set = load_pack_set(kept_sources + list(new_sources))
    # Every text of the set has now passed the schema: record it where it was not recorded yet
    # (versions published before stamps existed, or stamped under another schema).
    for version, source in zip(kept, kept_sources, strict=True):
        if not source.schema_checked:
            version.schema_check = schema_stamp(source.sha256)
    results = []
    for source, code in zip(new_sources, codes, strict=True):
        current = in_force.get(code)
        if current is not None and current.sha256 == source.sha256:
            current.schema_check = schema_stamp(source.sha256)
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
                schema_check=schema_stamp(source.sha256),
            )
        )
        results.append(PublishedPack(code, version, changed=True))
    session.flush()
    _remember(pack_set)
    return results


#: Compiled sets by their texts' digests, sorted, for as long as anything uses them: workers,
#: pinned applications and tests that read the same versions compile them once.
_compiled: WeakValueDictionary[tuple[str, ...], PackSet] = WeakValueDictionary()
#: The few latest sets, kept even while nothing uses them: an application's pinned packs are
#: read again on each of its pages, and a worker that has just published finds the set it
#: compiled when it next reads the packs in force.
_recent: list[PackSet] = []
_RECENT_SETS = 4
_compiled_lock = Lock()


def _key(pack_set: PackSet) -> tuple[str, ...]:
    return tuple(sorted(pack.sha256 for pack in pack_set.packs.values()))


def _remember(pack_set: PackSet) -> None:
    """Keep `pack_set` findable, and let go of the earlier sets whose jurisdictions it all holds:
    the packs in force before a publication (a worker must not keep two countries' packs) or an
    application's few packs, quick to compile again."""
    with _compiled_lock:
        _compiled[_key(pack_set)] = pack_set
        _recent[:] = [kept for kept in _recent if not kept.packs.keys() <= pack_set.packs.keys()]
        _recent.append(pack_set)
        del _recent[:-_RECENT_SETS]


def _compiled_set(versions: Sequence[PackVersion]) -> PackSet:
    """Compile these versions, or reuse the set compiled from the same texts."""
    sources = [_published_source(v.filename, v.source, v.schema_check) for v in versions]
    with _compiled_lock:
        cached = _compiled.get(tuple(sorted(source.sha256 for source in sources)))
    if cached is not None:
        return cached
    pack_set = load_pack_set(sources)
    _remember(pack_set)
    return pack_set


class _TextsInForce:
    """The texts in force, parents first, read from the database each time they are iterated.

    The loader compiles each pack as it reads it, so a worker never holds every text of the
    country at once; it reads them a second time only to report a problem.
    """

    def __init__(self, session: Session):
        self._session = session

    def __iter__(self) -> Iterator[PackSource]:
        rows = self._session.execute(
            select(PackVersion.filename, PackVersion.source, PackVersion.schema_check)
            .where(PackVersion.active)
            # CA, then CA-XX, then the municipalities' 7 digits: parents before their children.
            .order_by(func.length(PackVersion.jurisdiction_code), PackVersion.jurisdiction_code)
            .execution_options(yield_per=64)
        )
        try:
            for filename, text, stamp in rows:
                yield _published_source(filename, text, stamp)
        finally:
            rows.close()


def load_active_pack_set(session: Session) -> PackSet | None:
    """The packs in force, compiled; None before any pack was published.

    A process that compiled the same texts already reads only their codes and digests. After
    compiling, the memory the load used is handed back to the system (see `workflows.memory`).
    """
    in_force = session.execute(
        select(PackVersion.jurisdiction_code, PackVersion.sha256).where(PackVersion.active)
    ).all()
    if not in_force:
        return None
    with _compiled_lock:
        cached = _compiled.get(tuple(sorted(digest for _, digest in in_force)))
        if cached is not None:
            return cached
        # The packs in force until now are let go before the new ones are read, not after: a
        # worker does not hold two countries' packs at once, and the new ones take the memory
        # the old ones leave (whoever still uses the old set keeps it until done).
        codes = {code for code, _ in in_force}
        _recent[:] = [kept for kept in _recent if not kept.packs.keys() <= codes]
    pack_set = load_pack_set(_TextsInForce(session))
    _remember(pack_set)
    gc.collect()  # the load's cyclic garbage (parsers, validation errors) before giving pages back
    release_free_memory()
    return pack_set


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
    """The packs exactly as they were when an application was made, whatever was published since.

    Compiled sets are found by the texts' digests, so a process that compiled these texts
    already (a warm worker) reads only the digests, not the texts, which it reads otherwise.
    """
    pinned = or_(
        *(
            and_(PackVersion.jurisdiction_code == code, PackVersion.version == version)
            for code, version in versions.items()
        )
    )
    digests = list(session.scalars(select(PackVersion.sha256).where(pinned)))
    if len(digests) != len(versions):
        raise LookupError(f"pinned pack versions missing: {versions}")
    with _compiled_lock:
        cached = _compiled.get(tuple(sorted(digests)))
    if cached is not None:
        return cached
    return _compiled_set(list(session.scalars(select(PackVersion).where(pinned))))
