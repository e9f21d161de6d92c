"""Money in integer fen, rates in rate_e4 (percent p.a. x 10^4), ratios as Fractions.

Nothing here ever touches a float: wire strings are parsed digit by digit.
"""

from __future__ import annotations

import re
from decimal import Decimal
from fractions import Fraction

MONEY_PATTERN = r"^-?\d{1,13}(\.\d{1,2})?$"
RATE_PATTERN = r"^\d{1,2}(\.\d{1,4})?$"
RATIO_PATTERN = r"^\d(\.\d{1,4})?$"

# re.ASCII: `\d` must not accept Arabic-Indic or full-width digits.
_MONEY_RE = re.compile(MONEY_PATTERN, re.ASCII)
_RATE_RE = re.compile(RATE_PATTERN, re.ASCII)
_RATIO_RE = re.compile(RATIO_PATTERN, re.ASCII)

RATE_SCALE = 10_000
MAX_RATE_E4 = 24 * RATE_SCALE
FEN_PER_YUAN = 100


def _scaled_int(text: str, places: int) -> int:
    """'12.3' with places=2 -> 1230: the decimal string as an integer at a fixed scale."""
    negative = text.startswith("-")
    whole, _, frac = text.lstrip("-").partition(".")
    value = int(whole) * 10**places + int(frac.ljust(places, "0") or "0")
    return -value if negative else value


def parse_yuan(text: str, *, allow_negative: bool = False) -> int:
    """'12' -> 1200 fen. Any leading '-' is refused unless allow_negative (even '-0')."""
    if not isinstance(text, str) or _MONEY_RE.fullmatch(text) is None:
        raise ValueError(f"not a money amount: {text!r}")
    if text.startswith("-") and not allow_negative:
        raise ValueError(f"negative amount not allowed: {text!r}")
    return _scaled_int(text, 2)


def format_fen(amount_fen: int) -> str:
    """123456 -> '1234.56'; -5 -> '-0.05'."""
    sign = "-" if amount_fen < 0 else ""
    whole, fen = divmod(abs(amount_fen), FEN_PER_YUAN)
    return f"{sign}{whole}.{fen:02d}"


def round_half_up(x: Fraction | Decimal | int) -> int:
    """Nearest integer, halves away from zero (so -2.5 -> -3), exactly."""
    if isinstance(x, float):
        raise TypeError("floats are not accepted for money")
    q = x if type(x) is Fraction else Fraction(x)  # once per record in a close: no needless copy
    n, d = q.numerator, q.denominator  # d > 0
    if n < 0:
        return -((-2 * n + d) // (2 * d))
    return (2 * n + d) // (2 * d)


def parse_rate(text: str) -> int:
    """'3.45' -> 34500 (rate_e4); refuses anything outside (0, 24]."""
    if not isinstance(text, str) or _RATE_RE.fullmatch(text) is None:
        raise ValueError(f"not a rate: {text!r}")
    rate_e4 = _scaled_int(text, 4)
    if not 0 < rate_e4 <= MAX_RATE_E4:
        raise ValueError(f"rate must be in (0, 24]: {text!r}")
    return rate_e4


def format_rate(rate_e4: int) -> str:
    """34500 -> '3.4500' (always four decimals)."""
    sign = "-" if rate_e4 < 0 else ""
    whole, frac = divmod(abs(rate_e4), RATE_SCALE)
    return f"{sign}{whole}.{frac:04d}"


def parse_ratio(text: str) -> Fraction:
    """'0.50' -> Fraction(1, 2); at most 4 decimals, 0 <= ratio <= 1."""
    if not isinstance(text, str) or _RATIO_RE.fullmatch(text) is None:
        raise ValueError(f"not a ratio: {text!r}")
    ratio = Fraction(_scaled_int(text, 4), RATE_SCALE)
    if ratio > 1:
        raise ValueError(f"ratio must be at most 1: {text!r}")
    return ratio


def format_ratio(ratio: Fraction) -> str:
    """Two decimals, or up to four when needed ('0.50', '0.125', '0.3333'); rounded half up."""
    scaled = round_half_up(Fraction(ratio) * RATE_SCALE)
    text = format_rate(scaled)
    while text.endswith("0") and len(text.partition(".")[2]) > 2:
        text = text[:-1]
    return text
