"""How amounts, rates and dates look on a page. Amounts are integer fen inside; a page
shows ¥1,234.56 (negative -¥1,234.56). A wire string ("1234.56") is accepted too."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from loanledger.domain.money import format_rate
from loanledger.persistence.db import as_utc

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _to_fen(value) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise TypeError("not an amount")
    if isinstance(value, int):
        return value
    try:
        cents = Decimal(str(value)) * 100
    except InvalidOperation:
        return None
    if cents != cents.to_integral_value():
        return None
    return int(cents)


def yuan(value) -> str:
    """1234567 (fen) or "12345.67" → '¥12,345.67'; -5 → '-¥0.05'; None → ''."""
    fen = _to_fen(value)
    if fen is None:
        return "" if value in (None, "") else str(value)
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}¥{whole:,}.{cents:02d}"


def rate(rate_e4: int | None) -> str:
    return "" if rate_e4 is None else f"{format_rate(rate_e4)}%"


def day(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return as_utc(value).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)
