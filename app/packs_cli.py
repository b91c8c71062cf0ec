"""`flask packs preview`, `versions` and `restore`: the administrators' pages, for an operator's shell.

Output is English (an operator's tool) and says the same as the pages: every problem with
its file, line and path, or what changes and what sample businesses would get before and after.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click
from flask.cli import AppGroup

from app.db import database
from workflows.pack_admin import (
    AlreadyInForce,
    Outcome,
    Preview,
    VersionNotFound,
    list_versions,
    preview,
    preview_restore,
    restore,
)
from workflows.packs import PackError
from workflows.packs.loader import PackSource
from workflows.triage import format_cents


def report_problems(error: PackError) -> None:
    click.echo(f"Rejected: {len(error.problems)} problem(s); nothing was loaded.", err=True)
    for problem in error.problems:
        click.echo(f"  {problem}", err=True)


def _outcome(outcome: Outcome | None) -> str:
    if outcome is None:
        return "not in force yet"
    codes = ", ".join(outcome.codes) or "no permit"
    return f"{format_cents(outcome.total_fee_cents, 'en')} ({codes})"


def preview_lines(result: Preview) -> list[str]:
    """The preview as text: changes per pack, then each sample business before and after."""
    lines = []
    for pack in result.packs:
        state = f"replaces version {pack.version_in_force}" if pack.version_in_force else "new jurisdiction"
        if pack.unchanged:
            state = f"unchanged (version {pack.version_in_force})"
        lines.append(f"{pack.jurisdiction_code} {pack.name.en} ({pack.filename}): {state}")
        for change in pack.changes:
            where = f"{change.section} {change.key}".strip()
            keys = f": {', '.join(change.changed_keys)}" if change.changed_keys else ""
            lines.append(f"  {change.kind:<8} {where}{keys}")
    if not result.changes_anything:
        lines.append("Nothing to publish: every file is the version in force.")
        return lines
    lines.append("")
    lines.append("Sample businesses, before -> after:")
    for comparison in result.samples:
        mark = "*" if comparison.differs else " "
        lines.append(
            f"{mark} {comparison.municipality.code} {comparison.sample.title.en}: "
            f"{_outcome(comparison.before)} -> {_outcome(comparison.after)}"
        )
        if comparison.added:
            lines.append(f"    added: {', '.join(comparison.added)}")
        if comparison.removed:
            lines.append(f"    removed: {', '.join(comparison.removed)}")
    if result.municipalities_not_shown:
        lines.append(f"  ... and {result.municipalities_not_shown} more municipalities not shown")
    return lines


def register(
    packs_group: AppGroup,
    read_sources: Callable[[tuple[Path, ...]], list[PackSource]],
    paths_argument: Callable,
) -> None:
    """Add the commands to `flask packs`, reading files as `validate` and `load` do."""

    @packs_group.command("preview")
    @paths_argument
    def packs_preview(paths: tuple[Path, ...]) -> None:
        """Show what publishing pack files would change, and what sample businesses would get."""
        with database().sessions() as session:
            try:
                result = preview(session, read_sources(paths), reach="CA")
            except PackError as error:
                report_problems(error)
                raise SystemExit(1) from None
        for line in preview_lines(result):
            click.echo(line)

    @packs_group.command("versions")
    @click.argument("code")
    def packs_versions(code: str) -> None:
        """Every version of the pack of jurisdiction CODE, newest first."""
        with database().sessions() as session:
            try:
                versions = list_versions(session, code, actor=None)
            except VersionNotFound:
                raise click.BadParameter(
                    f"no pack was ever published for {code}", param_hint="CODE"
                ) from None
        for version in versions:
            who = version.published_by or "command line"
            state = "in force" if version.active else ""
            click.echo(
                f"v{version.version:<3} {version.filename:<28} {version.published_at:%Y-%m-%d %H:%M} UTC  "
                f"{who:<20} {version.sha256[:12]}  {state}".rstrip()
            )

    @packs_group.command("restore")
    @click.argument("code")
    @click.argument("version", type=click.IntRange(min=1))
    @click.option("--dry-run", is_flag=True, help="Only show the preview.")
    def packs_restore(code: str, version: int, dry_run: bool) -> None:
        """Publish VERSION of CODE's pack again, as a new version (validated against the packs in force)."""
        with database().sessions() as session, session.begin():
            try:
                result = preview_restore(session, code, version, actor=None)
                for line in preview_lines(result):
                    click.echo(line)
                if dry_run:
                    return
                published = restore(session, code, version, actor=None)
            except VersionNotFound:
                raise click.BadParameter(f"{code} has no version {version}", param_hint="VERSION") from None
            except AlreadyInForce:
                click.echo(
                    f"{code} version {version} is already the text in force: nothing restored.", err=True
                )
                raise SystemExit(1) from None
            except PackError as error:
                report_problems(error)
                raise SystemExit(1) from None
        click.echo(f"{code}: version {version} restored as version {published.version}")
