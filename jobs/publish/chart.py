"""The trend chart of an issue: distinct authors per hour against the baseline's expectation.

    >>> hours = pd.date_range("2026-05-03T09:00Z", periods=48, freq="h")
    >>> chart = trend_chart(hours, [2.0] * 47 + [25.0], [1.5] * 48, "Asia/Seoul")
    >>> len(chart.bars), chart.bars[-1].current, chart.bars[-2].current
    (48, True, False)
    >>> [t.label for t in chart.x_ticks][:2], chart.y_ticks[-1].label
    (['05-03 18:00', '05-04 00:00'], '25')

Geometry only: the numbers a template needs to draw an SVG (``_chart.html`` draws it for the
report and the console, escaped like everything else). Bars are the hour's distinct authors
(the last bar, this hour, in red); the expectation is a solid step line; the time axis is local
time with a tick every ``tick_hours`` (the date at midnight); the y axis has a rounded top.
An hour without a row drew 0 authors and has no expectation (a gap in the line).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    current: bool


@dataclass(frozen=True)
class Tick:
    at: float
    label: str


@dataclass
class TrendChart:
    width: int
    height: int
    left: float
    top: float
    right: float
    bottom: float
    bars: list[Bar] = field(default_factory=list)
    expected_path: str = ""
    x_ticks: list[Tick] = field(default_factory=list)
    y_ticks: list[Tick] = field(default_factory=list)
    current_authors: float = 0.0
    current_expected: float | None = None


def nice_top(value: float) -> float:
    """The smallest round number (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8 x 10^k) at or above ``value``, at least 1.

    >>> nice_top(0.3), nice_top(7), nice_top(26), nice_top(120)
    (1.0, 8.0, 30.0, 150.0)
    """
    if value <= 1:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if step * power >= value - 1e-9:
            return float(step * power)
    return float(10 * power)


def trend_chart(hours: pd.DatetimeIndex, authors: list[float], expected: list[float | None], timezone: str,
                width: int = 640, height: int = 170, tick_hours: int = 6) -> TrendChart:
    left, right, top, bottom = 34.0, width - 8.0, 8.0, height - 22.0
    n = max(len(hours), 1)
    peak = max([0.0] + [float(a) for a in authors] + [float(e) for e in expected if e is not None])
    ymax = nice_top(peak)
    step = (right - left) / n

    def y(v: float) -> float:
        return round(bottom - (bottom - top) * (float(v) / ymax), 1)

    local = pd.DatetimeIndex(hours).tz_convert(timezone)
    chart = TrendChart(width, height, left, top, right, bottom)
    for i, (h, a) in enumerate(zip(local, authors)):
        x = round(left + i * step, 1)
        chart.bars.append(Bar(x, y(a), round(max(step - 1.5, 1.0), 1), round(bottom - y(a), 1),
                              f"{h.strftime('%m-%d %H:00')}: {a:g} authors"
                              + (f", {expected[i]:.1f} expected" if expected[i] is not None else ""),
                              i == len(authors) - 1))
        if h.hour % tick_hours == 0:
            chart.x_ticks.append(Tick(round(x, 1), h.strftime("%m-%d %H:00") if h.hour == 0 or not chart.x_ticks
                                      else h.strftime("%H:00")))
    segments = [f"M{left + i * step:.1f} {y(e):.1f}H{left + (i + 1) * step:.1f}"
                for i, e in enumerate(expected) if e is not None]
    chart.expected_path = " ".join(segments)
    chart.y_ticks = [Tick(y(v), f"{v:g}") for v in (0.0, ymax / 2, ymax)]
    chart.current_authors = float(authors[-1]) if authors else 0.0
    chart.current_expected = expected[-1] if expected else None
    return chart


def keyword_chart(series: pd.DataFrame, keyword: str, channel: str, hours: pd.DatetimeIndex, timezone: str,
                  **size) -> TrendChart:
    """The chart of one keyword in one channel from ``keyword_stats`` rows (``hour, keyword, channel,
    authors, expected``)."""
    rows = series[(series["keyword"] == keyword) & (series["channel"] == channel)] if len(series) else series
    by_hour = {} if not len(rows) else {h: (a, e) for h, a, e in
                                        rows[["hour", "authors", "expected"]].itertuples(index=False)}
    authors = [float(by_hour.get(h, (0, None))[0]) for h in hours]
    expected = []
    for h in hours:
        e = by_hour.get(h, (0, None))[1]
        expected.append(None if e is None or pd.isna(e) else float(e))
    return trend_chart(hours, authors, expected, timezone, **size)
