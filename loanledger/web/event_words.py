"""A bank's loan event as the loan page shows it: each field with its Chinese caption and
its value formatted (¥1,234.56, 3.45%, dates, a classification in words), in the order the
domain lists the event type's fields (domain/events.py). The API keeps its field names."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext, lazy_pgettext
from flask_babel.speaklater import LazyString

from loanledger.domain.events import EVENT_FIELDS
from loanledger.services.intake import MONEY_FIELDS
from loanledger.web.format import yuan

CAPTIONS: dict[str, LazyString] = {
    "date": lazy_pgettext("bank event", "日期"),
    "paid_on": lazy_gettext("付息日"),
    "as_of": lazy_gettext("报告日"),
    "effective_on": lazy_gettext("生效日"),
    "amount": lazy_pgettext("bank event", "金额"),
    "principal": lazy_gettext("还本金额"),
    "period_start": lazy_gettext("计息起日"),
    "period_end": lazy_gettext("计息止日"),
    "interest": lazy_gettext("正常利息"),
    "penalty_interest": lazy_gettext("罚息"),
    "compound_interest": lazy_gettext("复利"),
    "annual_rate": lazy_gettext("年利率"),
    "days_past_due": lazy_gettext("逾期天数"),
    "classification": lazy_gettext("五级分类"),
    "target_event_id": lazy_gettext("作废的事件号"),
    "reason": lazy_pgettext("bank event", "原因"),
}

# domain/policy.LOAN_CLASSIFICATIONS in words (五级分类)
CLASSIFICATIONS: dict[str, LazyString] = {
    "normal": lazy_pgettext("loan classification", "正常"),
    "special_mention": lazy_pgettext("loan classification", "关注"),
    "substandard": lazy_pgettext("loan classification", "次级"),
    "doubtful": lazy_pgettext("loan classification", "可疑"),
    "loss": lazy_pgettext("loan classification", "损失"),
}


def _value(name: str, value: Any) -> str:
    if name in MONEY_FIELDS:
        return yuan(value)
    if name == "annual_rate":
        return f"{value}%"
    if name == "days_past_due":
        return str(lazy_gettext("%(days)s 天", days=value))
    if name == "classification":
        words = CLASSIFICATIONS.get(value)
        return str(words) if words is not None else str(value)
    return str(value)


def event_fields(event: dict[str, Any]) -> list[tuple[str, str]]:
    """(caption, value) of the fields an event of its type has and gives, in the domain's
    order; `event` is the wire form (services.intake.event_to_wire)."""
    required, optional = EVENT_FIELDS.get(event["type"], ((), ()))
    shown = []
    for name in required + optional:
        value = event.get(name)
        if value is not None:
            caption = CAPTIONS.get(name)
            shown.append((str(caption) if caption is not None else name, _value(name, value)))
    return shown
