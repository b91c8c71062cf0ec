"""The consolidated licence over the API: its PDF for the owner, and public verification for anyone.

Verification needs no account and shows only what a public business registry would; an
unknown number answers 404 and says nothing more, whatever the reason.
"""

from __future__ import annotations

from flask import jsonify
from flask_babel import gettext as _

from app.api import api
from app.api.application_json import time_json
from app.api.errors import field_errors
from app.api.ownership import read_own_application
from app.apply.licence_views import pdf_response
from app.auth import api_user_required
from app.db import db_session
from app.i18n import current_language
from app.verify import verify_url
from licences.documents import LicenceUnavailable, file_name, licence_document, licence_to_download
from licences.verification import Verification, find_licence, verify_licence
from workflows.db import utcnow


@api.get("/v1/applications/<int:application_id>/licence.pdf")
@api_user_required
def get_licence_pdf(application_id: int):
    application = read_own_application(application_id)
    try:
        found = licence_to_download(db_session(), application)
    except LicenceUnavailable as error:
        return field_errors(409, [(None, error.message.in_(current_language()))])
    return pdf_response(licence_document(found, verify_url(found.number)), file_name(found))


@api.get("/v1/licences/<number>")
def get_licence(number: str):
    session = db_session()
    found = find_licence(session, number)
    if found is None:
        return field_errors(404, [(None, _("No licence has this number."))])
    return jsonify(verification_json(verify_licence(session, found, now=utcnow()), current_language()))


def verification_json(check: Verification, language: str) -> dict:
    return {
        "number": check.number,
        "version": check.version,
        "issued_at": time_json(check.issued_at),
        "status": check.status,
        "current_number": check.current_number,
        "revoked_reason": check.revoked_reason,
        "business": {
            "legal_name": check.legal_name,
            "operating_name": check.operating_name,
            "business_number": check.business_number,
            "municipality": check.municipality.in_(language),
            "province": check.province.in_(language) if check.province else None,
        },
        "permits": [
            {
                "code": permit.code,
                "number": permit.number,
                "name": permit.name.in_(language),
                "level": permit.level,
                "authority": permit.authority.in_(language),
                "issued_at": time_json(permit.issued_at),
                "expires_at": time_json(permit.expires_at),
                "state": permit.standing,
            }
            for permit in check.permits
        ],
        "signature": {
            "algorithm": check.algorithm,
            "key_id": check.key_id,
            "value": check.signature,
            "valid": check.signature_valid,
        },
        "verify_url": verify_url(check.number),
    }
