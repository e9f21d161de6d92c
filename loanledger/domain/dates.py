"""Calendar helpers: anniversaries, ISO dates and YYYY-MM periods."""

from __future__ import annotations

import calendar
import re
from datetime import date

_PERIOD_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$", re.ASCII)
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)


def add_years(d: date, n: int) -> date:
    """Same day n years on; 29 February falls on 28 February in a common year."""
    year = d.year + n
    if d.month == 2 and d.day == 29 and not calendar.isleap(year):
        return date(year, 2, 28)
    return d.replace(year=year)


def parse_date(text: str) -> date:
    """Strict YYYY-MM-DD (Python 3.11's fromisoformat alone also takes '20230101')."""
    if not isinstance(text, str) or _DATE_RE.fullmatch(text) is None:
        raise ValueError(f"not a date YYYY-MM-DD: {text!r}")
    return date.fromisoformat(text)


def parse_period(text: str) -> tuple[int, int]:
    """'2023-03' -> (2023, 3)."""
    if not isinstance(text, str) or _PERIOD_RE.fullmatch(text) is None:
        raise ValueError(f"not a period YYYY-MM: {text!r}")
    if int(text[:4]) < 1:
        raise ValueError(f"there is no year 0: {text!r}")  # date(0, 1, 1) does not exist
    return int(text[:4]), int(text[5:])


def _format_period(year: int, month: int) -> str:
    if not 1 <= year <= 9999:
        raise ValueError(f"year out of range: {year}")
    return f"{year:04d}-{month:02d}"


def period_bounds(text: str) -> tuple[date, date]:
    """First and last day (both inclusive) of the month."""
    year, month = parse_period(text)
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def period_of(d: date) -> str:
    return _format_period(d.year, d.month)


def next_period(text: str) -> str:
    year, month = parse_period(text)
    return _format_period(year + month // 12, month % 12 + 1)


def prev_period(text: str) -> str:
    year, month = parse_period(text)
    return _format_period(year - (month == 1), (month - 2) % 12 + 1)
