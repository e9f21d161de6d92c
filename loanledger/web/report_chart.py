"""The report page's charts, drawn on the server as SVG like the dashboard's (web/chart.py, no
JavaScript library): a month's figure stacked by group, and lines over the months."""

from __future__ import annotations

from dataclasses import dataclass

from loanledger.web.chart import nice_max

WIDTH, HEIGHT = 760, 280
LEFT, RIGHT, TOP, BOTTOM = 100, 10, 16, 64
TOP_GROUPS = 6  # the largest groups get a colour each; the rest are stacked as one
OTHERS = "__others__"


@dataclass(frozen=True)
class Segment:
    x: float
    y: float
    w: float
    h: float
    month: str
    series: int  # the legend's index
    amount_fen: int


@dataclass(frozen=True)
class Line:
    series: int
    points: str  # "x,y x,y …" for a polyline
    dots: list[tuple[float, float, str, int]]  # x, y, month, amount


@dataclass(frozen=True)
class Legend:
    series: int
    key: str | None
    x: float
    y: float


@dataclass(frozen=True)
class ReportChart:
    width: int
    height: int
    left: int
    baseline: float
    ticks: list[tuple[float, int]]
    labels: list[tuple[float, str]]
    legend: list[Legend]
    segments: list[Segment]
    lines: list[Line]


def _frame(months: list[str], top_fen: int) -> tuple[float, float, float, list, list, int]:
    """(plot height, baseline, slot width, ticks, month labels, scale top)."""
    scale_top = nice_max(max(top_fen, 1))
    plot_h = HEIGHT - TOP - BOTTOM
    baseline = TOP + plot_h
    slot = (WIDTH - LEFT - RIGHT) / max(len(months), 1)
    ticks = [(round(baseline - plot_h * k / 4, 1), scale_top * k // 4) for k in range(5)]
    every = max(1, len(months) // 12)  # at most about 12 month labels under the axis
    labels = [
        (round(LEFT + i * slot + slot / 2, 1), m) for i, m in enumerate(months) if i % every == 0
    ]
    return plot_h, baseline, slot, ticks, labels, scale_top


def _legend(keys: list[str | None]) -> list[Legend]:
    return [
        Legend(i, key, LEFT + (i % 4) * 165, HEIGHT - 34 + (i // 4) * 16)
        for i, key in enumerate(keys)
    ]


def stacked(months: list[str], values: dict[tuple[str, str | None], int]) -> ReportChart | None:
    """Bars per month, stacked by group: the TOP_GROUPS largest over the range, then the rest
    as one (OTHERS). A negative amount (an adjustment clawed back) is not drawn: a bar shows
    what the month adds."""
    totals: dict[str | None, int] = {}
    for (_month, group), amount in values.items():
        totals[group] = totals.get(group, 0) + max(amount, 0)
    ranked = [g for g, t in sorted(totals.items(), key=lambda kv: -kv[1]) if t > 0]
    if not months or not ranked:
        return None
    shown = ranked[:TOP_GROUPS]
    keys: list[str | None] = [*shown, OTHERS] if len(ranked) > TOP_GROUPS else list(shown)
    index = {g: (shown.index(g) if g in shown else len(shown)) for g in ranked}
    per_month = {m: [0] * len(keys) for m in months}
    for (month, group), amount in values.items():
        if month in per_month and amount > 0:
            per_month[month][index[group]] += amount
    peak = max(sum(v) for v in per_month.values())
    plot_h, baseline, slot, ticks, labels, scale_top = _frame(months, peak)
    bar_w = max(2.0, min(36.0, slot * 0.6))
    segments = []
    for i, month in enumerate(months):
        x, y = LEFT + i * slot + (slot - bar_w) / 2, baseline
        for series, amount in enumerate(per_month[month]):
            if amount <= 0:
                continue
            h = plot_h * amount / scale_top
            y -= h
            segments.append(
                Segment(
                    round(x, 1), round(y, 1), round(bar_w, 1), round(h, 1), month, series, amount
                )
            )
    return ReportChart(WIDTH, HEIGHT, LEFT, baseline, ticks, labels, _legend(keys), segments, [])


def lines(months: list[str], values: dict[tuple[str, str | None], int]) -> ReportChart | None:
    """A line per series (a pool) over the months, its value at each month's end."""
    keys = sorted({k for _m, k in values}, key=lambda k: k or "")
    if not months or not keys:
        return None
    peak = max(max(values.values()), 0)
    plot_h, baseline, slot, ticks, labels, scale_top = _frame(months, peak)
    drawn = []
    for series, key in enumerate(keys):
        dots = []
        for i, month in enumerate(months):
            amount = values.get((month, key), 0)
            x = LEFT + i * slot + slot / 2
            y = baseline - plot_h * max(amount, 0) / scale_top
            dots.append((round(x, 1), round(y, 1), month, amount))
        drawn.append(Line(series, " ".join(f"{x},{y}" for x, y, _m, _a in dots), dots))
    return ReportChart(WIDTH, HEIGHT, LEFT, baseline, ticks, labels, _legend(keys), [], drawn)
