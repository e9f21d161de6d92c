"""Piecewise-constant functions of the date (domain.md §4.1).

A step function is a list of Segments, sorted, non-overlapping and contiguous from
its first change to infinity; before the first segment the value is 0. Lists are
kept canonical: no segment repeats the value before it, so two step functions
that are equal as functions are equal as lists. Everything here is linear in the
number of events, never in the number of days.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable
from datetime import date, timedelta
from operator import attrgetter
from typing import NamedTuple


class Segment(NamedTuple):
    # A NamedTuple, not a frozen dataclass: a close builds several per loan, and a frozen
    # dataclass's __init__ (one object.__setattr__ per field) costs about four times as much.
    start: date
    end: date | None  # exclusive; None = forever
    value: int


_start = attrgetter("start")  # the bisect key: C, unlike a lambda


def segments_from_points(points: Iterable[tuple[date, int]]) -> list[Segment]:
    """(date, value from that date on), sorted by date; a later point on the same date wins."""
    starts: list[date] = []
    values: list[int] = []
    for d, value in points:
        if starts and starts[-1] == d:
            starts.pop()  # replaced by the later point on its date
            values.pop()
        # A point that repeats the value in force (0 before the first) changes nothing.
        if value != (values[-1] if values else 0):
            starts.append(d)
            values.append(value)
    return list(map(Segment, starts, [*starts[1:], None], values))


def value_on(segments: list[Segment], d: date) -> int:
    """The step function's value on day d (0 before its first segment)."""
    i = bisect.bisect_right(segments, d, key=_start)
    return segments[i - 1].value if i else 0


balance_on = value_on


def change_points(segments: list[Segment], start: date, end: date) -> list[date]:
    """The dates strictly inside (start, end) on which the value changes."""
    lo = bisect.bisect_right(segments, start, key=_start)
    if lo == len(segments) or segments[lo].start >= end:
        return []  # the usual case: no change inside a record's period
    hi = bisect.bisect_left(segments, end, lo, key=_start)
    return [s.start for s in segments[lo:hi]]


def balance_segments(
    disbursements: list[tuple[date, int]], repayments: list[tuple[date, int]]
) -> list[Segment]:
    """B(d) = disbursed on or before d - repaid on or before d (算头不算尾)."""
    if len(disbursements) == 1 and not repayments:
        return segments_from_points(disbursements)  # most loans: one drawdown, nothing repaid yet
    delta_fen: dict[date, int] = {}
    for d, amount_fen in disbursements:
        delta_fen[d] = delta_fen.get(d, 0) + amount_fen
    for d, amount_fen in repayments:
        delta_fen[d] = delta_fen.get(d, 0) - amount_fen
    running_fen = 0
    points = []
    for d in sorted(delta_fen):
        running_fen += delta_fen[d]
        points.append((d, running_fen))
    return segments_from_points(points)


def min_balance_violation(
    disbursements: list[tuple[date, int]], repayments: list[tuple[date, int]]
) -> date | None:
    """The first date on which the balance is negative, if any (intake: balance_negative)."""
    for segment in balance_segments(disbursements, repayments):
        if segment.value < 0:
            return segment.start
    return None


def rate_segments(
    annual_rate_e4: int, start: date, rate_changes: list[tuple[date, int, int]]
) -> list[Segment]:
    """r(d) from `start`: the contract rate, replaced by the latest rate_change in force.

    rate_changes are (effective_on, rate_e4, received_seq); on equal effective_on the
    later-received one wins. A change effective before `start` already applies on it.
    """
    if not rate_changes:
        return segments_from_points(
            [(start, annual_rate_e4)]
        )  # most loans: the contract rate throughout
    ordered = sorted(rate_changes, key=lambda c: (c[0], c[2]))
    rate_at_start_e4 = annual_rate_e4
    points: list[tuple[date, int]] = []
    for effective_on, rate_e4, _seq in ordered:
        if effective_on <= start:
            rate_at_start_e4 = rate_e4
        else:
            points.append((effective_on, rate_e4))
    return segments_from_points([(start, rate_at_start_e4), *points])


def lpr_segments(table: list[tuple[date, int]]) -> list[Segment]:
    """LPR1Y as a step function from (published_on, lpr_1y_e4) rows (0 before the first)."""
    return segments_from_points(sorted(table, key=lambda row: row[0]))


def lpr_lookup(table: list[tuple[date, int]]) -> Callable[[date], int | None]:
    """d -> the latest 1-year LPR published on or before d, or None before the first."""
    segments = lpr_segments(table)
    first = segments[0].start if segments else None

    def lookup(d: date) -> int | None:
        if first is None or d < first:
            return None
        return value_on(segments, d)

    return lookup


def overdue_intervals(delinquencies: list[tuple[date, int, int]]) -> list[tuple[date, date | None]]:
    """Overdue intervals [start, end) from (as_of, days_past_due, received_seq) events.

    Read in as_of order (ties by seq): dpd k > 0 opens [as_of - k + 1, ...) unless one is
    open; dpd 0 closes the open one at as_of. An interval still open has no end. Empty
    intervals are dropped; intervals may overlap and are meant as a union.
    """
    intervals: list[tuple[date, date | None]] = []
    open_start: date | None = None
    for as_of, dpd, _seq in sorted(delinquencies, key=lambda e: (e[0], e[2])):
        if dpd > 0 and open_start is None:
            open_start = as_of - timedelta(days=dpd - 1)
        elif dpd == 0 and open_start is not None:
            if open_start < as_of:
                intervals.append((open_start, as_of))
            open_start = None
    if open_start is not None:
        intervals.append((open_start, None))
    return intervals


def npl_date(
    delinquencies: list[tuple[date, int, str | None, int]],
    npl_dpd: int,
    npl_classifications: Iterable[str],
) -> date | None:
    """T = earliest of (as_of - k + npl_dpd for k >= npl_dpd) and (as_of of an NPL classification)."""
    classes = set(npl_classifications)
    candidates = []
    for as_of, dpd, classification, _seq in delinquencies:
        if dpd >= npl_dpd:
            candidates.append(as_of - timedelta(days=dpd - npl_dpd))
        if classification in classes:
            candidates.append(as_of)
    return min(candidates, default=None)
