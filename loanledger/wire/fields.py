"""Wire types: money as yuan strings, rates as percent strings, strict dates.

Each field turns wire text into the internal unit (fen, rate_e4, date) and refuses
anything else — a JSON number for money is refused, never rounded.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from marshmallow import RAISE, ValidationError, fields, pre_load
from marshmallow import Schema as _Schema

from loanledger.domain.dates import parse_period
from loanledger.domain.industry import INDUSTRY_CODE_PATTERN, industry_code_valid
from loanledger.domain.money import (
    MONEY_PATTERN,
    RATE_PATTERN,
    format_fen,
    format_rate,
    parse_rate,
    parse_yuan,
)
from loanledger.domain.notices import MAX_EMAIL_CHARS, email_valid

DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"
PERIOD_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
KEY_PATTERN = r"^[^/]{1,64}$"


def hidden_character(text: str, *, allow_line_breaks: bool = False) -> str | None:
    """The first character that a reader cannot see or that reorders what they see — a
    control character, a zero-width or bidirectional formatting one (Unicode Cc and Cf) — or
    None. A contract number or a name holding one looks like another on every page and
    in every spreadsheet (two 'identical' contracts, a name shown backwards)."""
    allowed = "\t\n\r" if allow_line_breaks else ""
    for ch in text:
        if unicodedata.category(ch) in ("Cc", "Cf") and ch not in allowed:
            return ch
    return None


def _refuse_hidden(text: str, *, allow_line_breaks: bool = False) -> None:
    ch = hidden_character(text, allow_line_breaks=allow_line_breaks)
    if ch is not None:
        raise ValidationError(f"must not contain invisible or control characters (U+{ord(ch):04X})")


class Schema(_Schema):
    class Meta:
        unknown = RAISE
        ordered = True

    @pre_load
    def _refuse_nul(self, data, **_kwargs):
        """PostgreSQL text cannot hold NUL: refuse it as bad input, field by field."""
        if isinstance(data, dict):
            bad = {
                name: ["NUL characters are not allowed"]
                for name, value in data.items()
                if isinstance(value, str) and "\x00" in value
            }
            if bad:
                raise ValidationError(bad)
        return data


class Money(fields.Field):
    """Yuan string ⇄ integer fen. `positive`: more than 0.00 (a principal, an amount that
    moves money: zero would be a row that means nothing and breaks the arithmetic after it)."""

    def __init__(self, *, allow_negative: bool = False, positive: bool = False, **kwargs):
        self.allow_negative, self.positive = allow_negative, positive
        metadata = kwargs.pop("metadata", {})
        pattern = MONEY_PATTERN if allow_negative else MONEY_PATTERN.replace("^-?", "^")
        metadata.setdefault("pattern", pattern)
        metadata.setdefault("example", "5000000.00")
        super().__init__(metadata=metadata, **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else format_fen(int(value))

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise ValidationError(
                'money must be a string in yuan such as "1234.56", not a JSON number'
            )
        try:
            amount_fen = parse_yuan(value, allow_negative=self.allow_negative)
        except ValueError:
            raise ValidationError(
                f"{value!r} is not an amount in yuan with at most two decimals"
            ) from None
        if self.positive and amount_fen <= 0:
            raise ValidationError(f"{value!r} must be more than 0.00")
        return amount_fen


class Rate(fields.Field):
    """Percent per annum string ⇄ integer rate_e4."""

    def __init__(self, **kwargs):
        metadata = kwargs.pop("metadata", {})
        metadata.setdefault("pattern", RATE_PATTERN)
        metadata.setdefault("example", "3.4500")
        super().__init__(metadata=metadata, **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else format_rate(int(value))

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise ValidationError('a rate must be a string of percent per annum such as "3.4500"')
        try:
            return parse_rate(value)
        except ValueError:
            raise ValidationError(
                f"{value!r} is not a rate in (0, 24] with at most 4 decimals"
            ) from None


class StrictDate(fields.Date):
    """YYYY-MM-DD only (fromisoformat alone would also take 20230310)."""

    def __init__(self, **kwargs):
        metadata = kwargs.pop("metadata", {})
        metadata.setdefault("example", "2023-03-10")
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or not re.fullmatch(DATE_PATTERN, value):
            raise ValidationError("a date must be YYYY-MM-DD")
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise ValidationError(f"{value!r} is not a calendar date") from None


class Period(fields.String):
    def __init__(self, **kwargs):
        metadata = kwargs.pop("metadata", {})
        metadata.setdefault("pattern", PERIOD_PATTERN)
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            parse_period(text)
        except ValueError:
            raise ValidationError("a period must be YYYY-MM, from 0001-01") from None
        return text


class Key(fields.String):
    """contract_no / event_id: 1–64 characters, UTF-8 allowed, no '/'."""

    def __init__(self, **kwargs):
        metadata = kwargs.pop("metadata", {})
        metadata.setdefault("pattern", KEY_PATTERN)
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if not re.fullmatch(KEY_PATTERN, text) or not text.strip():
            raise ValidationError("must be 1–64 characters without '/'")
        _refuse_hidden(text)
        return text


class EmailAddress(fields.String):
    """Where an enterprise's notices are e-mailed: a strict simple rule (domain.notices)."""

    def __init__(self, **kwargs):
        metadata = kwargs.pop("metadata", {})
        metadata.setdefault("maxLength", MAX_EMAIL_CHARS)
        metadata.setdefault("example", "finance@example.com")
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if not email_valid(text):
            raise ValidationError(
                f"{text[:80]!r} is not an e-mail address this service sends to: "
                "name@domain.tld in ASCII, at most 254 characters"
            )
        return text


class IndustryCode(fields.String):
    """GB/T 4754-2017 (domain.md §2, v2): a section letter and up to four digits, e.g. C3879."""

    def __init__(self, **kwargs):
        metadata = kwargs.pop("metadata", {})
        metadata.setdefault("pattern", INDUSTRY_CODE_PATTERN)
        metadata.setdefault("example", "C3879")
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if not industry_code_valid(text):
            raise ValidationError(
                f"{text!r} is not a GB/T 4754-2017 industry code: a section letter A–T and "
                "up to four digits, e.g. C3879"
            )
        return text


def register_fields(api) -> None:
    api.register_field(Money, "string", None)
    api.register_field(Rate, "string", None)
    api.register_field(StrictDate, "string", "date")
    api.register_field(Period, "string", None)
    api.register_field(Key, "string", None)


class Objects(fields.List):
    """A list of JSON objects, each checked later on its own (a bulk request's items). The
    usual body, a list of objects only, is passed on as it is: marshmallow would copy each
    of 5,000 objects through fields.Dict for nothing (1.2 µs an item). Anything else goes
    through List(Dict()) and is refused as it says."""

    def __init__(self, **kwargs):
        super().__init__(fields.Dict(), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if type(value) is list and all(type(item) is dict for item in value):
            return value
        return super()._deserialize(value, attr, data, **kwargs)


class Document(Schema):
    """A response documented by its declared fields but passed through as built by the
    read model (views already render money as strings and dates as ISO text)."""

    class Meta:
        unknown = RAISE
        ordered = True

    def dump(self, obj, *, many=None):
        return obj


def free_text(max_len: int, **kwargs) -> fields.String:
    """Free text: 1–max_len characters, not only blanks."""

    def check(value: str) -> None:
        if not value.strip() or len(value) > max_len:
            raise ValidationError(f"must be 1–{max_len} characters, not only blanks")
        _refuse_hidden(value, allow_line_breaks=True)

    return fields.String(validate=check, metadata={"minLength": 1, "maxLength": max_len}, **kwargs)
