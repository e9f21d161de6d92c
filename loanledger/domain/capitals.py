"""Amounts in Chinese financial capitals (中文大写金额), as written on vouchers and cheques.

The rules are the People's Bank of China's for filling in bills and settlement vouchers
(《支付结算办法》附件一《正确填写票据和结算凭证的基本规定》), with one choice made where
they allow two:

- digits 零壹贰叁肆伍陆柒捌玖, units 拾佰仟 within a section of four digits, 万 and 亿 for
  sections; a leading 拾 is written 壹拾 (10 → 壹拾元整, 100000 → 壹拾万元整);
- 整 after 元 when there are no 角 and 分 (100 fen → 壹元整; 0 → 零元整). Not after 角 — the
  rules make it optional there and their own example omits it (140950 fen → 壹仟肆佰零玖元伍角;
  10 fen → 壹角) — and never after 分;
- one 零 for a run of zeros inside the yuan (600714 fen → 陆仟零柒元壹角肆分), including
  across 万/亿 sections (100000100 fen → 壹佰万零壹元整); zeros at the end of a section are
  not read (10700053 fen → 壹拾万柒仟元零伍角叁分);
- 零 after 元 when 角 is zero and 分 is not (100005 fen → 壹仟元零伍分), and — the choice —
  also when the yuan end in 0 and 角 is not zero (168032 fen → 壹仟陆佰捌拾元零叁角贰分; the
  rules also accept it without 零);
- below one yuan nothing is written for the yuan (5 fen → 伍分, 50 fen → 伍角);
- a negative amount is prefixed 负.

Pure: standard library only, no floats.
"""

from __future__ import annotations

DIGITS = "零壹贰叁肆伍陆柒捌玖"
_SECTION_UNITS = ("", "拾", "佰", "仟")
_WAN = 10_000
_YI = 100_000_000


def yuan_in_capitals(amount_fen: int) -> str:
    """1234567 → '壹万贰仟叁佰肆拾伍元陆角柒分'; 100 → '壹元整'; 0 → '零元整'; -5 → '负伍分'."""
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int):
        raise TypeError(f"amount_fen must be an int, not {type(amount_fen).__name__}")
    if amount_fen < 0:
        return "负" + yuan_in_capitals(-amount_fen)
    yuan, cents = divmod(amount_fen, 100)
    jiao, fen = divmod(cents, 10)
    if yuan == 0 and cents == 0:
        return "零元整"
    out = _integer(yuan) + "元" if yuan else ""
    if cents == 0:
        return out + "整"
    if jiao:
        if yuan and yuan % 10 == 0:
            out += "零"
        out += DIGITS[jiao] + "角"
        return out + (DIGITS[fen] + "分" if fen else "")
    if yuan:
        out += "零"  # 角 is zero and 分 is not: 壹仟元零伍分
    return out + DIGITS[fen] + "分"


def _integer(n: int) -> str:
    """A positive whole number of yuan in capitals (no unit after it)."""
    if n < _WAN:
        return _section(n)
    base, unit = (_WAN, "万") if n < _YI else (_YI, "亿")
    high, low = divmod(n, base)
    out = _integer(high) + unit
    if low:
        # The lower part is shorter than its full width: the gap is read as one 零.
        if low * 10 < base:
            out += "零"
        out += _integer(low)
    return out


def _section(n: int) -> str:
    """1..9999: zeros between digits read as one 零, zeros at the end not read."""
    digits = [int(c) for c in str(n)]
    out: list[str] = []
    pending_zero = False
    for place, digit in zip(range(len(digits) - 1, -1, -1), digits, strict=True):
        if digit == 0:
            pending_zero = True
            continue
        if pending_zero:
            out.append("零")
            pending_zero = False
        out.append(DIGITS[digit] + _SECTION_UNITS[place])
    return "".join(out)
