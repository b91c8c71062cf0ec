"""The signed-in administrator, and nobody else.

Anyone else signed in gets 403. Which jurisdictions an administrator may see is the
engine's to say (`workflows.pack_admin`): one outside their reach answers 404, exactly like
one that has no pack, so codes reveal nothing.
"""

from __future__ import annotations

from flask import abort, current_app, render_template
from flask_login import current_user
from werkzeug.exceptions import Forbidden, RequestEntityTooLarge

from accounts.models import User
from app.admin import admin
from app.admin.forms import UploadForm


def pack_admin() -> User:
    """The signed-in administrator (call after `login_required`); 403 for anyone else."""
    user = current_user.user
    if user.role != "admin" or not user.jurisdiction_code:
        abort(403)
    return user


@admin.errorhandler(Forbidden)
def forbidden(_error: Forbidden):
    return render_template("admin/forbidden.html"), 403


@admin.errorhandler(RequestEntityTooLarge)
def too_large(_error: RequestEntityTooLarge):
    """A request over the server's limit never reaches the form: say so on the upload page."""
    form = UploadForm(formdata=None)
    form.files.errors = [form.too_large_message(current_app.config["MAX_CONTENT_LENGTH"])]
    return render_template("admin/upload.html", form=form), 413
