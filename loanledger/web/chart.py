"""The dashboard's bar chart, drawn on the server as SVG (no JavaScript library): per month
a subsidy bar and a compensation bar, to a common scale."""

from __future__ import annotations

from dataclasses import dataclass

from loanledger.services.read import MonthTotals

WIDTH, HEIGHT = 760, 260
LEFT, RIGHT, TOP, BOTTOM = 90, 10, 16, 40


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    w: float
    h: float
    kind: str
    period: str
    amount_fen: int


@dataclass(frozen=True)
class Tick:
    y: float
    amount_fen: int


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list[Bar]
    labels: list[tuple[float, str]]
    ticks: list[Tick]
    baseline: float
    left: int


def nice_max(value_fen: int) -> int:
    """A round top for the scale: 1, 2 or 5 × 10^n yuan, at least ¥1, never below the value."""
    power = 100
    while power * 10 < value_fen:
        power *= 10
    for multiple in (1, 2, 5, 10):
        if power * multiple >= value_fen:
            return power * multiple
    return power * 10


def build(months: list[MonthTotals]) -> Chart | None:
    if not months:
        return None
    peak = max(max(m.subsidy_fen, m.compensation_fen) for m in months)
    scale_top = nice_max(max(peak, 1))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    baseline = TOP + plot_h
    slot = plot_w / len(months)
    bar_w = max(2.0, min(28.0, slot * 0.38))
    bars, labels = [], []
    for i, m in enumerate(months):
        x0 = LEFT + i * slot + slot / 2
        for offset, kind, amount in (
            (-bar_w, "subsidy", m.subsidy_fen),
            (0.0, "compensation", m.compensation_fen),
        ):
            h = plot_h * amount / scale_top if amount > 0 else 0.0
            bars.append(
                Bar(
                    round(x0 + offset, 1),
                    round(baseline - h, 1),
                    round(bar_w, 1),
                    round(h, 1),
                    kind,
                    m.period,
                    amount,
                )
            )
        labels.append((round(x0, 1), m.period))
    ticks = [Tick(round(baseline - plot_h * k / 4, 1), scale_top * k // 4) for k in range(5)]
    return Chart(WIDTH, HEIGHT, bars, labels, ticks, baseline, LEFT)
