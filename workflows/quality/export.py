"""The dashboard's figures as CSV, for spreadsheets: one file per permit type and agency, and one
summary file (applications and satisfaction).

Column names are fixed English identifiers a spreadsheet or a script can rely on; names of
permits and agencies come in the language asked for. Durations are in days with two
decimals, shares between 0 and 1 with four; an empty cell means no figure (nothing decided).
Survey comments are not exported: they are free text from applicants, shown on the page
to the staff in scope only.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

from workflows.quality.metrics import QualityReport
from workflows.quality.models import MAX_SCORE, MIN_SCORE

PERMIT_COLUMNS = (
    "period_from",
    "period_to",
    "permit_code",
    "permit_name",
    "agency_code",
    "agency_name",
    "decided",
    "approved",
    "rejected",
    "median_days_to_decision",
    "p90_days_to_decision",
    "decided_with_due_date",
    "decided_within_expected_time",
    "share_within_expected_time",
    "info_requests",
    "cases_asked_for_info",
    "info_requests_per_decided_case",
)
SUMMARY_COLUMNS = (
    "period_from",
    "period_to",
    "applications_started",
    "applications_submitted",
    "applications_licensed",
    "survey_responses",
    "survey_mean_score",
    *(f"survey_score_{score}" for score in range(MIN_SCORE, MAX_SCORE + 1)),
)


def permits_csv(
    report: QualityReport, permit_name: Callable[[str], str], agency_name: Callable[[str], str]
) -> str:
    """One row per permit type and agency, after a header row."""
    stream = io.StringIO()
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(PERMIT_COLUMNS)
    for row in report.permits:
        writer.writerow(
            [
                report.period.first.isoformat(),
                report.period.last.isoformat(),
                _text(row.permit_code),
                _text(permit_name(row.permit_code)),
                _text(row.agency_code),
                _text(agency_name(row.agency_code)),
                row.decided,
                row.approved,
                row.rejected,
                _number(row.median_days, 2),
                _number(row.p90_days, 2),
                row.with_due_date,
                row.within_expected,
                _number(row.within_expected_share, 4),
                row.info_requests,
                row.cases_asked,
                _number(row.requests_per_decided_case, 2),
            ]
        )
    return stream.getvalue()


def summary_csv(report: QualityReport) -> str:
    """The header row and one row: the period's applications and survey answers."""
    stream = io.StringIO()
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(SUMMARY_COLUMNS)
    satisfaction = report.satisfaction
    writer.writerow(
        [
            report.period.first.isoformat(),
            report.period.last.isoformat(),
            report.applications.started,
            report.applications.submitted,
            report.applications.licensed,
            satisfaction.responses,
            _number(satisfaction.mean, 2),
            *(satisfaction.distribution[score] for score in range(MIN_SCORE, MAX_SCORE + 1)),
        ]
    )
    return stream.getvalue()


def _number(value: float | None, places: int) -> str:
    return "" if value is None else f"{value:.{places}f}"


def _text(value: str) -> str:
    """A cell a spreadsheet will not run as a formula (pack names are data, not code)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
