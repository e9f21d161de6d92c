"""A fast path for well-formed bulk events, beside the marshmallow schema.

Marshmallow walks every declared field of `BulkEventIn` for every item; at 5,000 items a
request that is half the request's time. Here an item whose keys and values are all plainly
valid is converted directly. Anything unusual returns None and the caller runs the
schema, so every refusal still carries the schema's own field, code and message. The
property test `tests/unit/test_fastparse.py` checks that whatever this accepts the schema
accepts too, with identical data.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from loanledger.domain.events import EVENT_FIELDS
from loanledger.domain.money import parse_rate, parse_yuan
from loanledger.domain.policy import LOAN_CLASSIFICATIONS
from loanledger.wire.fields import DATE_PATTERN, KEY_PATTERN

_DATE = re.compile(DATE_PATTERN, re.ASCII)
_KEY = re.compile(KEY_PATTERN)


def _key(value: Any) -> str:
    if type(value) is not str or not _KEY.fullmatch(value) or not value.strip():
        raise ValueError
    if not value.isascii() or not value.isprintable():  # the schema says which character
        raise ValueError
    return value


# Dates and amounts repeat across a request (monthly periods, the same interest): what a
# string converted to is kept, up to a bound, so the pattern and conversion run once per
# distinct string. Only successful conversions are kept; the values are immutable.
_CACHE_BOUND = 4096
_DATES: dict[str, dt.date] = {}
_AMOUNTS: dict[str, int] = {}


def _date(value: Any) -> dt.date:
    if type(value) is not str:
        raise ValueError
    known = _DATES.get(value)
    if known is not None:
        return known
    if not _DATE.fullmatch(value):
        raise ValueError
    parsed = dt.date.fromisoformat(value)
    if len(_DATES) < _CACHE_BOUND:
        _DATES[value] = parsed
    return parsed


def _money(value: Any) -> int:
    if type(value) is not str:
        raise ValueError
    known = _AMOUNTS.get(value)
    if known is not None:
        return known
    parsed = parse_yuan(value)
    if len(_AMOUNTS) < _CACHE_BOUND:
        _AMOUNTS[value] = parsed
    return parsed


def _positive_money(value: Any) -> int:
    parsed = _money(value)
    if parsed <= 0:
        raise ValueError
    return parsed


def _rate(value: Any) -> int:
    if type(value) is not str:
        raise ValueError
    return parse_rate(value)


def _days(value: Any) -> int:
    if type(value) is not int or not 0 <= value <= 100000:
        raise ValueError
    return value


def _classification(value: Any) -> str:
    if value not in LOAN_CLASSIFICATIONS or type(value) is not str:
        raise ValueError
    return value


def _reason(value: Any) -> str:
    if type(value) is not str or not 1 <= len(value) <= 1000 or not value.isprintable():
        raise ValueError
    return value


CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "event_id": _key,
    "contract_no": _key,
    "target_event_id": _key,
    "date": _date,
    "period_start": _date,
    "period_end": _date,
    "paid_on": _date,
    "effective_on": _date,
    "as_of": _date,
    "amount": _positive_money,
    "principal": _positive_money,
    "interest": _money,
    "penalty_interest": _money,
    "compound_interest": _money,
    "annual_rate": _rate,
    "days_past_due": _days,
    "classification": _classification,
    "reason": _reason,
}


def fast_event(raw: dict[str, Any]) -> dict[str, Any] | None:
    """The parsed item, or None when the schema must look at it."""
    kind = raw.get("type")
    if (
        type(kind) is not str  # first: a list or an object cannot be looked up by hash
        or kind not in EVENT_FIELDS
        or "event_id" not in raw
        or "contract_no" not in raw
    ):
        return None
    out: dict[str, Any] = {"type": kind}
    try:
        for name, value in raw.items():
            if name == "type":
                continue
            converter = CONVERTERS.get(name)
            if converter is None:
                return None
            out[name] = (
                None
                if value is None and name not in ("event_id", "contract_no")
                else converter(value)
            )
    except (ValueError, TypeError):
        return None
    return out
