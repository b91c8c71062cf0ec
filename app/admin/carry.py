"""Carrying previewed files to the Publish button without trusting the browser with them.

The files, the administrator's id and the packs' revision are signed with the app's secret
and sent back as one hidden field; a token altered, older than an hour, or made for someone
else is refused, so what is published is exactly what that administrator previewed.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadData, URLSafeTimedSerializer

from workflows.packs.loader import PackSource

SALT = "guichet.admin.pack-upload"
MAX_AGE_SECONDS = 3600


@dataclass(frozen=True, slots=True)
class CarriedUpload:
    sources: list[PackSource]
    revision: int


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=SALT)


def sign_upload(sources: list[PackSource], revision: int, user_id: int) -> str:
    files = [[source.filename, source.text] for source in sources]
    return _serializer().dumps({"user": user_id, "revision": revision, "files": files})


def open_upload(token: str, user_id: int) -> CarriedUpload | None:
    """The files signed in `token` for this administrator, or None if it is not genuine, stale or theirs."""
    try:
        data = _serializer().loads(token, max_age=MAX_AGE_SECONDS)
    except BadData:
        return None
    if not isinstance(data, dict) or data.get("user") != user_id:
        return None
    sources = [PackSource(name, text) for name, text in data["files"]]
    return CarriedUpload(sources, int(data["revision"]))
