"""The service-quality dashboard and its CSV files, for supervisors and administrators.

The period comes from the address (`from`, `to`: YYYY-MM-DD, both days included; by
default the last 90 days), so the filter is a plain GET form that works without script
and every view of the figures can be bookmarked or downloaded.
"""

from __future__ import annotations

import re

from flask import Response, render_template, request, url_for
from flask_babel import format_decimal, format_percent
from flask_babel import gettext as _
from flask_login import login_required

from app.db import db_session
from app.i18n import current_language
from app.packs import triage_engine
from app.quality import quality
from app.quality.access import quality_reader
from app.quality.charts import BarChart, bar_chart
from app.staff.labels import PackNames
from workflows.db import utcnow
from workflows.jurisdictions import FEDERAL
from workflows.packs.model import PackSet
from workflows.quality import (
    Period,
    PeriodError,
    QualityReport,
    Scope,
    parse_period,
    permits_csv,
    quality_report,
    summary_csv,
)
from workflows.quality.models import MAX_SCORE, MIN_SCORE


@quality.get("/quality")
@login_required
def dashboard():
    _user, scope = quality_reader()
    packs = triage_engine().packs
    language = current_language()
    names = PackNames(packs, language)
    asked = {"from": request.args.get("from", ""), "to": request.args.get("to", "")}
    context = {"asked": asked, "scope_text": _scope_text(scope, packs, language), "names": names}
    try:
        period = _period()
    except PeriodError as error:
        problems = {e.field: e.message.in_(language) for e in error.errors}
        return render_template("quality/dashboard.html", report=None, problems=problems, **context), 422
    report = quality_report(db_session(), scope, period)
    given = {"from": period.first.isoformat(), "to": period.last.isoformat()}
    return render_template(
        "quality/dashboard.html",
        report=report,
        problems={},
        shown=given,
        csv_url=url_for("quality.permits_file", **given),
        summary_url=url_for("quality.summary_file", **given),
        charts=_charts(report, names),
        days=_days,
        share=_share,
        mean=_mean,
        **context,
    )


@quality.get("/quality.csv")
@login_required
def permits_file():
    _user, scope = quality_reader()
    names = PackNames(triage_engine().packs, current_language())
    try:
        period = _period()
    except PeriodError as error:
        return _refusal(error)
    report = quality_report(db_session(), scope, period)
    return _csv(permits_csv(report, names.permit, names.agency), _filename("quality", period))


@quality.get("/quality-summary.csv")
@login_required
def summary_file():
    _user, scope = quality_reader()
    try:
        period = _period()
    except PeriodError as error:
        return _refusal(error)
    report = quality_report(db_session(), scope, period)
    return _csv(summary_csv(report), _filename("quality-summary", period))


def _period() -> Period:
    return parse_period(request.args.get("from"), request.args.get("to"), utcnow().date())


def _refusal(error: PeriodError) -> Response:
    language = current_language()
    text = "\n".join(f"{e.field}: {e.message.in_(language)}" for e in error.errors) + "\n"
    return Response(text, status=422, mimetype="text/plain")


def _csv(text: str, filename: str) -> Response:
    response = Response(text, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _filename(stem: str, period: Period) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "", f"{stem}-{period.first:%Y-%m-%d}-{period.last:%Y-%m-%d}.csv")


def _scope_text(scope: Scope, packs: PackSet, language: str) -> str:
    """Whose figures these are, in a sentence."""
    if scope.agency_code is not None:
        return _(
            "The permits %(agency)s decides.", agency=PackNames(packs, language).agency(scope.agency_code)
        )
    code = scope.jurisdiction_code
    if code == FEDERAL:
        return _("Every application, in every municipality.")
    if code is None:
        return _("Your account has no jurisdiction yet, so no application is in your reach.")
    pack = packs.packs.get(code)
    place = pack.jurisdiction.name.in_(language) if pack else code
    return _("Applications made in %(place)s and every municipality within it.", place=place)


def _days(value: float | None) -> str:
    return _("none") if value is None else format_decimal(value, format="#,##0.0")


def _share(value: float | None) -> str:
    """One decimal: 87.5% in English, 87,5 % (a no-break space before the sign) in French."""
    if value is None:
        return _("none")
    return format_percent(value, format="#,##0.0\u00a0%" if current_language() == "fr" else "#,##0.0%")


def _mean(value: float | None) -> str:
    return _("none") if value is None else format_decimal(value, format="0.00")


def _charts(report: QualityReport, names: PackNames) -> dict[str, BarChart]:
    decided = [row for row in report.permits if row.decided]
    labels = {
        (row.permit_code, row.agency_code): _(
            "%(permit)s (%(agency)s)",
            permit=names.permit(row.permit_code),
            agency=names.agency(row.agency_code),
        )
        for row in decided
    }
    return {
        "time": bar_chart(
            "chart-time",
            _("Days from submission to decision, per permit"),
            _(
                "For each permit decided in the period, the median and the 90th percentile of the days "
                "from submission to decision. The table of figures per permit gives the same numbers."
            ),
            [(labels[row.permit_code, row.agency_code], (row.median_days, row.p90_days)) for row in decided],
            [_("Median"), _("90th percentile")],
            lambda value: _("%(days)s days", days=_days(value)) if value is not None else _("none"),
        ),
        "within": bar_chart(
            "chart-within",
            _("Share decided within the expected time, per permit"),
            _(
                "For each permit decided in the period, the share of decisions made by the expected date "
                "(submission plus the permit's processing days). The table of figures per permit gives "
                "the same numbers."
            ),
            [(labels[row.permit_code, row.agency_code], (row.within_expected_share,)) for row in decided],
            [_("Decided within the expected time")],
            _share,
            maximum=1.0,
        ),
        "scores": bar_chart(
            "chart-scores",
            _("Survey answers by score"),
            _(
                "How many applicants gave each score, from 1 (very dissatisfied) to 5 (very satisfied). "
                "The table of scores gives the same numbers."
            ),
            [
                (_("Score %(score)s", score=score), (report.satisfaction.distribution[score],))
                for score in range(MIN_SCORE, MAX_SCORE + 1)
            ],
            [_("Answers")],
            lambda value: format_decimal(value or 0, format="#,##0"),
        ),
    }
