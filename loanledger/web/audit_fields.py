"""An audit entry's before and after as the audit page shows them: one row per field, its
caption in words and each side's value formatted (amounts as ¥, times in Beijing time,
statuses, roles and reasons in words, banks, products, pools and people by name).

The captions reuse the pages' own tables (web/i18n.FIELDS, web/event_words.CAPTIONS,
admin_words.POLICY_LABELS) and add the audit trail's other keys here. A key with no caption
is shown as it is stored, marked `data-identifier` (the evidence, not hidden). The CSV export
and GET /audit keep the raw JSON."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext, lazy_pgettext
from flask_babel.speaklater import LazyString

from loanledger.services import read
from loanledger.web import event_words
from loanledger.web.admin_words import POLICY_LABELS, policy_value, pool_eligibility_words
from loanledger.web.format import day, yuan
from loanledger.web.i18n import FIELDS, reason_short, status_text
from loanledger.web.names import MACHINE_ACTORS

# The audit trail's keys that no page table names. Times (`…_at`) are the wall clock.
AUDIT_CAPTIONS: dict[str, LazyString] = {
    "account": lazy_pgettext("audit field", "收款账户"),
    "holder": lazy_pgettext("audit field", "户名"),
    "number": lazy_pgettext("audit field", "账号"),
    "bank_name": lazy_pgettext("audit field", "开户银行"),
    "active": lazy_pgettext("audit field", "启用"),
    "approved_at": lazy_pgettext("audit field", "审批时间（系统时间）"),
    "approved_by": lazy_pgettext("audit field", "审批人"),
    "approved_on": lazy_pgettext("audit field", "审批日期"),
    "attempts": lazy_pgettext("audit field", "尝试次数"),
    "balance": lazy_pgettext("audit field", "余额"),
    "bank_code": lazy_pgettext("audit field", "银行"),
    "batch_id": lazy_pgettext("audit field", "批次编号"),
    "batch_total": lazy_pgettext("audit field", "批次合计"),
    "budget_year": lazy_pgettext("audit field", "预算年度"),
    "claim_id": lazy_pgettext("audit field", "代偿编号"),
    "claims_created": lazy_pgettext("audit field", "新增代偿笔数"),
    "clawback": lazy_pgettext("audit field", "追回已拨贴息"),
    "completed_on": lazy_pgettext("audit field", "验收日期"),
    "completion_note": lazy_pgettext("audit field", "验收说明"),
    "compensation_total": lazy_pgettext("audit field", "风险补偿合计"),
    "contract_no": lazy_pgettext("audit field", "合同编号"),
    "coverage": lazy_pgettext("audit field", "风险补偿"),
    "created_at": lazy_pgettext("audit field", "创建时间（系统时间）"),
    "created_by": lazy_pgettext("audit field", "创建人"),
    "deposited_on": lazy_pgettext("audit field", "注资日期"),
    "display_name": lazy_pgettext("audit field", "姓名"),
    "eligibility": lazy_pgettext("audit field", "覆盖范围"),
    "eligible_investment": lazy_pgettext("audit field", "核定投资额"),
    "email": lazy_pgettext("audit field", "电子邮箱"),
    "entry_id": lazy_pgettext("audit field", "记账凭证号"),
    "established_on": lazy_pgettext("audit field", "成立日期"),
    "event_id": lazy_pgettext("audit field", "事件编号"),
    "filing_no": lazy_pgettext("audit field", "备案编号"),
    "finished_at": lazy_pgettext("audit field", "完成时间（系统时间）"),
    "from": lazy_pgettext("audit field", "起始日期"),
    "hold": lazy_pgettext("audit field", "暂缓发放"),
    "industry": lazy_pgettext("audit field", "行业"),
    "industry_code": lazy_pgettext("audit field", "行业代码"),
    "in_force_from": lazy_pgettext("audit field", "施行日"),
    "kind": lazy_pgettext("audit field", "类别"),
    "line_id": lazy_pgettext("audit field", "明细编号"),
    "lines": lazy_pgettext("audit field", "明细数"),
    "link_problem": lazy_pgettext("audit field", "未关联备案的原因"),
    "list_code": lazy_pgettext("audit field", "名录库编号"),
    "loan_id": lazy_pgettext("audit field", "贷款编号"),
    "maturity_date": lazy_pgettext("audit field", "到期日"),
    "name": lazy_pgettext("audit field", "名称"),
    "objection_id": lazy_pgettext("audit field", "异议编号"),
    "operator": lazy_pgettext("audit field", "管理机构"),
    "payees": lazy_pgettext("audit field", "收款方数"),
    "payment_status": lazy_pgettext("audit field", "支付状态"),
    "pays": lazy_pgettext("audit field", "应付金额"),
    "period": lazy_pgettext("audit field", "月份"),
    "pool_code": lazy_pgettext("audit field", "资金池"),
    "principal": lazy_pgettext("audit field", "本金"),
    "product_code": lazy_pgettext("audit field", "贷款产品"),
    "project_name": lazy_pgettext("audit field", "项目名称"),
    "publicity_ends_on": lazy_pgettext("audit field", "公示截止"),
    "read_at": lazy_pgettext("audit field", "阅读时间（系统时间）"),
    "records_computed": lazy_pgettext("audit field", "计算的付息记录数"),
    "rejected_at": lazy_pgettext("audit field", "退回时间（系统时间）"),
    "rejected_by": lazy_pgettext("audit field", "退回人"),
    "rejected_reason": lazy_pgettext("audit field", "退回理由"),
    "resolution_note": lazy_pgettext("audit field", "处理说明"),
    "resolved_at": lazy_pgettext("audit field", "处理时间（系统时间）"),
    "resolved_by": lazy_pgettext("audit field", "处理人"),
    "revoke_reason": lazy_pgettext("audit field", "撤销理由"),
    "revoked_on": lazy_pgettext("audit field", "撤销日期"),
    "risk_covered": lazy_pgettext("audit field", "纳入风险补偿"),
    "risk_pool": lazy_pgettext("audit field", "风险补偿资金池"),
    "role": lazy_pgettext("audit field", "角色"),
    "start_date": lazy_pgettext("audit field", "合同起始日"),
    "started_at": lazy_pgettext("audit field", "开始时间（系统时间）"),
    "submitted_at": lazy_pgettext("audit field", "提交时间（系统时间）"),
    "submitted_by": lazy_pgettext("audit field", "提交人"),
    "submitted_on": lazy_pgettext("audit field", "提交日期"),
    "subsidy_eligible": lazy_pgettext("audit field", "贴息产品"),
    "subsidy_total": lazy_pgettext("audit field", "贴息合计"),
    "to": lazy_pgettext("audit field", "截止日期"),
    "tokens_revoked": lazy_pgettext("audit field", "吊销的令牌数"),
    "total": lazy_pgettext("audit field", "合计"),
    "town": lazy_pgettext("audit field", "镇街"),
    "uscc": lazy_pgettext("audit field", "统一社会信用代码"),
    "username": lazy_pgettext("audit field", "登录名"),
    "year": lazy_pgettext("audit field", "年度"),
    "value": lazy_pgettext("audit field", "值"),
    # a bank's file import (import.done), a control total, a payment file, the calendar
    "filename": lazy_pgettext("audit field", "文件名"),
    "sha256": lazy_pgettext("audit field", "文件校验值（SHA-256）"),
    "rows": lazy_pgettext("audit field", "行数"),
    "accepted": lazy_pgettext("audit field", "接受行数"),
    "duplicates": lazy_pgettext("audit field", "重复行数"),
    "rejected": lazy_pgettext("audit field", "退回行数"),
    "interest_records": lazy_pgettext("audit field", "付息记录数"),
    "interest_total_fen": lazy_pgettext("audit field", "利息合计"),
    "format": lazy_pgettext("audit field", "文件格式"),
    "day": lazy_pgettext("audit field", "日期"),
    "settled_on": lazy_pgettext("audit field", "结清日期"),
    "key_id": lazy_pgettext("audit field", "密钥编号"),
    "revoked": lazy_pgettext("audit field", "已吊销"),
    "message_id": lazy_pgettext("audit field", "邮件编号"),
    "error": lazy_pgettext("audit field", "错误信息"),
    "error_code": lazy_pgettext("audit field", "错误代码"),
}
# Where an entity's key means something of its own.
ENTITY_CAPTIONS: dict[tuple[str, str], LazyString] = {
    ("filing", "approved_on"): lazy_pgettext("audit field", "批准日期"),
    ("loan", "principal"): lazy_pgettext("audit field", "贷款本金"),
    ("budget", "amount"): lazy_pgettext("audit field", "预算金额"),
    ("budget", "reference"): lazy_pgettext("audit field", "文号"),
    ("pool_deposit", "amount"): lazy_pgettext("audit field", "注资金额"),
    ("pool_deposit", "reference"): lazy_pgettext("audit field", "摘要"),
    ("blacklist_entry", "entry_id"): lazy_pgettext("audit field", "记录编号"),
    ("blacklist_entry", "effective_from"): lazy_pgettext("audit field", "生效日"),
    ("blacklist_entry", "effective_to"): lazy_pgettext("audit field", "失效日"),
}
# A calendar day's kind, as the calendar page says it (admin/calendar.html).
CALENDAR_KINDS: dict[str, LazyString] = {
    "holiday": lazy_gettext("放假"),
    "workday": lazy_gettext("调休上班"),
}
# Whose status family a key's codes belong to where the entity alone does not say.
FAMILIES: dict[tuple[str, str], str] = {("import", "kind"): "import_kind"}
CAPTION_TABLES: tuple[dict[str, LazyString], ...] = (
    AUDIT_CAPTIONS,
    FIELDS,
    event_words.CAPTIONS,
    POLICY_LABELS,
)

# Amounts as the wire writes them ("1234.56"); keys ending in `_fen` hold integer fen.
MONEY_KEYS = frozenset(
    {
        "amount",
        "principal",
        "interest",
        "penalty_interest",
        "compound_interest",
        "pays",
        "total",
        "batch_total",
        "balance",
        "eligible_investment",
        "subsidy_total",
        "compensation_total",
    }
)
PERSON_KEYS = frozenset({"actor"})  # and every key ending in `_by`
STATUS_KEYS = frozenset(
    {"status", "batch_status", "payment_status", "coverage", "kind", "resolution", "type"}
)
# Codes a person quotes as they are (a key id, a login name, an error's code).
# shown as stored: a code or a name someone chose (a file is named by whoever sent it)
IDENTIFIER_KEYS = frozenset(
    {"key_id", "username", "error_code", "error", "message_id", "sha256", "filename"}
)
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
NONE_SHOWN = "—"


@dataclass(frozen=True)
class Part:
    """A piece of a shown value; `identifier` ones are a code shown as stored."""

    text: str
    identifier: bool = False


@dataclass(frozen=True)
class FieldRow:
    key: str
    caption: str | None  # None: no words for the key, the page shows the key as stored
    before: list[Part] | None  # None: that side has no such key
    after: list[Part] | None
    changed: bool


def caption(key: str, entity: str = "") -> str | None:
    own = ENTITY_CAPTIONS.get((entity, key))
    if own is not None:
        return str(own)
    for table in CAPTION_TABLES:
        words = table.get(key)
        if words is not None:
            return str(words)
    return None


def _yes_no(value: bool) -> str:
    return str(lazy_gettext("是")) if value else str(lazy_gettext("否"))


def _person(actor: str, names: read.DisplayNames) -> str:
    words = MACHINE_ACTORS.get(actor)
    return str(words) if words is not None else names.actor(actor)


def _text(key: str, value: Any, entity: str, names: read.DisplayNames) -> str | None:
    """The value of a known kind of key in words, or None when the key's kind is not known."""
    if key in MONEY_KEYS and isinstance(value, str):
        return yuan(value)
    if key.endswith("_fen") and isinstance(value, int):
        return yuan(value)
    if isinstance(value, str):
        if key in PERSON_KEYS or key.endswith("_by"):
            return _person(value, names)
        if key in ("bank_code", "bank"):
            return names.bank(value)
        if key in ("product_code", "product"):
            return names.product(value)
        if key in ("pool_code", "risk_pool", "pool"):
            return names.pool(value)
        if entity == "calendar_day" and key == "kind":
            words = CALENDAR_KINDS.get(value)
            return value if words is None else str(words)
        if key in STATUS_KEYS:
            return status_text(value, FAMILIES.get((entity, key), entity))
        if key == "format":  # a file's format, as the pages name it (CSV, XLSX)
            return value.upper()
        if key == "role":
            return status_text(value)
        if key == "eligibility":
            return pool_eligibility_words(value)
        if key == "classification":
            words = event_words.CLASSIFICATIONS.get(value)
            return value if words is None else str(words)
        if key in ("link_problem", "reason_code"):
            return reason_short(value)
        if TIMESTAMP.match(value):
            try:
                return day(dt.datetime.fromisoformat(value))
            except ValueError:
                return value
    if entity == "policy" and key in POLICY_LABELS:
        pools = {code: names.pool(code) for code in value} if key == "pools" else {}
        return policy_value(key, value, pools)
    return None


def value_parts(key: str, value: Any, entity: str, names: read.DisplayNames) -> list[Part]:
    """A stored value as the page shows it, in parts (an identifier part is marked)."""
    if value is None:
        return [Part(NONE_SHOWN)]
    if isinstance(value, bool):
        return [Part(_yes_no(value))]
    shown = _text(key, value, entity, names)
    if shown is not None:
        return [Part(shown)]
    if key in IDENTIFIER_KEYS:
        return [Part(str(value), identifier=True)]
    if isinstance(value, dict):
        return _nested(value, entity, names)
    if isinstance(value, list):
        parts: list[Part] = []
        for i, item in enumerate(value):
            if i:
                parts.append(Part("、"))
            parts += value_parts(key, item, entity, names)
        return parts
    return [Part(str(value))]


def _nested(value: dict[str, Any], entity: str, names: read.DisplayNames) -> list[Part]:
    """A value that is itself a record (an account, a hold): caption：value；…"""
    parts: list[Part] = []
    for i, (key, item) in enumerate(value.items()):
        if i:
            parts.append(Part("；"))
        words = caption(key, entity)
        parts.append(Part(key, identifier=True) if words is None else Part(words))
        parts.append(Part("："))
        parts += value_parts(key, item, entity, names)
    return parts


def _as_map(side: Any) -> dict[str, Any]:
    """A side as a record: none is empty; a bare value (not a record) is its only field."""
    if side is None:
        return {}
    return side if isinstance(side, dict) else {"value": side}


def field_rows(
    entity: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    names: read.DisplayNames,
) -> list[FieldRow]:
    """One row per key of either side, in the order stored (before's keys first). A row is
    `changed` when the entry has both sides and they differ on it."""
    before_map, after_map = _as_map(before), _as_map(after)
    both = before is not None and after is not None
    rows = []
    for key in dict.fromkeys([*before_map, *after_map]):
        rows.append(
            FieldRow(
                key=key,
                caption=caption(key, entity),
                before=(
                    value_parts(key, before_map[key], entity, names) if key in before_map else None
                ),
                after=(
                    value_parts(key, after_map[key], entity, names) if key in after_map else None
                ),
                changed=both
                and (
                    key not in before_map
                    or key not in after_map
                    or before_map[key] != after_map[key]
                ),
            )
        )
    return rows
