"""Working days for 公示: official holidays off, 调休 make-up days on.

The calendar data (holidays, make-up workdays) is passed in; without data for a year
the rule falls back to Monday–Friday.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta


def weekday_rule(d: date) -> bool:
    return d.weekday() < 5


def publicity_end(
    closed_on: date, working_days: int, is_workday: Callable[[date], bool] = weekday_rule
) -> date:
    """The last working day of a 公示 that starts on the working day after `closed_on`.
    With no 公示 (0 days) it is over on the day of the close."""
    assert working_days >= 0
    d, counted = closed_on, 0
    while counted < working_days:
        d += timedelta(days=1)
        if is_workday(d):
            counted += 1
    return d


def publicity_start(
    closed_on: date, ends_on: date, is_workday: Callable[[date], bool] = weekday_rule
) -> date:
    """The first day of the 公示 that `publicity_end` ends: the working day after the close
    (domain.md §7). A 公示 of no days starts and ends on the day of the close."""
    d = closed_on + timedelta(days=1)
    while not is_workday(d) and d < ends_on:
        d += timedelta(days=1)
    return min(d, ends_on)
