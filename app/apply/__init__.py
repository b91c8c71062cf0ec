"""The entrepreneur's pages for one application: its form, answers, consent, submission and progress.

Views are thin: each loads the applicant's own application (404 otherwise), calls one
function of `workflows.applications` per state change, inside one transaction, and renders.
"""

from flask import Blueprint

apply = Blueprint("apply", __name__)

from app.apply import (  # noqa: E402, F401  (routes register on import)
    consent_views,
    drafting_views,
    licence_views,
    payment_views,
    renewal_views,
    reply_views,
    views,
)
