"""JSON text as the service reads it: fractions as Decimal (never float), numbers bounded
before they are converted, no NaN or Infinity, and every failure a JSONDecodeError.

The standard `json.loads` lets a body nested a thousand deep (RecursionError), a number of
5,000 digits (Python's int-digit limit, a ValueError) or `NaN` through as something other
than a decoding error; callers that turn only decoding errors into a 400 answered 500.
"""

from __future__ import annotations

import decimal
import json
from typing import Any

MAX_NUMBER_CHARS = 40  # no field takes a longer number; a BIGINT has 19 digits


def _number(text: str, convert):
    if len(text) > MAX_NUMBER_CHARS:
        raise ValueError(f"a JSON number of {len(text)} characters")
    return convert(text)


def _no_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def loads_strict(text: str) -> Any:
    """json.loads with fractions as Decimal (never float), bounded numbers, no NaN/Infinity;
    any failure is a JSONDecodeError."""
    try:
        return json.loads(
            text,
            parse_int=lambda s: _number(s, int),
            parse_float=lambda s: _number(s, decimal.Decimal),
            parse_constant=_no_constant,
        )
    except json.JSONDecodeError:
        raise
    except (ValueError, RecursionError) as error:
        reason = "nested too deeply" if isinstance(error, RecursionError) else str(error)
        raise json.JSONDecodeError(f"malformed JSON: {reason}", text[:80], 0) from None
