"""Applications as API JSON, in the language the client asked for."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from flask import url_for

from app.verify import verify_url
from licences.models import Licence
from workflows.application_form import FormField
from workflows.applications import (
    AnswerChange,
    ApplicationView,
    ConsentRequest,
    PermitProgress,
    program_accounts,
)
from workflows.models import Application, PermitEvent


def time_json(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def field_json(form_field: FormField, language: str) -> dict:
    definition = form_field.definition
    return {
        "name": definition.id,
        "type": definition.type,
        "label": definition.label.in_(language),
        "help": definition.help.in_(language) if definition.help else None,
        "required": form_field.required,
        "personal": definition.personal,
        "min": definition.minimum,
        "max": definition.maximum,
        "max_length": definition.max_length,
        "choices": [{"value": c.value, "label": c.label.in_(language)} for c in definition.choices],
        "asked_for": [permit.code for permit in form_field.permits],
    }


def _event_json(event: PermitEvent, owner_id: int) -> dict:
    if event.actor_id is None:
        actor = "system"
    elif event.actor_id == owner_id:
        actor = "applicant"
    else:
        actor = "staff"  # which member of staff is the agency's business, not the applicant's
    return {
        "event": event.event,
        "from": event.from_state,
        "to": event.to_state,
        "actor": actor,
        "reason": event.reason,
        "at": time_json(event.at),
    }


def _permit_json(progress: PermitProgress, owner_id: int, language: str) -> dict:
    permit, case = progress.permit, progress.case
    return {
        "code": permit.code,
        "name": permit.name.in_(language),
        "level": permit.level,
        "agency": permit.agency.code,
        "agency_name": permit.agency.name.in_(language),
        "workflow": case.workflow,
        "state": case.state,
        "fee_cents": case.fee_cents,
        "paid": case.paid,
        "waiting_on": progress.waiting_on,
        "waiting_for": list(progress.waiting_for),
        "step": progress.step,
        "next_step": progress.next_step,
        "due_at": time_json(progress.due_at),
        "actions": list(progress.applicant_actions),
        "prerequisites": list(case.prerequisites),
        "history": [_event_json(event, owner_id) for event in progress.history],
    }


def application_summary_json(application: Application) -> dict:
    return {
        "id": application.id,
        "jurisdiction": application.jurisdiction_code,
        "business_number": application.business_number,
        "created_at": time_json(application.created_at),
        "submitted_at": time_json(application.submitted_at),
    }


def application_json(view: ApplicationView, language: str, licence: Licence | None = None) -> dict:
    application = view.application
    return {
        **application_summary_json(application),
        "status": view.status.state,
        "program_accounts": [str(account) for account in program_accounts(application)],
        "total_fee_cents": view.total_fee_cents,
        "answers": application.answers,
        "pack_versions": application.pack_versions,
        "permits": [_permit_json(p, application.owner_id, language) for p in view.permits],
        "licence": licence_summary_json(licence),
    }


def consents_json(requests: Sequence[ConsentRequest], language: str) -> dict:
    return {
        "agencies": [
            {
                "agency": request.agency_code,
                "name": request.share.agency.name.in_(language),
                "consented": request.given,
                "consented_at": time_json(request.consent.given_at) if request.consent else None,
                "fields": [
                    {
                        "name": f.definition.id,
                        "label": f.definition.label.in_(language),
                        "personal": f.definition.personal,
                        "why": [
                            {"permit": permit.code, "name": permit.name.in_(language)} for permit in f.permits
                        ],
                    }
                    for f in request.share.fields
                ],
            }
            for request in requests
        ]
    }


def answer_change_json(change: AnswerChange, language: str) -> dict:
    def permit(p) -> dict:
        return {"code": p.code, "name": p.name.in_(language), "agency": p.agency.code}

    return {
        "added": [{**permit(p), "fee_cents": change.fees_after[p.code]} for p in change.added],
        "removed": [{**permit(p), "fee_cents": change.fees_before[p.code]} for p in change.removed],
        "fee_changes": [
            {**permit(p), "before_cents": before, "after_cents": after}
            for p, before, after in change.fee_changes
        ],
        "total_before_cents": change.total_before_cents,
        "total_after_cents": change.total_after_cents,
        "fields_erased": [f.definition.id for f in change.fields_dropped],
    }


def licence_summary_json(licence: Licence | None) -> dict | None:
    """The licence in force on the application's own document: where to get it and check it."""
    if licence is None:
        return None
    return {
        "number": licence.number,
        "version": licence.version,
        "issued_at": time_json(licence.issued_at),
        "revoked": licence.revoked_at is not None,
        "pdf_url": url_for("api.get_licence_pdf", application_id=licence.application_id),
        "verify_url": verify_url(licence.number),
    }
