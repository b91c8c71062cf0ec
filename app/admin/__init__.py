"""Administrators: upload, validate, preview, publish and restore the permit packs of their reach.

Views are thin: each calls `workflows.pack_admin` with the signed-in administrator, whose
jurisdiction bounds what they may see and publish, in one transaction, and renders.
"""

from flask import Blueprint
from flask_login import current_user

from app.apply.display import template_helpers

admin = Blueprint("admin", __name__, url_prefix="/admin")
admin.context_processor(template_helpers)


@admin.app_context_processor
def _navigation() -> dict:
    """Lets base.html offer the permit packs to administrators only (asked only where shown)."""

    def is_pack_admin() -> bool:
        return current_user.is_authenticated and current_user.user.role == "admin"

    return {"is_pack_admin": is_pack_admin}


from app.admin import views  # noqa: E402, F401  (routes register on import)
