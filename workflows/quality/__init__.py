"""Service quality, free of Flask: the figures supervisors and administrators watch (applications
started, submitted and licensed; time to decision per permit and agency; decisions within the
expected time; requests for information; satisfaction), and the survey applicants answer once
their licence is issued. docs/quality.md defines every figure.
"""

from workflows.quality.export import PERMIT_COLUMNS, SUMMARY_COLUMNS, permits_csv, summary_csv
from workflows.quality.metrics import (
    ApplicationCounts,
    Comment,
    PermitFigures,
    QualityReport,
    Satisfaction,
    quality_report,
)
from workflows.quality.percentiles import percentile
from workflows.quality.period import Period, PeriodError, default_period, parse_period
from workflows.quality.scope import Scope, scope_of
from workflows.quality.survey import (
    AlreadyAnswered,
    SurveyError,
    SurveyInputError,
    SurveyNotOffered,
    SurveyState,
    answer_survey,
    survey_state,
)

__all__ = [
    "PERMIT_COLUMNS",
    "SUMMARY_COLUMNS",
    "AlreadyAnswered",
    "ApplicationCounts",
    "Comment",
    "Period",
    "PeriodError",
    "PermitFigures",
    "QualityReport",
    "Satisfaction",
    "Scope",
    "SurveyError",
    "SurveyInputError",
    "SurveyNotOffered",
    "SurveyState",
    "answer_survey",
    "default_period",
    "parse_period",
    "percentile",
    "permits_csv",
    "quality_report",
    "scope_of",
    "summary_csv",
    "survey_state",
]
