"""JSON request bodies: one nested past what the parser can follow is invalid JSON, not a 500.

Python's parser follows nesting by recursion; a body of a thousand opening brackets (2 KB)
raises RecursionError, which Werkzeug's `get_json` does not treat as a parse failure, so every
JSON endpoint (and the sign-in limit's key, which reads the email from the body) answered 500.
Raising ValueError instead makes such a body what it is to every caller: not readable JSON.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.json.provider import DefaultJSONProvider


class BoundedJSONProvider(DefaultJSONProvider):
    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply to read") from None


def init_json_limits(app: Flask) -> None:
    app.json = BoundedJSONProvider(app)
