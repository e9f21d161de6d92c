"""The administrator's pages in words: the policy's keys and values, the roles a user can
be given, and why a set-up command (users, banks, keys) was refused."""

from __future__ import annotations

import json
from fractions import Fraction
from typing import Any

from flask_babel import LazyString, lazy_gettext, lazy_pgettext

from loanledger.domain.money import parse_yuan
from loanledger.domain.vocabulary import PoolEligibility, Role
from loanledger.web.format import yuan
from loanledger.web.i18n import table_words

# ---------------------------------------------------------------- roles
# Every role an administrator can give, in the order of the form's dropdown.
ROLE_WORDS: dict[str, LazyString] = {
    Role.ADMIN: lazy_pgettext("role", "管理员"),
    Role.CLERK: lazy_pgettext("role", "经办人"),
    Role.APPROVER: lazy_pgettext("role", "审批人"),
    Role.AUDITOR: lazy_pgettext("role", "审计"),
    Role.ENTERPRISE: lazy_pgettext("role", "企业用户"),
    Role.BANK: lazy_pgettext("role", "银行用户"),
}


def role_words(code: str) -> str:
    return table_words(ROLE_WORDS, code)


# ---------------------------------------------------------------- risk pools
# Which loans a pool covers (PoolEligibility), in the order of the form's dropdown.
POOL_ELIGIBILITY_WORDS: dict[str, LazyString] = {
    PoolEligibility.FILING: lazy_pgettext("pool eligibility", "已备案项目的贷款"),
    PoolEligibility.ENTERPRISE_LIST: lazy_pgettext("pool eligibility", "名录库内企业的贷款"),
    PoolEligibility.ANY: lazy_pgettext("pool eligibility", "所有贷款"),
}


def pool_eligibility_words(code: str) -> str:
    return table_words(POOL_ELIGIBILITY_WORDS, code)


# ---------------------------------------------------------------- identity refusals
# services/identity.py's IdentityError.reason → the sentence a page shows.
IDENTITY_REASONS: dict[str, LazyString] = {
    "bad_role": lazy_gettext("请选择一个有效的角色。"),
    "needs_uscc": lazy_gettext("企业用户须填写所属企业的统一社会信用代码。"),
    "needs_bank": lazy_gettext("银行用户须选择所属的合作银行。"),
    "bank_not_allowed": lazy_gettext("只有银行用户才有所属银行。"),
    "short_password": lazy_gettext("密码至少需要 8 个字符。"),
    "user_exists": lazy_gettext("该用户名已被使用。"),
    "own_account": lazy_gettext("不能停用自己的账号。"),
    "own_role": lazy_gettext("不能更改自己的角色，请由另一位管理员操作。"),
    "last_admin": lazy_gettext("这是最后一位在用的管理员，不能停用或更改其角色。"),
    "unknown_enterprise": lazy_gettext("该企业尚未登记，请先登记企业。"),
    "long_display_name": lazy_gettext("姓名最多 64 个字符。"),
    "bank_exists": lazy_gettext("该银行代码已被使用。"),
    "unknown_bank": lazy_gettext("没有这家合作银行。"),
    "too_many_keys": lazy_gettext("该银行已有两个有效密钥，请先吊销其中一个。"),
    "unknown_key": lazy_gettext("没有这个密钥。"),
}


def identity_reason(reason: str | None) -> str | None:
    words = IDENTITY_REASONS.get(reason or "")
    return None if words is None else str(words)


# ---------------------------------------------------------------- the policy
# Every key of a policy document (domain.md §3) and of a pool's own rules.
POLICY_LABELS: dict[str, LazyString] = {
    "effective_from": lazy_gettext("政策生效日"),
    "effective_to": lazy_gettext("政策截止日"),
    "subsidy_years": lazy_gettext("贴息年限（年）"),
    "subsidy_window_anchor": lazy_gettext("贴息期起算"),
    "eligible_industries": lazy_gettext("贴息行业（国民经济行业分类门类或代码）"),
    "subsidy_ratios": lazy_gettext("各年贴息比例"),
    "rate_cap_spread_bps": lazy_gettext("贴息利率上限：一年期LPR加点（基点）"),
    "annual_cap_per_enterprise": lazy_gettext("每家企业每年贴息上限"),
    "min_enterprise_age_years": lazy_gettext("企业最短成立年限（年）"),
    "max_active_filings": lazy_gettext("每家企业有效备案上限"),
    "filing_lapse_days": lazy_gettext("备案未起贷失效天数"),
    "payee": lazy_gettext("贴息收款人"),
    "publicity_working_days": lazy_gettext("公示期（工作日）"),
    "close_day": lazy_gettext("每月结账日"),
    "npl_dpd": lazy_gettext("逾期多少天视为不良"),
    "npl_classifications": lazy_gettext("视为不良的五级分类"),
    "compensation_tiers": lazy_gettext("风险补偿比例分档"),
    "claim_cap_per_loan": lazy_gettext("每笔贷款代偿上限"),
    "pool_leverage": lazy_gettext("资金池放大倍数"),
    "pools": lazy_gettext("各资金池的规则"),
    "version": lazy_gettext("版本"),
    "in_force_from": lazy_gettext("施行日"),
}
MONEY_KEYS = ("annual_cap_per_enterprise", "claim_cap_per_loan")
VALUE_WORDS: dict[str, LazyString] = {
    # subsidy_window_anchor
    "enterprise": lazy_pgettext("policy value", "企业首笔贴息放款"),
    "filing": lazy_pgettext("policy value", "备案首笔贴息放款"),
    "loan": lazy_pgettext("policy value", "每笔贷款自身放款"),
    # npl_classifications
    "normal": lazy_pgettext("policy value", "正常"),
    "special_mention": lazy_pgettext("policy value", "关注"),
    "substandard": lazy_pgettext("policy value", "次级"),
    "doubtful": lazy_pgettext("policy value", "可疑"),
    "loss": lazy_pgettext("policy value", "损失"),
}
PAYEE_WORDS: dict[str, LazyString] = {
    "enterprise": lazy_pgettext("policy value", "企业"),
    "bank": lazy_pgettext("policy value", "银行"),
}


def policy_label(key: str) -> str:
    """A key, or a problem's field path (`pools.SZD.pool_leverage`, `compensation_tiers[0]`),
    in words: the label of its first key (a path's codes are not shown on a page)."""
    root = key.split(".")[0].split("[")[0]
    return table_words(POLICY_LABELS, root, str(lazy_gettext("未知字段")))


def _value_words(code: Any) -> str:
    return table_words(VALUE_WORDS, code)


def _percent(ratio: str) -> str:
    """ "0.50" → '50%' (a ratio of the policy, exact)."""
    value = Fraction(ratio) * 100
    return f"{value.numerator / value.denominator:g}%"


def _tiers(tiers: list[dict[str, Any]]) -> str:
    if len(tiers) == 1:  # one ratio for the whole loss
        return _percent(tiers[0]["ratio"])
    shown = []
    for tier in tiers:
        if tier.get("up_to") is None:
            shown.append(
                str(lazy_gettext("其余部分 %(ratio)s")) % {"ratio": _percent(tier["ratio"])}
            )
        else:
            shown.append(
                str(lazy_gettext("%(up_to)s 以内 %(ratio)s"))
                % {"up_to": yuan(parse_yuan(tier["up_to"])), "ratio": _percent(tier["ratio"])}
            )
    return "；".join(shown)


def _pool_rules(rules: dict[str, Any], pool_names: dict[str, str]) -> str:
    if not rules:
        return str(lazy_gettext("各资金池均按上列规则"))
    shown = []
    for code, own in rules.items():
        parts = "，".join(
            f"{policy_label(key)} {policy_value(key, value)}" for key, value in own.items()
        )
        shown.append(f"{pool_names.get(code, code)}：{parts}")
    return "；".join(shown)


def policy_value(key: str, value: Any, pool_names: dict[str, str] | None = None) -> str:
    """A policy value as a page shows it: amounts as ¥, ratios as percentages, codes in
    words, none as 不限."""
    if value is None:
        return str(lazy_gettext("不限"))
    if key in MONEY_KEYS:
        return yuan(parse_yuan(value))
    if key == "subsidy_ratios":
        return "、".join(_percent(ratio) for ratio in value)
    if key == "compensation_tiers":
        return _tiers(value)
    if key == "pools":
        return _pool_rules(value, pool_names or {})
    if key == "payee":
        return table_words(PAYEE_WORDS, value)
    if isinstance(value, list):
        return "、".join(_value_words(item) for item in value)
    return _value_words(value)


def policy_rows(doc: dict[str, Any], pool_names: dict[str, str]) -> list[tuple[str, str, str]]:
    """(key, label, value in words) of every key of a document, in the document's order."""
    return [(key, policy_label(key), policy_value(key, doc[key], pool_names)) for key in doc]


def policy_changes(
    current: dict[str, Any], draft: dict[str, Any], pool_names: dict[str, str]
) -> list[tuple[str, str, str, str]]:
    """(key, label, current value, draft value) of every key whose value differs, in words."""
    changed = []
    for key in dict.fromkeys([*current, *draft]):
        old, new = current.get(key), draft.get(key)
        if json.dumps(old, sort_keys=True) != json.dumps(new, sort_keys=True):
            changed.append(
                (
                    key,
                    policy_label(key),
                    policy_value(key, old, pool_names),
                    policy_value(key, new, pool_names),
                )
            )
    return changed
