"""What the administrator's forms share: a field read and, when refused, said by its name and
rule; a use case run with the set-up refusals (services/identity.py) said in words; amounts
in yuan and years."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

from flask import flash
from flask_babel import lazy_gettext

from loanledger.domain.errors import PolicyInvalid, Refusal
from loanledger.domain.money import parse_yuan
from loanledger.web import forms
from loanledger.web.admin_words import identity_reason, policy_label
from loanledger.web.i18n import current_language, error_text, t
from loanledger.wire.strict_json import loads_strict

T = TypeVar("T")
YEAR_RE = re.compile(r"^\d{4}$", re.ASCII)
FIRST_YEAR, LAST_YEAR = 2000, 2100  # as the API's budgets and calendar take them
MAX_POLICY_TEXT = 20_000  # a policy document typed as JSON (the policy editor, the what-if)
POLICY_UNKNOWN_FIELD = lazy_gettext("不是政策的字段。")


class FieldRefused(Exception):
    """A form field was refused and said (flashed); the view goes back to its page."""


def field(field_key: str, read_it: Callable[[], T]) -> T:
    """`read_it()`'s value; a FormError is flashed as "<field>：<rule>" (the field's words
    are the sentence `field_key` names) and raised as FieldRefused."""
    try:
        return read_it()
    except forms.FormError as error:
        flash(field_refused(t(field_key), error_text(error.code)), "error")
        raise FieldRefused from None


def code_text(value: str | None, pattern: re.Pattern[str], max_length: int, refused: str) -> str:
    """A required code typed in a form (a username, a bank code): at most `max_length`
    characters, all of `pattern`; else FormError(`refused`)."""
    code = forms.text(value, required=True, max_length=max_length)
    if not pattern.fullmatch(code):
        raise forms.FormError(refused)
    return code


def refusal_words(refusal: Refusal) -> str:
    """A refusal in words and nothing else: the services' own messages are English, so a
    set-up refusal says its reason, any other its code's sentence (web/i18n.py)."""
    words = identity_reason(getattr(refusal, "reason", None))
    if words is not None:
        return words
    if refusal.code == "invalid_state":  # i18n's sentence for it speaks of batches
        return t("admin.invalid_state")
    return error_text(refusal.code, t("admin.refused"))


def field_refused(field_words: str, rule: str) -> str:
    """ "用户名：请填写必填项。" (a field's words, then its rule)."""
    return f"{field_words}：{rule}" if current_language() == "zh" else f"{field_words}: {rule}"


def flash_admin_refusal(refusal: Refusal) -> None:
    flash(refusal_words(refusal), "error")


def run(action: Callable[[], object], success_key: str, **values) -> bool:
    """`forms.perform`, with the set-up refusals said in words."""
    refusal = forms.attempt(action)
    if refusal is not None:
        flash_admin_refusal(refusal)
        return False
    flash(t(success_key, **values), "success")
    return True


def amount_fen(value: str | None) -> int:
    """A positive amount in yuan ("1234.56" or "1,234.56", at most two decimals) as fen."""
    text = forms.text(value, required=True, max_length=24).replace(",", "")
    try:
        fen = parse_yuan(text)
    except ValueError:
        raise forms.FormError("bad_amount") from None
    if fen <= 0:
        raise forms.FormError("bad_amount")
    return fen


def year(value: str | None) -> int:
    text = (value or "").strip()
    if not YEAR_RE.fullmatch(text) or not FIRST_YEAR <= int(text) <= LAST_YEAR:
        raise forms.FormError("bad_year")
    return int(text)


def policy_doc(text: str | None) -> dict[str, Any]:
    """A policy document typed as JSON (the policy editor, the what-if), as an object;
    FormError when it is not one."""
    try:
        doc = loads_strict(forms.text(text, required=True, max_length=MAX_POLICY_TEXT))
    except ValueError:
        raise forms.FormError("bad_policy_json") from None
    if not isinstance(doc, dict):
        raise forms.FormError("bad_policy_json")
    return doc


def policy_problems(error: PolicyInvalid) -> list[str]:
    """Each problem as the field in words and the rule ("每月结账日：输入格式不正确。"). The
    what-if names its fields under `policy.` (as POST /reports/what-if does): the same words."""
    return [
        field_refused(
            policy_label((field or "").removeprefix("policy.")),
            str(POLICY_UNKNOWN_FIELD) if code == "unknown_field" else error_text(code),
        )
        for field, code, _message in error.errors
    ]
