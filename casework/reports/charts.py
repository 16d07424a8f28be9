"""Horizontal bar charts drawn as SVG by the server: no script, no external service.

This module computes the geometry; ``templates/macros/charts.html`` writes the SVG. Colours
come from CSS classes (the content security policy forbids inline styles), and every chart
stands beside a table with the same numbers, so nothing is said by the picture alone.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

WIDTH = 640
LABEL_WIDTH = 220
VALUE_GAP = 6
VALUE_ROOM = 48  # room right of the longest bar for its number
BAR_HEIGHT = 16
BAR_GAP = 2
GROUP_GAP = 12
TOP = 8
LEGEND_HEIGHT = 22
LABEL_MAX = 32  # characters on one line of a label; a longer label wraps, never cut
LINE_HEIGHT = 15


@dataclass(frozen=True)
class Bar:
    series: int
    value: float
    x: int
    y: int
    width: int
    height: int
    text: str

    @property
    def text_x(self) -> int:
        return self.x + self.width + VALUE_GAP

    @property
    def text_y(self) -> int:
        return self.y + self.height - 4


@dataclass(frozen=True)
class Group:
    label: str
    label_y: int
    bars: list[Bar]
    lines: tuple[str, ...] = ()

    @property
    def line_height(self) -> int:
        return LINE_HEIGHT


@dataclass(frozen=True)
class BarChart:
    chart_id: str
    title: str
    description: str
    series: list[str]
    groups: list[Group]
    height: int
    width: int = WIDTH
    label_width: int = LABEL_WIDTH

    @property
    def legend_y(self) -> int:
        return self.height - LEGEND_HEIGHT + 14


def _lines(label: str) -> tuple[str, ...]:
    return tuple(textwrap.wrap(label, LABEL_MAX, break_long_words=True)) or ("",)


def _text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def bar_chart(
    chart_id: str,
    title: str,
    description: str,
    rows: Sequence[tuple[str, Sequence[float | None]]],
    series: Sequence[str],
) -> BarChart:
    """One group of bars per row (one bar per series); bars scale to the largest value.

    A value of None (no data) draws no bar and prints « — ».
    """
    values = [v for _label, row in rows for v in row if v is not None]
    largest = max(values, default=0) or 1
    room = WIDTH - LABEL_WIDTH - VALUE_ROOM
    groups, y = [], TOP
    for label, row in rows:
        lines = _lines(label)
        bars_height = len(row) * (BAR_HEIGHT + BAR_GAP) - BAR_GAP
        # A label of several lines is centred on its bars; taller than them, it pushes them down.
        extra = max(0, (len(lines) * LINE_HEIGHT - bars_height) // 2)
        y += extra
        bars = []
        for index, value in enumerate(row):
            width = 0 if value is None else max(1 if value else 0, round(room * value / largest))
            bars.append(
                Bar(
                    series=index,
                    value=value or 0,
                    x=LABEL_WIDTH,
                    y=y,
                    width=width,
                    height=BAR_HEIGHT,
                    text="—" if value is None else _text(value),
                )
            )
            y += BAR_HEIGHT + BAR_GAP
        centre = bars[0].y + bars_height // 2 + 4 if bars else y
        first_line_y = centre - (len(lines) - 1) * LINE_HEIGHT // 2
        groups.append(Group(label, first_line_y, bars, lines))
        y += GROUP_GAP + extra
    height = y + (LEGEND_HEIGHT if len(series) > 1 else 0)
    return BarChart(chart_id, title, description, list(series), groups, height)
