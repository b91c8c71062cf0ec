"""Triage over the API: jurisdictions, questions, and the permits for a set of answers."""

from __future__ import annotations

from flask import jsonify, request
from flask_babel import gettext as _

from app.api import api
from app.api.errors import field_errors, json_object_body
from app.api.serialize import jurisdiction_json, question_json, triage_json
from app.i18n import current_language
from app.packs import triage_engine
from workflows.triage import TriageError


def _triage_errors(error: TriageError):
    language = current_language()
    return field_errors(422, [(e.field, e.message.in_(language)) for e in error.errors])


@api.get("/v1/jurisdictions")
def jurisdictions():
    language = current_language()
    packs = triage_engine().packs
    return jsonify(jurisdictions=[jurisdiction_json(j, language) for j in packs.jurisdictions()])


@api.get("/v1/triage/questions")
def questions():
    code = request.args.get("jurisdiction")
    if not code:
        return field_errors(422, [("jurisdiction", _("Give the municipality's code, for example 3520005."))])
    try:
        found = triage_engine().questions(code)
    except TriageError as error:
        return _triage_errors(error)
    language = current_language()
    return jsonify(questions=[question_json(q, language) for q in found])


@api.post("/v1/triage")
def triage():
    body = json_object_body()
    errors = []
    code, answers = body.get("jurisdiction"), body.get("answers")
    if not isinstance(code, str) or not code:
        errors.append(("jurisdiction", _("Give the municipality's code, for example 3520005.")))
    if not isinstance(answers, dict):
        errors.append(("answers", _("Give the answers as an object of question id to answer.")))
    unknown = sorted(set(body) - {"jurisdiction", "answers"})
    errors.extend((key, _("Unknown property.")) for key in unknown)
    if errors:
        return field_errors(422, errors)
    try:
        result = triage_engine().triage(code, answers)
    except TriageError as error:
        return _triage_errors(error)
    return jsonify(triage_json(result, current_language()))
