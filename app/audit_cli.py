"""`flask audit verify`: check that no audit entry was edited or deleted since it was written."""

from __future__ import annotations

import re

import click
from flask.cli import AppGroup

from app.db import database
from workflows.audit import verify

audit_group = AppGroup("audit", help="The audit log: check its hash chain.")


class EntryHash(click.ParamType):
    """ID:HASH, an entry and the hash a previous `flask audit verify` printed for it."""

    name = "ID:HASH"

    def convert(self, value, param, ctx) -> tuple[int, str]:
        if isinstance(value, tuple):
            return value
        match = re.fullmatch(r"(\d+):([0-9a-f]{64})", value.strip())
        if match is None:
            self.fail(f"{value!r} is not ID:HASH, e.g. 42:{'0' * 64}", param, ctx)
        return int(match.group(1)), match.group(2)


@audit_group.command("verify")
@click.option(
    "--expect",
    "known",
    type=EntryHash(),
    help="An entry and its hash kept from an earlier run: also detects the newest entries removed.",
)
def audit_verify(known: tuple[int, str] | None) -> None:
    """Recompute every entry's hash and link, oldest first; exit 1 naming the first bad entry."""
    with database().sessions() as session:
        result = verify(session, known=known)
    if result.problem is not None:
        click.echo(f"Audit log broken at {result.problem}", err=True)
        click.echo(f"  {result.entries} entries before it verified.", err=True)
        raise SystemExit(1)
    click.echo(f"Audit log OK: {result.entries} entries")
    if result.last_id is not None:
        click.echo(f"Newest entry: {result.last_id}:{result.last_hash} (keep it to check with --expect)")
