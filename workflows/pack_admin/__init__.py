"""Administrators' side of permit packs: scope, preview, publishing, versions and restoring.

Free of Flask: the pages in `app.admin` and the `flask packs` commands both call these
functions, each inside one transaction.
"""

from workflows.pack_admin.diff import Change, PackChanges
from workflows.pack_admin.preview import Outcome, PermitLine, Preview, SampleComparison, preview
from workflows.pack_admin.publishing import (
    AlreadyInForce,
    StalePreview,
    VersionInfo,
    VersionNotFound,
    list_versions,
    preview_restore,
    publish,
    reach_of,
    restore,
)
from workflows.pack_admin.samples import SampleAnswers, sample_answer_sets
from workflows.pack_admin.scope import OutOfReach, check_reach

__all__ = [
    "AlreadyInForce",
    "Change",
    "OutOfReach",
    "Outcome",
    "PackChanges",
    "PermitLine",
    "Preview",
    "SampleAnswers",
    "SampleComparison",
    "StalePreview",
    "VersionInfo",
    "VersionNotFound",
    "check_reach",
    "list_versions",
    "preview",
    "preview_restore",
    "publish",
    "reach_of",
    "restore",
    "sample_answer_sets",
]
