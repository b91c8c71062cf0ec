"""Making an application and changing it while it is a draft: the form, and the triage answers.

Every function works inside the caller's transaction and never commits. Those that change
an application expect it loaded with `lock_application`, and refuse once it is submitted.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from workflows.application_form import (
    BUSINESS_NUMBER_FIELD,
    FormField,
    application_fields,
    check_form,
    prefilled,
)
from workflows.applications.errors import ApplicationError, CreationKeyReused
from workflows.applications.store import applied_for, cases_of, chain_of, pinned_pack_set, require_draft
from workflows.db import take_sqlite_write_lock
from workflows.models import Application, PermitCase
from workflows.pack_store import pinned_versions
from workflows.packs.model import Permit
from workflows.permit_workflow import open_cases, open_cases_from_triage, prerequisite_map
from workflows.triage import TriageEngine, TriageResult


def create_application(
    session: Session,
    engine: TriageEngine,
    *,
    owner_id: int,
    jurisdiction: str,
    answers: Mapping[str, Any],
    creation_key: str | None = None,
) -> tuple[Application, TriageResult]:
    """Triage the answers, pin the packs used, open one draft case per permit, pre-fill the form.

    Raises TriageError (field by field) for a bad municipality or bad answers. A `creation_key`
    (the API's Idempotency-Key) is kept with it, unique per owner: see `created_with`.
    """
    result = engine.triage(jurisdiction, answers)
    take_sqlite_write_lock(session)  # before reading pinned versions: two at once take turns
    application = Application(
        owner_id=owner_id,
        jurisdiction_code=jurisdiction,
        answers=dict(result.answers),
        pack_versions=pinned_versions(engine.packs, session, jurisdiction),
        program_accounts=[],
        creation_key=creation_key,
        creation_request_sha256=creation_digest(jurisdiction, answers) if creation_key else None,
    )
    chain = engine.chain(jurisdiction)
    fields = application_fields(chain, (outcome.permit.code for outcome in result.permits))
    application.form_values = prefilled(fields, result.answers)
    session.add(application)
    session.flush()
    open_cases_from_triage(session, application.id, result)
    return application, result


def creation_digest(jurisdiction: str, answers: Mapping[str, Any]) -> str:
    """What a creation request asked, to tell a resend from another request under the same key."""
    asked = json.dumps({"jurisdiction": jurisdiction, "answers": answers}, sort_keys=True, default=str)
    return hashlib.sha256(asked.encode()).hexdigest()


def created_with(
    session: Session, owner_id: int, creation_key: str, jurisdiction: str, answers: Mapping[str, Any]
) -> Application | None:
    """The application `owner_id` already created with this key, if any: a client that lost the
    answer and sends again gets it back instead of a second draft. CreationKeyReused if the key
    was used for a different request."""
    take_sqlite_write_lock(session)  # the same key sent twice at once: the second waits, then finds it
    application = session.scalar(
        select(Application).where(Application.owner_id == owner_id, Application.creation_key == creation_key)
    )
    asked = creation_digest(jurisdiction, answers)
    if application is not None and application.creation_request_sha256 != asked:
        raise CreationKeyReused()
    return application


def fields_of(session: Session, application: Application) -> list[FormField]:
    """The application's one form: every field its permits need, each once."""
    cases = applied_for(cases_of(session, application.id))
    return application_fields(chain_of(session, application), (case.permit_code for case in cases))


def save_form(session: Session, application: Application, values: Mapping[str, Any]) -> dict[str, Any]:
    """Merge a draft's values: fields left out keep theirs, null or "" clears one.

    Every given value is checked; if any is refused, nothing is saved (ApplicationError).
    A BN typed here is the business's own, so none will be assigned.
    """
    require_draft(session, application)
    clean, errors = check_form(fields_of(session, application), values, complete=False)
    if errors:
        raise ApplicationError(errors)
    merged = {**application.form_values, **clean}
    for field_id, value in values.items():
        if value is None or (isinstance(value, str) and not value.strip()):
            merged.pop(field_id, None)
    application.form_values = merged
    application.business_number = merged.get(BUSINESS_NUMBER_FIELD)
    session.flush()
    return merged


@dataclass(frozen=True, slots=True)
class AnswerChange:
    """What new triage answers would change, shown to the applicant before they confirm."""

    result: TriageResult
    added: tuple[Permit, ...]
    removed: tuple[Permit, ...]
    fee_changes: tuple[tuple[Permit, int, int], ...]  # kept permits whose fee moves: (permit, before, after)
    total_before_cents: int
    total_after_cents: int
    fields_dropped: tuple[FormField, ...]  # values given for fields no longer asked, which will be erased
    fees_before: Mapping[str, int]  # permit code -> fee now, for the permits the application has

    @property
    def fees_after(self) -> dict[str, int]:
        return {outcome.permit.code: outcome.fee_cents for outcome in self.result.permits}

    @property
    def changes_anything(self) -> bool:
        return bool(self.added or self.removed or self.fee_changes or self.fields_dropped)


def preview_answers(session: Session, application: Application, answers: Mapping[str, Any]) -> AnswerChange:
    """Triage new answers under the application's pinned packs and compare; changes nothing.

    Raises TriageError for bad answers, NotADraft once submitted.
    """
    cases = require_draft(session, application)
    engine = TriageEngine(pinned_pack_set(session, application))
    chain = engine.chain(application.jurisdiction_code)
    result = engine.triage(application.jurisdiction_code, answers)
    before = {case.permit_code: case for case in cases}
    after = {outcome.permit.code: outcome for outcome in result.permits}
    by_code = {permit.code: permit for permit in chain.permits}
    old_fields = application_fields(chain, before)
    new_ids = {f.definition.id for f in application_fields(chain, after)}
    return AnswerChange(
        result=result,
        added=tuple(outcome.permit for code, outcome in after.items() if code not in before),
        removed=tuple(by_code[code] for code in before if code not in after),
        fee_changes=tuple(
            (outcome.permit, before[code].fee_cents, outcome.fee_cents)
            for code, outcome in after.items()
            if code in before and before[code].fee_cents != outcome.fee_cents
        ),
        fees_before={case.permit_code: case.fee_cents for case in cases},
        total_before_cents=sum(case.fee_cents for case in cases),
        total_after_cents=result.total_fee_cents,
        fields_dropped=tuple(
            f
            for f in old_fields
            if f.definition.id not in new_ids and application.form_values.get(f.definition.id) is not None
        ),
    )


def change_answers(session: Session, application: Application, answers: Mapping[str, Any]) -> AnswerChange:
    """Apply new triage answers: open the added permits, drop the removed ones, update fees.

    Permits kept keep their case; values of fields no longer asked are erased, so nothing
    unasked is held. Consents stay on record; an agency whose share grew must consent again.
    """
    change = preview_answers(session, application, answers)
    outcomes = {outcome.permit.code: outcome for outcome in change.result.permits}
    cases = cases_of(session, application.id)
    removed = [case.id for case in cases if case.permit_code not in outcomes]
    if removed:  # draft cases have no history yet: nothing else refers to them
        session.execute(delete(PermitCase).where(PermitCase.id.in_(removed)))
    kept = [case for case in cases if case.permit_code in outcomes]
    before = prerequisite_map(
        {code: outcome.depends_on for code, outcome in outcomes.items()},
        [outcome.permit for outcome in change.result.permits],
    )
    for case in kept:
        case.fee_cents = outcomes[case.permit_code].fee_cents
        case.prerequisites = list(before[case.permit_code])
    added = open_cases(
        session,
        application.id,
        list(change.added),
        prerequisites=before,
        fees_cents={code: outcome.fee_cents for code, outcome in outcomes.items()},
    )
    for case in added:  # open_cases keeps only prerequisites among the permits it opens
        case.prerequisites = list(before[case.permit_code])
    application.answers = dict(change.result.answers)
    dropped = {f.definition.id for f in change.fields_dropped}
    application.form_values = {k: v for k, v in application.form_values.items() if k not in dropped}
    session.flush()
    return change
