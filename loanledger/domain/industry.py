"""Industry codes, GB/T 4754-2017 (domain.md §2, §3, §4.2 item 0, v2).

A code is a section letter (A–T) and up to four digits: `C` manufacturing, `C38` its division
电气机械和器材制造业, `C3879` a class. The policy's `eligible_industries` lists prefixes in
the same form; an enterprise is eligible when its code starts with one of them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

INDUSTRY_CODE_PATTERN = r"^[A-T][0-9]{0,4}$"
_CODE = re.compile(INDUSTRY_CODE_PATTERN)


def industry_code_valid(value: object) -> bool:
    # fullmatch, not match: with match, `$` would let a trailing newline through.
    return isinstance(value, str) and _CODE.fullmatch(value) is not None


def industry_eligible(code: str | None, prefixes: Iterable[str] | None) -> bool:
    """Whether an enterprise with `code` passes the industry rule: always when the rule is off
    (`prefixes` None); never without a code while it is on."""
    if prefixes is None:
        return True
    # str.startswith takes a tuple: one C call per record of the close, not a generator
    return code is not None and code.startswith(tuple(prefixes))
