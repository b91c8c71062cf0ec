"""What publishing some pack files would do, worked out without storing anything.

The files are validated exactly as publishing would validate them (together with every pack
in force: `validate_with_active`), so a preview that succeeds is a publish that succeeds,
unless someone publishes in between; `revision` lets the publisher notice that. The preview
says, per jurisdiction, what changes against the version in force, and, for sample
businesses of every municipality affected, which permits and fees an applicant gets now and
would get afterwards.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from workflows.pack_admin.diff import PackChanges, structured_changes, text_diff
from workflows.pack_admin.samples import SampleAnswers, complete_answers, sample_answer_sets
from workflows.pack_admin.scope import check_reach
from workflows.pack_store import active_versions, load_active_pack_set, packs_revision, validate_with_active
from workflows.packs.loader import PackSource
from workflows.packs.model import Chain, Jurisdiction, PackSet
from workflows.text import Text
from workflows.triage import evaluate

#: Municipalities triaged in one preview: a federal change reaches every one, which would be slow
#: to compute and impossible to read; the rest are counted.
MAX_MUNICIPALITIES = 12


@dataclass(frozen=True, slots=True)
class PermitLine:
    code: str
    name: Text
    fee_cents: int
    illustrative: bool


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one sample business gets from one set of packs."""

    permits: tuple[PermitLine, ...]
    total_fee_cents: int
    estimated_days: int
    assumed: tuple[str, ...]  # questions the sample did not answer validly: given the plainest answer

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(line.code for line in self.permits)


@dataclass(frozen=True, slots=True)
class SampleComparison:
    municipality: Jurisdiction
    sample: SampleAnswers
    before: Outcome | None  # None: the municipality has no packs in force yet
    after: Outcome

    @property
    def added(self) -> tuple[str, ...]:
        before = set(self.before.codes) if self.before else set()
        return tuple(code for code in self.after.codes if code not in before)

    @property
    def removed(self) -> tuple[str, ...]:
        if self.before is None:
            return ()
        return tuple(code for code in self.before.codes if code not in self.after.codes)

    @property
    def fee_difference_cents(self) -> int:
        return self.after.total_fee_cents - (self.before.total_fee_cents if self.before else 0)

    @property
    def differs(self) -> bool:
        return self.before is None or self.before != self.after


@dataclass(frozen=True, slots=True)
class Preview:
    packs: tuple[PackChanges, ...]
    samples: tuple[SampleComparison, ...]
    municipalities_not_shown: int
    revision: int  # the packs' revision previewed against: publishing checks it has not moved

    @property
    def changes_anything(self) -> bool:
        return any(not pack.unchanged for pack in self.packs)


def preview(session: Session, sources: Sequence[PackSource], *, reach: str | None) -> Preview:
    """The preview of publishing `sources`; raises PackError (OutOfReach for files beyond `reach`)."""
    check_reach(sources, reach)
    revision = packs_revision(session)
    after = validate_with_active(session, sources)
    before = load_active_pack_set(session)
    in_force = {version.jurisdiction_code: version for version in active_versions(session)}
    by_digest = {pack.sha256: pack for pack in after.packs.values()}
    packs = []
    for source in sources:
        pack = by_digest[source.sha256]
        code = pack.jurisdiction.code
        current = in_force.get(code)
        old_text = current.source if current else None
        old_name = f"{current.filename} (v{current.version})" if current else "/dev/null"
        packs.append(
            PackChanges(
                jurisdiction_code=code,
                name=pack.jurisdiction.name,
                filename=source.filename,
                version_in_force=current.version if current else None,
                changes=structured_changes(old_text, source.text),
                text_diff=text_diff(old_text, source.text, old_name, source.filename),
            )
        )
    changed = [pack.jurisdiction_code for pack in packs if not pack.unchanged]
    municipalities = affected_municipalities(after, changed)
    samples = tuple(
        comparison
        for code in municipalities[:MAX_MUNICIPALITIES]
        for comparison in compare_samples(before, after.chains[code])
    )
    return Preview(
        packs=tuple(packs),
        samples=samples,
        municipalities_not_shown=max(0, len(municipalities) - MAX_MUNICIPALITIES),
        revision=revision,
    )


def affected_municipalities(pack_set: PackSet, codes: Sequence[str]) -> list[str]:
    """The municipalities whose chain holds any of `codes`, the changed ones themselves first."""
    wanted = set(codes)
    direct = [code for code in codes if code in pack_set.chains]
    below = sorted(
        code
        for code, chain in pack_set.chains.items()
        if code not in wanted and any(j.code in wanted for j in chain.jurisdictions)
    )
    return direct + below


def compare_samples(before: PackSet | None, chain: Chain) -> list[SampleComparison]:
    """Every sample of the municipality, triaged with the packs in force and with the new ones."""
    old_chain = before.chains.get(chain.municipality.code) if before else None
    return [
        SampleComparison(
            chain.municipality,
            sample,
            outcome(old_chain, sample) if old_chain is not None else None,
            outcome(chain, sample),
        )
        for sample in sample_answer_sets(chain)
    ]


def outcome(chain: Chain, sample: SampleAnswers) -> Outcome:
    answers, assumed = complete_answers(chain, sample.answers)
    result = evaluate(chain, answers)
    return Outcome(
        permits=tuple(
            PermitLine(o.permit.code, o.permit.name, o.fee_cents, o.permit.fee.illustrative)
            for o in result.permits
        ),
        total_fee_cents=result.total_fee_cents,
        estimated_days=result.estimated_days,
        assumed=assumed,
    )
