"""The disbursement report over the API, for staff who settle with the agencies.

An administrator sees every agency; a supervisor only their own (asking for another is
403, and a supervisor with no agency sees nothing); clerks and applicants are refused.
"""

from __future__ import annotations

import io
import re

from flask import Response, abort, g, jsonify, request
from flask_babel import gettext as _

from app.api import api
from app.api.errors import field_errors
from app.auth import api_user_required
from app.db import db_session
from workflows.payments.reports import AgencyTotals, disbursement_report, utc_day, write_csv

FORMATS = ("json", "csv")


@api.get("/v1/ledger/disbursements")
@api_user_required
def get_disbursements():
    user = g.api_user
    if user.role not in ("admin", "supervisor") or (user.role == "supervisor" and not user.agency_code):
        abort(403, description=_("Only supervisors and administrators can see the disbursement report."))
    agency = request.args.get("agency") or None
    if user.role == "supervisor":
        if agency not in (None, user.agency_code):
            abort(403, description=_("You can see your own agency's disbursements only."))
        agency = user.agency_code
    errors: list[tuple[str, str]] = []
    start, end = _day("from", errors), _day("to", errors)
    if start and end and end <= start:
        errors.append(("to", _("Give a day after the first one.")))
    output = request.args.get("format", "json")
    if output not in FORMATS:
        errors.append(("format", _("Give csv or json.")))
    if errors:
        return field_errors(422, errors)
    rows = disbursement_report(db_session(), start, end, agency)
    if output == "csv":
        return _csv(rows, f"disbursements-{start:%Y-%m-%d}-{end:%Y-%m-%d}{_suffix(agency)}.csv")
    return jsonify(
        {"from": start.isoformat(), "to": end.isoformat(), "agencies": [_agency_json(row) for row in rows]}
    )


def _day(name: str, errors: list[tuple[str, str]]):
    try:
        return utc_day(request.args.get(name, ""))
    except ValueError:
        errors.append((name, _("Give a day in the form YYYY-MM-DD, for example 2026-11-01.")))
        return None


def _agency_json(row: AgencyTotals) -> dict:
    return {
        "agency": row.agency,
        "gl_accounts": list(row.gl_accounts),
        "owed_at_start_cents": row.owed_at_start_cents,
        "payments_cents": row.payments_cents,
        "refunds_cents": row.refunds_cents,
        "net_cents": row.net_cents,
        "disbursed_cents": row.disbursed_cents,
        "owed_at_end_cents": row.owed_at_end_cents,
    }


def _csv(rows: list[AgencyTotals], filename: str) -> Response:
    stream = io.StringIO()
    write_csv(rows, stream, AgencyTotals)
    response = Response(stream.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _suffix(agency: str | None) -> str:
    """The agency in the file name, reduced to characters safe in a header."""
    return "-" + re.sub(r"[^A-Za-z0-9_-]", "", agency) if agency else ""
