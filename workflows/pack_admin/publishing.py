"""Publishing, listing and restoring pack versions on an administrator's behalf.

History is never rewritten: publishing stores a new version, and restoring an earlier one
publishes its text again as the newest version, validated against the packs in force now.
Applications keep the versions pinned on them, whatever is published later. Each version
published is written to the audit log with who published it, in the caller's transaction:
the caller runs each call in one transaction, so a refused upload stores nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.models import User
from workflows.audit import record
from workflows.jurisdictions import FEDERAL, is_within
from workflows.models import PackVersion
from workflows.pack_admin.preview import Preview, preview
from workflows.pack_admin.scope import check_reach
from workflows.pack_store import PublishedPack, lock_publishing, packs_revision, publish_packs
from workflows.packs.loader import PackSource


class StalePreview(Exception):
    """Packs were published since the preview was made: it may no longer say what would happen."""


class VersionNotFound(LookupError):
    """No such version, or one outside the administrator's reach: the same answer for both."""


class AlreadyInForce(Exception):
    """The version asked for is the text in force: restoring it would change nothing."""


@dataclass(frozen=True, slots=True)
class VersionInfo:
    jurisdiction_code: str
    version: int
    filename: str
    sha256: str
    active: bool
    published_at: datetime
    published_by: str | None  # the administrator's name; None when loaded from the command line


def reach_of(actor: User | None) -> str | None:
    """What `actor` may publish: an administrator's jurisdiction; everything (CA) for the command line,
    which passes no actor; nothing (None) for anyone who is not an administrator."""
    if actor is None:
        return FEDERAL
    return actor.jurisdiction_code if actor.role == "admin" else None


def _check_revision(session: Session, expected_revision: int | None) -> None:
    """StalePreview unless the packs are still at `expected_revision`, checked under the publishing
    lock: an administrator who pressed Publish at the same instant as another is told, not a 500."""
    lock_publishing(session)
    if expected_revision is not None and packs_revision(session) != expected_revision:
        raise StalePreview("packs were published since this preview was made")


def publish(
    session: Session,
    sources: Sequence[PackSource],
    *,
    actor: User | None,
    expected_revision: int | None = None,
) -> list[PublishedPack]:
    """Publish `sources` as new versions; raises OutOfReach, PackError or StalePreview, storing nothing."""
    check_reach(sources, reach_of(actor))
    _check_revision(session, expected_revision)
    published = publish_packs(session, sources, published_by_id=actor.id if actor else None)
    for result in published:
        if result.changed:
            _audit(session, "pack.publish", result, actor, {})
    return published


def preview_restore(session: Session, code: str, version: int, *, actor: User | None) -> Preview:
    """The preview of restoring `version` of `code`; raises VersionNotFound or PackError."""
    row = _version(session, code, version, actor)
    return preview(session, [PackSource(row.filename, row.source)], reach=reach_of(actor))


def restore(
    session: Session,
    code: str,
    version: int,
    *,
    actor: User | None,
    expected_revision: int | None = None,
) -> PublishedPack:
    """Publish the text of an earlier version again, as a new version.

    Raises VersionNotFound, AlreadyInForce, PackError (it no longer fits the packs in force)
    or StalePreview.
    """
    lock_publishing(session)  # before reading the version: on SQLite, the lock must come first
    row = _version(session, code, version, actor)
    _check_revision(session, expected_revision)
    [result] = publish_packs(
        session, [PackSource(row.filename, row.source)], published_by_id=actor.id if actor else None
    )
    if not result.changed:
        raise AlreadyInForce(f"{code} version {version} is the text in force (version {result.version})")
    _audit(session, "pack.restore", result, actor, {"restored_from": version})
    return result


def list_versions(session: Session, code: str, *, actor: User | None) -> list[VersionInfo]:
    """Every version of `code`, newest first; VersionNotFound when none exists or it is out of reach."""
    if not is_within(code, reach_of(actor)):
        raise VersionNotFound(code)
    rows = session.execute(
        select(PackVersion, User.name)
        .outerjoin(User, User.id == PackVersion.published_by_id)
        .where(PackVersion.jurisdiction_code == code)
        .order_by(PackVersion.version.desc())
    ).all()
    if not rows:
        raise VersionNotFound(code)
    return [
        VersionInfo(v.jurisdiction_code, v.version, v.filename, v.sha256, v.active, v.published_at, name)
        for v, name in rows
    ]


def _version(session: Session, code: str, version: int, actor: User | None) -> PackVersion:
    if not is_within(code, reach_of(actor)):
        raise VersionNotFound(code)
    row = session.scalar(
        select(PackVersion).where(PackVersion.jurisdiction_code == code, PackVersion.version == version)
    )
    if row is None:
        raise VersionNotFound(f"{code} v{version}")
    return row


def _audit(session: Session, action: str, result: PublishedPack, actor: User | None, extra: dict) -> None:
    row = session.scalar(
        select(PackVersion).where(
            PackVersion.jurisdiction_code == result.jurisdiction_code, PackVersion.version == result.version
        )
    )
    record(
        session,
        action,
        actor_id=actor.id if actor else None,
        subject=f"pack_version:{row.id}",
        details={
            "jurisdiction": result.jurisdiction_code,
            "version": result.version,
            "filename": row.filename,
            "sha256": row.sha256,
            **extra,
        },
    )
