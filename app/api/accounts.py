"""Accounts over the API: sign up, get a bearer token or revoke it, and say who the token belongs to."""

from __future__ import annotations

from flask import current_app, g, jsonify, request
from flask_babel import gettext as _

from accounts.models import User
from accounts.service import (
    TOKEN_LIFETIME,
    AccountError,
    authenticate,
    create_account,
    issue_token,
    revoke_token,
)
from app.api import api
from app.api.errors import field_errors, json_object_body
from app.auth import api_user_required, limit_failed_signins, limiter, signin_failed, signin_limit
from app.db import transaction
from app.i18n import current_language
from workflows.audit.signins import record_sign_in
from workflows.db import utcnow


def account_json(user: User) -> dict:
    return {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "agency": user.agency_code,
    }


@api.post("/v1/accounts")
@limiter.limit(signin_limit)
def create_account_api():
    body = json_object_body()
    unknown = sorted(set(body) - {"email", "password", "name", "language"})
    if unknown:
        return field_errors(422, [(key, _("Unknown property.")) for key in unknown])
    try:
        with transaction() as session:
            user = create_account(
                session,
                email=body.get("email"),
                password=body.get("password"),
                name=body.get("name"),
                language=body.get("language", current_language()),  # what emails are written in
            )
    except AccountError as error:
        language = current_language()
        return field_errors(422, [(e.field, e.message.in_(language)) for e in error.errors])
    return jsonify(account_json(user)), 201


@api.post("/v1/tokens")
@limiter.limit(signin_limit)
@limit_failed_signins
def create_token():
    body = json_object_body()
    with transaction() as session:
        user = authenticate(session, body.get("email"), body.get("password"))
        record_sign_in(session, body.get("email"), user, through="api", client_address=request.remote_addr)
        token = issue_token(session, user) if user else None
    if token is None:
        signin_failed()
        return field_errors(401, [(None, _("The email address or password is incorrect."))])
    expires_at = (utcnow() + TOKEN_LIFETIME).isoformat()
    return jsonify(token=token, expires_at=expires_at), 201


@api.delete("/v1/tokens/current")
@api_user_required
def revoke_current_token():
    """Revoke the token this request is made with: an integrator done with it, or one that leaked."""
    with transaction() as session:
        revoke_token(session, g.api_token)
    response = current_app.response_class(status=204)
    del response.headers["Content-Type"]  # no content, so no type
    return response


@api.get("/v1/me")
@api_user_required
def me():
    return jsonify(account_json(g.api_user))
