"""Bar charts for the /review activity page, laid out here and drawn as inline SVG by a template.

No chart library and no script: the server computes every rectangle, gridline and label, and the
template writes them as SVG elements with presentation attributes (x, y, width, height) and CSS
classes for colour, which the page's strict Content-Security-Policy allows. Each bar carries a
<title> (a tooltip and what a screen reader says), and the page lists the numbers as a table too.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from hashstop.service.match_review import DayActivity

WIDTH = 600
HEIGHT = 240
LEFT, RIGHT, TOP, BOTTOM = 40, 8, 12, 30


@dataclass(frozen=True, slots=True)
class Series:
    key: str  # e.g. "match:confirmed"
    css: str  # e.g. "s-confirmed"
    label: str  # e.g. "confirmed"


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    css: str
    label: str


@dataclass(frozen=True, slots=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True, slots=True)
class DayLabel:
    x: float
    text: str


@dataclass(frozen=True, slots=True)
class Chart:
    title: str
    width: int
    height: int
    left: int
    right: float
    bars: list[Bar]
    ticks: list[Tick]
    days: list[DayLabel]
    legend: list[Series]
    total: int


def nice_step(value: int, ticks: int = 4) -> int:
    """A gridline step of 1, 2 or 5 times a power of ten giving at most `ticks` steps to `value`."""
    target = max(value / ticks, 1)
    power = int(10 ** int(math.floor(math.log10(target))))
    for step in (1, 2, 5, 10):
        if target <= step * power:
            return step * power
    return 10 * power  # unreachable: 10 * power always covers target


def stacked_chart(title: str, days: Sequence[DayActivity], series: Sequence[Series]) -> Chart:
    """One bar per day, each stacked from `series` in order (the first at the bottom)."""
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    totals = [sum(d.get(s.key) for s in series) for d in days]
    step = nice_step(max(totals, default=0))
    top = step * max(1, math.ceil(max(totals, default=0) / step))
    slot = plot_w / max(len(days), 1)
    bar_w = round(slot * 0.7, 1)
    bars: list[Bar] = []
    for i, day in enumerate(days):
        x = round(LEFT + i * slot + (slot - bar_w) / 2, 1)
        base = float(TOP + plot_h)
        for s in series:
            n = day.get(s.key)
            if n == 0:
                continue
            h = plot_h * n / top
            base -= h
            bars.append(
                Bar(x, round(base, 1), bar_w, round(h, 1), s.css, f"{day.day}: {n} {s.label}")
            )
    ticks = [Tick(round(TOP + plot_h * (1 - v / top), 1), str(v)) for v in range(0, top + 1, step)]
    every = max(1, math.ceil(len(days) / 10))
    labels = [
        DayLabel(round(LEFT + (i + 0.5) * slot, 1), day.day.strftime("%m-%d"))
        for i, day in enumerate(days)
        if (len(days) - 1 - i) % every == 0
    ]
    return Chart(
        title=title,
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        right=WIDTH - RIGHT,
        bars=bars,
        ticks=ticks,
        days=labels,
        legend=list(series),
        total=sum(totals),
    )


MATCH_SERIES = [
    Series("match:pending", "s-pending", "pending"),
    Series("match:confirmed", "s-confirmed", "confirmed"),
    Series("match:false_positive", "s-false-positive", "false positive"),
    Series("match:dismissed", "s-dismissed", "dismissed"),
]
VERDICT_SERIES = [
    Series("verdict:confirmed", "s-confirmed", "platform: confirmed"),
    Series("verdict:false_positive", "s-false-positive", "platform: false positive"),
    Series("decision:confirmed", "s-mod-confirmed", "moderator: confirmed"),
    Series("decision:false_positive", "s-mod-false-positive", "moderator: false positive"),
    Series("decision:dismissed", "s-dismissed", "moderator: dismissed"),
]
