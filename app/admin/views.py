"""The permit-pack pages: packs in force, upload and preview, publish, versions and restore.

Nothing is stored until the administrator presses Publish (or Restore) on a preview; each of
those is one transaction, and a refusal (a problem in the files, a jurisdiction beyond
their reach, packs published by someone else since the preview) stores nothing.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_required

from app.admin import admin
from app.admin.access import pack_admin
from app.admin.carry import open_upload, sign_upload
from app.admin.forms import PublishForm, RestoreForm, UploadForm
from app.db import db_session, transaction
from app.i18n import current_language
from workflows.jurisdictions import is_within
from workflows.pack_admin import (
    AlreadyInForce,
    StalePreview,
    VersionNotFound,
    list_versions,
    preview,
    preview_restore,
    publish,
    reach_of,
    restore,
)
from workflows.pack_store import active_versions
from workflows.packs import PackError


def _problems(error: PackError) -> list[dict]:
    """Every problem as the page lists it, its reason in the reader's language; `lang` marks a
    reason said only in English (none of the loader's or the reach check's are)."""
    language = current_language()
    return [
        {
            "file": problem.file,
            "line": problem.line,
            "path": problem.path,
            "reason": problem.reason_in(language),
            "lang": problem.reason_language(language),
        }
        for problem in error.problems
    ]


def _rejected(error: PackError, back: str):
    return render_template("admin/problems.html", problems=_problems(error), back=back), 422


@admin.get("/packs")
@login_required
def packs():
    user = pack_admin()
    in_force = [v for v in active_versions(db_session()) if is_within(v.jurisdiction_code, reach_of(user))]
    return render_template("admin/packs.html", versions=in_force, reach=user.jurisdiction_code)


@admin.get("/packs/upload")
@login_required
def upload():
    pack_admin()
    return render_template("admin/upload.html", form=UploadForm())


@admin.post("/packs/upload")
@login_required
def upload_preview():
    user = pack_admin()
    form = UploadForm()
    sources = form.sources() if form.validate_on_submit() else None
    if sources is None:
        return render_template("admin/upload.html", form=form), 422
    try:
        result = preview(db_session(), sources, reach=reach_of(user))
    except PackError as error:
        return _rejected(error, url_for("admin.upload"))
    publish_form = PublishForm(formdata=None, upload=sign_upload(sources, result.revision, user.id))
    return render_template("admin/preview.html", preview=result, form=publish_form, restoring=None)


@admin.post("/packs/publish")
@login_required
def publish_upload():
    user = pack_admin()
    form = PublishForm()
    carried = open_upload(form.upload.data or "", user.id) if form.validate_on_submit() else None
    if carried is None:
        return render_template("admin/expired.html"), 400
    try:
        with transaction() as session:
            published = publish(session, carried.sources, actor=user, expected_revision=carried.revision)
    except StalePreview:
        return _stale_upload(user, carried.sources)
    except PackError as error:
        return _rejected(error, url_for("admin.upload"))
    for result in published:
        if result.changed:
            flash(
                _(
                    "%(code)s: published as version %(version)s.",
                    code=result.jurisdiction_code,
                    version=result.version,
                )
            )
        else:
            flash(
                _(
                    "%(code)s: unchanged (version %(version)s).",
                    code=result.jurisdiction_code,
                    version=result.version,
                )
            )
    return redirect(url_for("admin.packs"))


def _stale_upload(user, sources):
    """Someone published since the preview: show the preview again, made on the packs now in force."""
    try:
        result = preview(db_session(), sources, reach=reach_of(user))
    except PackError as error:
        return _rejected(error, url_for("admin.upload"))
    form = PublishForm(formdata=None, upload=sign_upload(sources, result.revision, user.id))
    return render_template("admin/preview.html", preview=result, form=form, restoring=None, stale=True), 409


@admin.get("/packs/<code>/versions")
@login_required
def versions(code: str):
    user = pack_admin()
    try:
        rows = list_versions(db_session(), code, actor=user)
    except VersionNotFound:
        abort(404)
    return render_template("admin/versions.html", code=code, versions=rows)


def _restore_preview(user, code: str, version: int, *, stale: bool = False, status: int = 200):
    try:
        result = preview_restore(db_session(), code, version, actor=user)
    except VersionNotFound:
        abort(404)
    except PackError as error:
        return _rejected(error, url_for("admin.versions", code=code))
    form = RestoreForm(formdata=None, revision=result.revision)
    restoring = {"code": code, "version": version}
    page = render_template("admin/preview.html", preview=result, form=form, restoring=restoring, stale=stale)
    return page, status


@admin.get("/packs/<code>/versions/<int:version>/restore")
@login_required
def restore_preview(code: str, version: int):
    return _restore_preview(pack_admin(), code, version)


@admin.post("/packs/<code>/versions/<int:version>/restore")
@login_required
def restore_version(code: str, version: int):
    user = pack_admin()
    form = RestoreForm()
    if not form.validate_on_submit():
        return _restore_preview(user, code, version, stale=True, status=409)
    try:
        with transaction() as session:
            result = restore(session, code, version, actor=user, expected_revision=form.revision.data)
    except VersionNotFound:
        abort(404)
    except StalePreview:
        return _restore_preview(user, code, version, stale=True, status=409)
    except AlreadyInForce:
        return _restore_preview(user, code, version, status=409)
    except PackError as error:
        return _rejected(error, url_for("admin.versions", code=code))
    flash(
        _(
            "Version %(old)s of %(code)s restored as version %(new)s.",
            old=version,
            code=code,
            new=result.version,
        )
    )
    return redirect(url_for("admin.versions", code=code))
