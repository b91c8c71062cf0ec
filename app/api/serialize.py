"""Engine objects as API JSON, in the language the client asked for."""

from __future__ import annotations

from workflows.packs.model import Jurisdiction, Question
from workflows.triage import PermitOutcome, SuggestionOutcome, TriageResult


def jurisdiction_json(jurisdiction: Jurisdiction, language: str) -> dict:
    return {
        "code": jurisdiction.code,
        "level": jurisdiction.level,
        "name": jurisdiction.name.in_(language),
        "parent": jurisdiction.parent,
    }


def question_json(question: Question, language: str) -> dict:
    return {
        "id": question.id,
        "type": question.type,
        "text": question.text.in_(language),
        "help": question.help.in_(language) if question.help else None,
        "unit": question.unit.in_(language) if question.unit else None,
        "min": question.minimum,
        "max": question.maximum,
        "choices": [{"value": c.value, "label": c.label.in_(language)} for c in question.choices],
        "show_if": question.show_if_data,
        "jurisdiction": question.jurisdiction,
    }


def permit_json(outcome: PermitOutcome, language: str) -> dict:
    permit = outcome.permit
    return {
        "code": permit.code,
        "name": permit.name.in_(language),
        "description": permit.description.in_(language),
        "level": permit.level,
        "jurisdiction": permit.jurisdiction.code,
        "agency": permit.agency.code,
        "agency_name": permit.agency.name.in_(language),
        "fee_cents": outcome.fee_cents,
        "fee_illustrative": permit.fee.illustrative,
        "processing_days": permit.processing_days,
        "depends_on": list(outcome.depends_on),
        "reasons": outcome.reason_texts(language),
    }


def suggestion_json(outcome: SuggestionOutcome, language: str) -> dict:
    suggestion = outcome.suggestion
    return {
        "code": suggestion.code,
        "kind": suggestion.kind,
        "name": suggestion.name.in_(language),
        "description": suggestion.description.in_(language),
        "provider": suggestion.provider.in_(language) if suggestion.provider else None,
        "url": suggestion.url,
        "reasons": [reason.text(language) for reason in outcome.reasons],
    }


def triage_json(result: TriageResult, language: str) -> dict:
    return {
        "jurisdiction": result.municipality.code,
        "permits": [permit_json(outcome, language) for outcome in result.permits],
        "suggestions": [suggestion_json(outcome, language) for outcome in result.suggestions],
        "total_fee_cents": result.total_fee_cents,
        "estimated_days": result.estimated_days,
    }
