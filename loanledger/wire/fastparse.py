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


# Per type: the converters of the fields it allows, and the fields it requires. A field of
# another type is let through only as null (as intake's shape check lets it); otherwise the
# item goes to the schema and the shape check, which say what is wrong.
_KEYS = ("event_id", "contract_no")
_ALLOWED: dict[str, dict[str, Callable[[Any], Any]]] = {
    kind: {name: CONVERTERS[name] for name in (*_KEYS, *required, *optional)}
    for kind, (required, optional) in EVENT_FIELDS.items()
}
_REQUIRED: dict[str, tuple[str, ...]] = {
    kind: required for kind, (required, _optional) in EVENT_FIELDS.items()
}


def fast_event(raw: dict[str, Any]) -> dict[str, Any] | None:
    """The parsed item, or None when the schema must look at it. An item returned also has
    the shape its type asks for (intake.event_shape_errors finds nothing in it): its
    required fields given, no field of another type but as null."""
    kind = raw.get("type")
    if (
        type(kind) is not str  # first: a list or an object cannot be looked up by hash
        or kind not in EVENT_FIELDS
        or "event_id" not in raw
        or "contract_no" not in raw
    ):
        return None
    allowed = _ALLOWED[kind]
    out: dict[str, Any] = {"type": kind}
    try:
        for name, value in raw.items():
            converter = allowed.get(name)
            if converter is not None:
                out[name] = None if value is None and name not in _KEYS else converter(value)
            elif name == "type":
                continue
            elif value is None and name in CONVERTERS:
                out[name] = None  # another type's field, null: allowed
            else:
                return None
    except (ValueError, TypeError):
        return None
    for name in _REQUIRED[kind]:
        if out.get(name) is None:
            return None
    return out
