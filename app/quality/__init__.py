"""Service quality on the web: the dashboard supervisors and administrators read (`/staff/quality`
and its CSV files), and the survey applicants answer on their dashboard once licensed (a
route of the `apply` blueprint, so it renders the dashboard with that blueprint's helpers).

Views are thin: they work out the signed-in person's scope and the period, call
`workflows.quality` once, and render. The figures' definitions live in the engine.
"""

from flask import Blueprint
from flask_login import current_user

from app.apply.display import template_helpers

quality = Blueprint("quality", __name__, url_prefix="/staff")
quality.context_processor(template_helpers)


@quality.app_context_processor
def _navigation() -> dict:
    """Lets base.html offer the dashboard to supervisors and administrators only."""

    def has_quality_dashboard() -> bool:
        from app.quality.access import may_see_quality

        return current_user.is_authenticated and may_see_quality(current_user.user)

    return {"has_quality_dashboard": has_quality_dashboard}


from app.quality import dashboard_views, survey_views  # noqa: E402, F401  (routes register on import)
