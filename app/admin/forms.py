"""The upload form, and the small forms that carry a preview to its publication.

The form only collects files; every rule about what a pack may say is the engine's. The
text previewed travels back with the Publish button inside a token signed with the app's
secret (`carry`), so what is published is exactly what was previewed, by the same person.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import HiddenField, IntegerField
from wtforms.validators import InputRequired

from workflows.packs.loader import PACK_SUFFIXES, PackSource

MAX_FILE_BYTES = 256 * 1024  # the largest bundled pack is about 30 KB
MAX_FILES = 10


class UploadForm(FlaskForm):
    files = MultipleFileField(
        _l("Pack files"),
        description=_l(
            "One or more YAML files (.yaml or .yml), at most %(count)s, each at most %(size)s KB. "
            "Each replaces the pack of the jurisdiction it declares.",
            count=MAX_FILES,
            size=MAX_FILE_BYTES // 1024,
        ),
        render_kw={"accept": ".yaml,.yml"},
    )

    def sources(self) -> list[PackSource] | None:
        """The files as pack sources, or None with the reasons on the field."""
        uploads = [upload for upload in self.files.data or () if upload and upload.filename]
        errors = []
        if not uploads:
            errors.append(_("Choose at least one pack file."))
        if len(uploads) > MAX_FILES:
            errors.append(_("Upload at most %(count)s files at once.", count=MAX_FILES))
        sources = []
        for upload in uploads[:MAX_FILES]:
            name = upload.filename.replace("\\", "/").rsplit("/", 1)[-1][:255]
            content = upload.read(MAX_FILE_BYTES + 1)
            if not name.endswith(PACK_SUFFIXES):
                errors.append(_("%(file)s: a pack file ends in .yaml or .yml.", file=name))
            elif len(content) > MAX_FILE_BYTES:
                errors.append(
                    _("%(file)s: a pack file is at most %(size)s KB.", file=name, size=MAX_FILE_BYTES // 1024)
                )
            else:
                try:
                    sources.append(PackSource(name, content.decode("utf-8")))
                except UnicodeDecodeError:
                    errors.append(_("%(file)s: save the file as UTF-8 text.", file=name))
        if not errors and len({source.filename for source in sources}) != len(sources):
            errors.append(_("Two files have the same name: rename one."))
        self.files.errors = errors
        return None if errors else sources

    @staticmethod
    def too_large_message(limit: int) -> str:
        return _("The files are too large together: at most %(size)s KB at once.", size=limit // 1024)


class PublishForm(FlaskForm):
    """The Publish button of an upload's preview: the previewed files, signed."""

    upload = HiddenField(validators=[InputRequired()])


class RestoreForm(FlaskForm):
    """The Restore button of a version's preview: the packs' revision the preview was made on."""

    revision = IntegerField(widget=HiddenField.widget, validators=[InputRequired()])
