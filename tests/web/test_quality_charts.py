"""The layout of the dashboard's server-drawn bar charts (no database, no request)."""

from __future__ import annotations

from app.quality.charts import LABEL_CHARACTERS, VALUE_ROOM, WIDTH, bar_chart

LONG = "Building, electrical and plumbing permits (City of Vancouver, Development, Buildings and Licensing)"


def test_bars_are_scaled_to_the_largest_value_or_to_the_maximum_given():
    chart = bar_chart("c", "T", "D", [("A", (5.0,)), ("B", (10.0,))], ["n"], str)
    span = WIDTH - 4 - VALUE_ROOM
    assert [row.bars[0].width for row in chart.rows] == [span / 2, span]
    shares = bar_chart("s", "T", "D", [("A", (0.25,))], ["share"], str, maximum=1.0)
    assert shares.rows[0].bars[0].width == round(span / 4, 1)
    assert shares.legend == ()  # one series: the title names it, and nothing is drawn over the first row


def test_a_missing_value_draws_no_bar_but_says_so():
    chart = bar_chart(
        "c", "T", "D", [("A", (None, 2.0))], ["median", "p90"], lambda v: "none" if v is None else str(v)
    )
    missing, present = chart.rows[0].bars
    assert (missing.width, missing.text) == (0, "none") and present.width > 0
    assert [entry.name for entry in chart.legend] == ["median", "p90"]


def test_long_labels_wrap_and_rows_never_overlap():
    chart = bar_chart("c", "T", "D", [(LONG, (1.0,)), ("Short", (2.0,))], ["n"], str)
    first, second = chart.rows
    assert len(first.label) == 2 and all(len(line) <= LABEL_CHARACTERS for line, _y in first.label)
    assert " ".join(line for line, _y in first.label) == LONG
    assert first.label[1][1] < first.bars[0].y < second.label[0][1] < second.bars[0].y
    assert chart.height > second.bars[0].y + second.bars[0].height
