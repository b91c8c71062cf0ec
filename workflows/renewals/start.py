"""Starting a renewal: the applicant picks permits, sees what they already gave, and sends only changes.

Tell us once: the renewal form is the application's one form cut down to the fields the
chosen permits need, already filled with the values on file. Only values that differ are
kept (as before/after pairs); they are applied when the renewal is paid, together with the
new expiry, so an unpaid renewal changes nothing. Its fees go on one bill of its own, paid
through the same payment route as the first one.

Every function works inside the caller's transaction, on an application the caller locked
(`workflows.applications.lock_application`), and never commits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.application_form import BUSINESS_NUMBER_FIELD, FormField, check_form, form_fields
from workflows.applications.errors import ApplicationError
from workflows.applications.store import cases_of, chain_of, pinned_pack_set
from workflows.audit import record
from workflows.models import Application
from workflows.packs.model import Chain
from workflows.payments.invoices import make_renewal_invoice
from workflows.payments.models import Invoice
from workflows.renewals.eligibility import RenewablePermit, renewable_in
from workflows.renewals.errors import RenewalInProgress
from workflows.renewals.models import Renewal
from workflows.text import FieldError, Text
from workflows.triage import TriageEngine, evaluate

NOTHING_RENEWABLE = Text(
    "None of this application's permits can be renewed now: renewal opens 60 days before a permit expires.",
    "Aucun permis de cette demande ne peut être renouvelé maintenant : le renouvellement ouvre 60 jours "
    "avant l'expiration d'un permis.",
)
CHOOSE_PERMITS = Text(
    "Choose at least one permit to renew, from those that can be renewed now.",
    "Choisissez au moins un permis à renouveler parmi ceux qui peuvent l'être maintenant.",
)
REQUIRED = Text("This field is required.", "Ce champ est obligatoire.")
NOT_FOR_THESE_PERMITS = Text(
    "The permits you are renewing do not ask for this field.",
    "Les permis que vous renouvelez ne demandent pas ce champ.",
)
CHANGES_PERMITS = Text(
    "With this answer your business would need different permits: renewal cannot change them. "
    "Apply again for the new set of permits.",
    "Avec cette réponse, votre entreprise aurait besoin d'autres permis : un renouvellement ne peut pas "
    "les changer. Présentez une nouvelle demande pour ces permis.",
)


@dataclass(frozen=True, slots=True)
class RenewalForm:
    """What the renewal page and the API show before a renewal starts."""

    renewable: tuple[RenewablePermit, ...]
    fields: tuple[FormField, ...]  # what the renewable permits need, each once
    values: dict[str, Any]  # what the applicant already gave for those fields
    open: Renewal | None  # a renewal started and not yet paid, if any


def renewal_fields(chain: Chain, permit_codes: Sequence[str]) -> list[FormField]:
    """The fields the permits need, as on the application form. The Business Number is left
    out: it is fixed once assigned, so a renewal never asks for it."""
    return [f for f in form_fields(chain, permit_codes) if f.definition.id != BUSINESS_NUMBER_FIELD]


def open_renewal(session: Session, application_id: int) -> Renewal | None:
    """The application's renewal started and not completed (its bill unpaid), if any."""
    return session.scalar(
        select(Renewal)
        .where(Renewal.application_id == application_id, Renewal.completed_at.is_(None))
        .order_by(Renewal.id)
        .limit(1)
    )


def renewal_invoice(session: Session, renewal_id: int) -> Invoice | None:
    return session.scalar(select(Invoice).where(Invoice.renewal_id == renewal_id))


def renewal_form(session: Session, application: Application, *, now: datetime) -> RenewalForm:
    """The permits renewable now with their fees, and the form their renewal shows, prefilled."""
    chain = chain_of(session, application)
    renewable = renewable_in(chain, cases_of(session, application.id), application.answers, now)
    fields = renewal_fields(chain, [item.permit.code for item in renewable])
    values = {
        f.definition.id: application.form_values[f.definition.id]
        for f in fields
        if application.form_values.get(f.definition.id) is not None
    }
    return RenewalForm(tuple(renewable), tuple(fields), values, open_renewal(session, application.id))


def start_renewal(
    session: Session,
    application: Application,
    *,
    changes: Mapping[str, Any],
    permit_codes: Sequence[str] | None = None,
    user_id: int,
    now: datetime,
) -> Renewal:
    """Record a renewal of the chosen permits (default: every one renewable now) and bill it.

    `changes` holds field id -> new value; values equal to those on file are not changes.
    Raises ApplicationError (field by field: `permits`, `fields.<id>`) for bad input, and
    RenewalInProgress while another renewal awaits payment. A renewal with nothing to pay
    completes at once.
    """
    pending = open_renewal(session, application.id)
    if pending is not None:
        raise RenewalInProgress(pending.id)
    chain = chain_of(session, application)
    cases = cases_of(session, application.id)
    renewable = renewable_in(chain, cases, application.answers, now)
    chosen = _chosen(renewable, permit_codes)
    changed = _changes(session, application, chain, chosen, changes)
    answers = {**application.answers, **_answer_changes(chain, changed)}
    priced = [item for item in renewable_in(chain, cases, answers, now) if item.permit.code in chosen]

    renewal = Renewal(
        application_id=application.id,
        requested_by=user_id,
        permit_codes=[item.permit.code for item in priced],
        changes=changed,
        created_at=now,
    )
    session.add(renewal)
    session.flush()
    invoice = make_renewal_invoice(
        session, application.id, renewal.id, [(item.permit, item.charge) for item in priced], now
    )
    record(
        session,
        "renewal.requested",
        actor_id=user_id,
        subject=f"renewal:{renewal.id}",
        details={
            "application_id": application.id,
            "permits": renewal.permit_codes,
            "changed_fields": sorted(changed),  # which fields, not their values: the form holds those
            "invoice_id": invoice.id,
            "total_cents": invoice.total_cents,
        },
        at=now,
    )
    if invoice.total_cents == 0:
        from workflows.renewals.completion import complete_renewal

        invoice.paid_at = now
        complete_renewal(session, renewal.id, now=now)
    return renewal


def _chosen(renewable: Sequence[RenewablePermit], permit_codes: Sequence[str] | None) -> list[str]:
    available = [item.permit.code for item in renewable]
    if not available:
        raise ApplicationError([FieldError("permits", NOTHING_RENEWABLE)])
    if permit_codes is None:
        return available
    errors = [
        FieldError(
            f"permits.{code}",
            Text(f"{code} cannot be renewed now.", f"{code} ne peut pas être renouvelé maintenant."),
        )
        for code in dict.fromkeys(permit_codes)
        if code not in available
    ]
    if not permit_codes:
        errors.append(FieldError("permits", CHOOSE_PERMITS))
    if errors:
        raise ApplicationError(errors)
    return [code for code in available if code in set(permit_codes)]


def _changes(
    session: Session,
    application: Application,
    chain: Chain,
    chosen: Sequence[str],
    given: Mapping[str, Any],
) -> dict[str, dict[str, Any]]:
    """Check the values like the form does and keep those that differ from what is on file."""
    fields = renewal_fields(chain, chosen)
    asked = {f.definition.id for f in fields}
    wider = {f.definition.id for f in renewal_fields(chain, [p.code for p in chain.permits])}
    errors, values = [], {}
    for field_id, value in given.items():
        if field_id not in asked and field_id in wider:
            errors.append(FieldError(f"fields.{field_id}", NOT_FOR_THESE_PERMITS))
        elif field_id in asked and (value is None or (isinstance(value, str) and not value.strip())):
            errors.append(FieldError(f"fields.{field_id}", REQUIRED))  # a granted permit keeps every field
        else:
            values[field_id] = value
    clean, problems = check_form(fields, values, complete=False)
    errors += problems
    if errors:
        raise ApplicationError(errors)
    on_file = application.form_values or {}
    changed = {
        field_id: {"before": on_file.get(field_id), "after": value}
        for field_id, value in clean.items()
        if value != on_file.get(field_id)
    }
    _check_answers(session, application, chain, changed)
    return changed


def _answer_changes(chain: Chain, changed: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The changed fields that are also triage questions (tell us once), as new answers."""
    return {
        field_id: change["after"] for field_id, change in changed.items() if field_id in chain.questions_by_id
    }


def _check_answers(
    session: Session, application: Application, chain: Chain, changed: Mapping[str, Mapping[str, Any]]
) -> None:
    """A changed field that is a triage answer must be a valid answer, and must not change which
    permits the business needs (that is a new application, not a renewal)."""
    new = _answer_changes(chain, changed)
    if not new:
        return
    engine = TriageEngine(pinned_pack_set(session, application))
    after, errors = engine.validate_answers(chain, {**application.answers, **new}, require_all=False)
    wrong = [
        FieldError(f"fields.{e.field.removeprefix('answers.')}", e.message)
        for e in errors
        if e.field.removeprefix("answers.") in new
    ]
    if wrong:
        raise ApplicationError(wrong)
    before, _ = engine.validate_answers(chain, application.answers, require_all=False)
    if {o.permit.code for o in evaluate(chain, before).permits} != {
        o.permit.code for o in evaluate(chain, after).permits
    }:
        raise ApplicationError([FieldError(f"fields.{field_id}", CHANGES_PERMITS) for field_id in new])
