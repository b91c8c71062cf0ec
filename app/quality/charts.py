"""Horizontal bar charts drawn on the server as SVG: no script, no external asset.

This module lays the bars out (positions in the SVG's own units); the template
`quality/_chart.html` draws them. Each chart carries a title and a description for
assistive technology, and every figure it shows is also in a table on the same page.
Each bar's label sits above it, wrapped onto several lines when long, so no name is cut.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass

WIDTH = 640
LEFT = 4
VALUE_ROOM = 110  # right of the longest bar, for its value
LABEL_HEIGHT = 18  # one line of a label
LABEL_CHARACTERS = 80  # a label longer than this wraps (13px text in 640 units)
BAR_HEIGHT = 16
BAR_GAP = 4
ROW_GAP = 12
LEGEND_HEIGHT = 28
#: Fills with at least 3:1 contrast on white (WCAG 1.4.11), told apart by the legend's words too.
FILLS = ("#1d4e89", "#a3470f")


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    fill: str
    text: str  # the value, written after the bar
    text_x: float
    text_y: float


@dataclass(frozen=True, slots=True)
class Row:
    label: tuple[tuple[str, float], ...]  # each line of the label with its baseline
    bars: tuple[Bar, ...]


@dataclass(frozen=True, slots=True)
class LegendEntry:
    name: str
    fill: str
    x: float


@dataclass(frozen=True, slots=True)
class BarChart:
    id: str
    title: str
    description: str
    width: int
    height: float
    rows: tuple[Row, ...]
    legend: tuple[LegendEntry, ...]


def bar_chart(
    chart_id: str,
    title: str,
    description: str,
    rows: Sequence[tuple[str, Sequence[float | None]]],
    series: Sequence[str],
    value_text: Callable[[float | None], str],
    maximum: float | None = None,
) -> BarChart:
    """Rows of (label, one value per series); a None value draws no bar, only its text.

    Bars are scaled to `maximum` (default: the largest value), so a share can be drawn
    against 100 % rather than against the best permit.
    """
    values = [value for _label, row in rows for value in row if value is not None]
    top = maximum if maximum is not None else max(values, default=0)
    span = WIDTH - LEFT - VALUE_ROOM
    # One series needs no legend: the chart's title names it.
    legend = tuple(
        LegendEntry(name, FILLS[index % len(FILLS)], LEFT + index * (span // 2))
        for index, name in enumerate(series)
        if len(series) > 1
    )
    y = float(LEGEND_HEIGHT if legend else 0)
    laid_out = []
    for label, row in rows:
        lines = []
        for line in textwrap.wrap(label, LABEL_CHARACTERS) or [""]:
            y += LABEL_HEIGHT
            lines.append((line, y - 5))
        y += 2
        bars = []
        for index, value in enumerate(row):
            width = span * value / top if value is not None and top > 0 else 0.0
            bars.append(
                Bar(
                    x=LEFT,
                    y=y,
                    width=round(width, 1),
                    height=BAR_HEIGHT,
                    fill=FILLS[index % len(FILLS)],
                    text=value_text(value),
                    text_x=round(LEFT + width + 6, 1),
                    text_y=y + BAR_HEIGHT - 3,
                )
            )
            y += BAR_HEIGHT + BAR_GAP
        y += ROW_GAP
        laid_out.append(Row(tuple(lines), tuple(bars)))
    return BarChart(chart_id, title, description, WIDTH, max(y, 1.0), tuple(laid_out), legend)
