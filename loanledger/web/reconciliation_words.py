"""The reconciliation document (services/read/reconciliation.py, the API's own answer) as the
bureau's page shows it: checks and figures in words, amounts as ¥1,234.56, the differences'
columns and measures in the page's language. The API keeps its codes and English measures;
only the page translates them, here."""

from __future__ import annotations

import re
from typing import Any

from flask_babel import LazyString, lazy_gettext

from loanledger.domain import reconciliation as rules
from loanledger.services.read import DisplayNames
from loanledger.web.format import yuan
from loanledger.web.i18n import status_text

NO_NAMES = DisplayNames({}, {}, {}, {})  # codes as they are (the pure tests)

CHECKS: dict[str, LazyString] = {
    rules.TRIAL_BALANCE: lazy_gettext("试算平衡：全部分录借贷相抵为零"),
    rules.BATCH_TOTALS: lazy_gettext("批次金额：批次总额、收款人金额与账务一致"),
    rules.PAYABLES: lazy_gettext("应付款：应付科目余额等于尚未支付的金额"),
    rules.POOL: lazy_gettext("风险补偿资金池：资金足以支付应付补偿"),
    rules.CONTROL_TOTALS: lazy_gettext("银行控制总数：报送笔数与金额一致"),
    rules.SUBSIDY_WITHIN_INTEREST: lazy_gettext("贴息不超过银行报送的实付利息"),
}

# Figures of a check's detail; (words, is an amount). Amounts come as yuan strings.
FIGURES: dict[str, tuple[LazyString, bool]] = {
    "total": (lazy_gettext("合计金额"), True),
    "entries": (lazy_gettext("分录笔数"), False),
    "unbalanced_entries": (lazy_gettext("不平衡分录笔数"), False),
    "batches": (lazy_gettext("批次数"), False),
    "accounts": (lazy_gettext("应付科目数"), False),
    "credit_balance": (lazy_gettext("应付科目贷方余额"), True),
    "outstanding": (lazy_gettext("尚未支付金额"), True),
    "cash": (lazy_gettext("资金"), True),
    "owed": (lazy_gettext("应付补偿"), True),
    "available": (lazy_gettext("可用余额"), True),
    "pools": (lazy_gettext("各资金池"), False),
    "banks_declared": (lazy_gettext("报送控制总数的银行数"), False),
    "banks_matching": (lazy_gettext("一致的银行数"), False),
    "banks_without_control_total": (lazy_gettext("有利息记录但未报送控制总数的银行"), False),
    "records": (lazy_gettext("核对的利息记录数"), False),
    "records_over": (lazy_gettext("超出实付利息的记录数"), False),
    "period_status": (lazy_gettext("月份状态"), False),
}

ENTITIES: dict[str, LazyString] = {
    "ledger": lazy_gettext("总账"),
    "journal_entry": lazy_gettext("分录"),
    "batch": lazy_gettext("批次"),
    "batch_payee": lazy_gettext("批次收款人"),
    "account": lazy_gettext("应付科目"),
    "risk_pool": lazy_gettext("风险补偿资金池"),
    "bank": lazy_gettext("银行"),
    "interest_record": lazy_gettext("利息记录"),
}

# The domain's measures (domain/reconciliation.py), whole-string patterns → words.
MEASURES: tuple[tuple[re.Pattern[str], LazyString], ...] = tuple(
    (re.compile(pattern), words)
    for pattern, words in (
        (r"sum of all postings", lazy_gettext("全部分录的借贷合计（应为零）")),
        (
            r"sum of the postings of a (?P<kind>.+) entry",
            lazy_gettext("该笔分录的借贷合计（应为零）"),
        ),
        (
            r"batch_payees\.pays against max\(0, active lines\)",
            lazy_gettext("收款人应付金额 对照 其有效明细合计"),
        ),
        (
            r"ledger movement against max\(0, active lines\)",
            lazy_gettext("收款人账务发生额 对照 其有效明细合计"),
        ),
        (r"Σ batch_payees\.pays against batch total", lazy_gettext("收款人应付合计 对照 批次总额")),
        (
            r"Σ max\(0, active lines per payee\) against batch total",
            lazy_gettext("各收款人有效明细合计 对照 批次总额"),
        ),
        (r"ledger movement against batch total", lazy_gettext("账务发生额 对照 批次总额")),
        (
            r"credit balance against pending payments",
            lazy_gettext("应付科目贷方余额 对照 尚未支付金额"),
        ),
        (
            r"pool (?P<code>\S+) cash against what it owes \(cash must not be less\)",
            lazy_gettext("资金池资金 对照 应付补偿（资金不得少于应付）"),
        ),
        (r"interest_records", lazy_gettext("利息记录笔数")),
        (r"interest_total", lazy_gettext("利息合计")),
        (
            r"Σ active lines against interest paid \(at most\)",
            lazy_gettext("有效贴息明细合计 对照 实付利息（不得超过）"),
        ),
    )
)

COLUMNS: tuple[tuple[str, LazyString], ...] = (
    ("check", lazy_gettext("检查项")),
    ("entity", lazy_gettext("对象")),
    ("measure", lazy_gettext("核对内容")),
    ("batch_id", lazy_gettext("批次")),
    ("entry_id", lazy_gettext("分录")),
    ("account", lazy_gettext("科目")),
    ("payee_id", lazy_gettext("收款人")),
    ("bank_code", lazy_gettext("银行")),
    ("event_id", lazy_gettext("利息记录")),
    ("expected", lazy_gettext("应为")),
    ("actual", lazy_gettext("实际")),
    ("difference", lazy_gettext("差额")),
)
NUMBERS = ("expected", "actual", "difference")


def measure_words(measure: str) -> str:
    """The measure in words; an unknown one (a newer check) as the domain wrote it."""
    for pattern, words in MEASURES:
        if pattern.fullmatch(measure):
            return str(words)
    return measure


def _figure(key: str, value: Any, names: DisplayNames) -> dict[str, str]:
    words, is_amount = FIGURES.get(key, (key, False))
    if key == "pools" and isinstance(value, dict):
        shown = "；".join(
            f"{names.pool(code)}：{FIGURES['cash'][0]} {yuan(v['cash'])}，{FIGURES['owed'][0]} {yuan(v['owed'])}"
            f"，{FIGURES['available'][0]} {yuan(v['available'])}"
            for code, v in value.items()
        )
    elif key == "banks_without_control_total" and isinstance(value, list):
        shown = "、".join(names.bank(code) for code in value) or "—"
    elif key == "period_status":
        shown = status_text(value)
    elif isinstance(value, list):
        shown = "、".join(map(str, value)) or "—"
    else:
        shown = yuan(value) if is_amount else str(value)
    return {"key": key, "label": str(words), "value": shown}


def _difference(row: dict[str, Any], names: DisplayNames) -> dict[str, str]:
    shown: dict[str, str] = {}
    for key, _words in COLUMNS:
        value = row.get(key)
        if value is None:
            shown[key] = ""
        elif key == "check":
            shown[key] = str(CHECKS.get(value, value))
        elif key == "entity":
            shown[key] = str(ENTITIES.get(value, value))
        elif key == "measure":
            shown[key] = measure_words(value)
        elif key == "bank_code":
            shown[key] = names.bank(value)
        elif key in NUMBERS and row.get("unit") == "yuan":
            shown[key] = yuan(value)
        else:
            shown[key] = str(value)
    return shown


def page_doc(doc: dict[str, Any], names: DisplayNames = NO_NAMES) -> dict[str, Any]:
    """What the reconciliation page shows of `doc` (the API's document), banks and pools by
    `names`."""
    return {
        "ok": doc["ok"],
        "checks": [
            {
                "name": c["name"],
                "label": str(CHECKS.get(c["name"], c["name"])),
                "ok": c["ok"],
                "figures": [_figure(k, v, names) for k, v in c["detail"].items()],
            }
            for c in doc["checks"]
        ],
        "columns": [(key, str(words)) for key, words in COLUMNS],
        "differences": [_difference(d, names) for d in doc["discrepancies"]],
    }
