"""Numbers in URLs are row ids (applications, tasks, pack versions): no larger than the database holds.

Werkzeug's `int` converter takes any run of digits; an id past the integer columns' range
then reached the database, which refused it (SQLite: OverflowError; PostgreSQL: integer out
of range) and the visitor got a 500. Such an id names no row: 404, as for any missing row.

The check runs once the route is matched, not in the converter: a converter that refuses a
value makes Werkzeug answer 405 when another method's rule has the same path.
"""

from __future__ import annotations

from flask import Flask, abort

from workflows.db import MAX_ROW_ID


def refuse_ids_past_the_columns(_endpoint: str | None, values: dict | None) -> None:
    if values and any(isinstance(v, int) and v > MAX_ROW_ID for v in values.values()):
        abort(404)


def init_routing(app: Flask) -> None:
    app.url_value_preprocessor(refuse_ids_past_the_columns)
