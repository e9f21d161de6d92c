"""Chinese by default, English on request: Flask-Babel over gettext catalogs.

The msgids are the Chinese text, the source language: a template says `_('总览')`, or
`pgettext('section title', '批次')` where one Chinese word takes two English ones.
The catalogs are loanledger/translations/<locale>/LC_MESSAGES/messages.po; `make
translations` extracts the msgids, merges them into the catalogs and compiles the .mo
files, which are committed (docs/decisions.md, "Translations").

The language of a request: the switch (/lang/<code>, kept in session["lang"]) wins, then
the browser's Accept-Language, then Chinese.

Codes that a page explains in words have tables of code -> msgid here: reason codes
(domain.md §8), statuses and kinds, refusal codes (api.md), and the few sentences that
Python code names by key (`t(key)`: flash messages, error pages, the voucher's purpose).
An unknown code or key comes back as itself.

Translated text is plain text, escaped by the page like any other value: Jinja's i18n
extension, which would take a translation as HTML, is not installed.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from flask import Flask, Response, g, has_request_context, request, session
from flask_babel import Babel, get_locale, gettext, lazy_gettext, lazy_pgettext, pgettext
from flask_babel.speaklater import LazyString

LANGUAGES = ("zh", "en")  # the switch's codes, as kept in the session
DEFAULT_LANGUAGE = "zh"
LOCALES = {"zh": "zh_CN", "en": "en"}
TRANSLATIONS = Path(__file__).resolve().parents[1] / "translations"

babel = Babel(configure_jinja=False)


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    babel.init_app(app, default_locale=LOCALES[DEFAULT_LANGUAGE], locale_selector=select_locale)
    app.jinja_env.globals.update(
        _=gettext,
        gettext=gettext,
        pgettext=pgettext,
        t=t,
        reason_text=reason_text,
        reason_short=reason_short,
        status_text=status_text,
        error_text=error_text,
        lang=current_language,
    )
    app.after_request(_vary_on_accept_language)


def select_locale() -> str:
    """The switch, else the best of Accept-Language, else Chinese."""
    if not has_request_context():
        return LOCALES[DEFAULT_LANGUAGE]
    chosen = session.get("lang")
    if chosen in LOCALES:
        return LOCALES[chosen]
    g.language_from_header = True
    offered = request.accept_languages.best_match(("zh-CN", "zh", "en"))
    return LOCALES["en" if offered == "en" else DEFAULT_LANGUAGE]


def _vary_on_accept_language(response: Response) -> Response:
    if g.get("language_from_header"):
        response.vary.add("Accept-Language")
    return response


def current_language() -> str:
    """'zh' or 'en', the switch's code for the request's language."""
    locale = get_locale() if has_request_context() else None
    return "en" if locale is not None and locale.language == "en" else DEFAULT_LANGUAGE


def t(key: str, **values) -> str:
    message = MESSAGES.get(key)
    if message is None:
        return key
    return str(message) % values if values else str(message)


def reason_text(code: str) -> str:
    return table_words(REASONS, code)


def reason_short(code: str) -> str:
    return table_words(REASON_NAMES, code)


def status_text(code: str | None, family: str | None = None) -> str:
    """A status in words; `family` names whose status it is where a code means different things
    (an objection's `open` is not a month's 未结账)."""
    if code is None:
        return ""
    own = FAMILY_STATUSES.get(family or "", {}).get(code)
    return str(own) if own is not None else table_words(STATUSES, code)


def error_text(code: str | None, fallback: str = "") -> str:
    """A refusal in words: the code's own sentence, else the service's message."""
    message = ERRORS.get(code or "")
    if message is not None:
        return str(message)
    return fallback or code or ""


def table_words(table: Mapping[str, LazyString], code: object, otherwise: str | None = None):
    """`code` in a table's words; a code not in it is `otherwise` (by default the code as
    text, for the page's check to catch)."""
    message = table.get(code) if isinstance(code, str) else None
    if message is not None:
        return str(message)
    return str(code) if otherwise is None else otherwise


# ---------------------------------------------------------------- domain.md §8
# Short names (context "reason") and sentences.
REASON_NAMES: dict[str, LazyString] = {
    "no_filing": lazy_pgettext("reason", "未备案"),
    "ambiguous_filing": lazy_pgettext("reason", "备案不唯一"),
    "filing_after_disbursement": lazy_pgettext("reason", "先放款后备案"),
    "filing_lapsed": lazy_pgettext("reason", "备案已失效"),
    "filing_revoked": lazy_pgettext("reason", "备案已撤销"),
    "enterprise_too_young": lazy_pgettext("reason", "成立未满年限"),
    "outside_window": lazy_pgettext("reason", "超出贴息期"),
    "outside_policy": lazy_pgettext("reason", "不在政策有效期"),
    "product_not_eligible": lazy_pgettext("reason", "非贴息产品"),
    "industry_not_eligible": lazy_pgettext("reason", "非贴息行业"),
    "after_maturity": lazy_pgettext("reason", "展期天数"),
    "overdue": lazy_pgettext("reason", "逾期"),
    "npl": lazy_pgettext("reason", "不良贷款"),
    "blacklisted": lazy_pgettext("reason", "失信名单"),
    "investment_cap": lazy_pgettext("reason", "超出备案投资额"),
    "rate_cap": lazy_pgettext("reason", "利率上限"),
    "interest_paid_limit": lazy_pgettext("reason", "以实付利息为限"),
    "annual_cap": lazy_pgettext("reason", "年度封顶"),
    "adjustment": lazy_pgettext("reason", "调整"),
    "clawback": lazy_pgettext("reason", "追回"),
    "voided": lazy_pgettext("reason", "已作废"),
    "no_disbursement": lazy_pgettext("reason", "未放款"),
}

REASONS: dict[str, LazyString] = {
    "no_filing": lazy_gettext(
        "这笔贷款没有关联到数字化项目备案，暂不能贴息。请联系工信局核对备案后由工作人员关联。"
    ),
    "ambiguous_filing": lazy_gettext(
        "企业有多个可用的项目备案，系统无法自动判断这笔贷款属于哪一个，需工作人员手工关联。"
    ),
    "filing_after_disbursement": lazy_gettext("项目备案的批准日期晚于首次放款日，按政策不予贴息。"),
    "filing_lapsed": lazy_gettext(
        "项目备案批准后规定天数内没有任何贷款合同起始（未提出贷款申请），备案已失效。"
    ),
    "filing_revoked": lazy_gettext("项目备案已被撤销，撤销生效日起的天数不予贴息。"),
    "enterprise_too_young": lazy_gettext("首次放款时企业成立未满政策要求的年限。"),
    "outside_window": lazy_gettext(
        "部分天数超出贴息期：贴息期自首笔享受贴息的放款起算（按政策，同一企业或同一备案的贷款共用），最长3年。"
    ),
    "outside_policy": lazy_gettext("部分天数不在贴息政策的有效期内。"),
    "product_not_eligible": lazy_gettext(
        "这笔贷款的产品不属于数字贷贴息产品，按政策不予贴息，也不关联项目备案。"
    ),
    "industry_not_eligible": lazy_gettext(
        "企业的行业代码不在贴息行业范围内（默认为制造业），或尚未登记行业代码，按政策不予贴息。"
    ),
    "after_maturity": lazy_gettext("贷款原到期日之后（展期）的天数不予贴息。"),
    "overdue": lazy_gettext("贷款逾期的天数不予贴息。"),
    "npl": lazy_gettext("贷款成为不良贷款之日起不予贴息。"),
    "blacklisted": lazy_gettext("企业被列入失信或重大违法名单期间的天数不予贴息。"),
    "investment_cap": lazy_gettext("贴息本金以项目备案的核定投资额为限，超出部分不贴息。"),
    "rate_cap": lazy_gettext("贴息利率不超过一年期LPR加政策规定的点差。"),
    "interest_paid_limit": lazy_gettext("贴息金额不超过银行报送的实际已付正常利息。"),
    "annual_cap": lazy_gettext("已达到每家企业每年贴息上限（3000万元），超出部分不予发放。"),
    "adjustment": lazy_gettext("因银行补报或更正数据，对以前月份已发放金额进行的调整。"),
    "clawback": lazy_gettext("项目备案被撤销并要求追回，已发放的贴息需退回。"),
    "voided": lazy_gettext("银行作废了这条利息记录，对应贴息为零。"),
    "no_disbursement": lazy_gettext("贷款尚无放款记录。"),
}

# ---------------------------------------------------------------- statuses and kinds
# Periods, batches, batch and line kinds, payments, objections, payee types, loans, roles,
# event types: context "status" (English writes them in lower case, inside a sentence or cell).
# Where a family's code has its own word: an open objection waits for the bureau.
FAMILY_STATUSES: dict[str, dict[str, LazyString]] = {
    "objection": {"open": lazy_pgettext("status", "待处理")},
    # a month's close asked for on the pages (services/close_jobs.py)
    "close_job": {
        "pending": lazy_pgettext("status", "排队中"),
        "running": lazy_pgettext("status", "结账中"),
        "done": lazy_pgettext("status", "已完成"),
        "failed": lazy_pgettext("status", "未完成"),
    },
    # a bank's file import (services/imports.py) and which file it is
    "import": {
        "pending": lazy_pgettext("status", "排队中"),
        "running": lazy_pgettext("status", "导入中"),
        "done": lazy_pgettext("status", "已完成"),
        "failed": lazy_pgettext("status", "无法导入"),
    },
    "import_kind": {
        "loans": lazy_pgettext("status", "贷款文件"),
        "events": lazy_pgettext("status", "事件文件"),
    },
    # a bank's loan event: `interest` reports interest paid (a line's `interest` is the subsidy)
    "event": {"interest": lazy_pgettext("status", "付息")},
    # a claim (ClaimStatus): lined in batches, short of the pool's cash, or paid
    "claim": {
        "lined": lazy_pgettext("status", "已列入批次"),
        "shortfall": lazy_pgettext("status", "资金不足待补足"),
    },
}

STATUSES: dict[str, LazyString] = {
    # periods
    "open": lazy_pgettext("status", "未结账"),
    "closed": lazy_pgettext("status", "已结账"),
    # batches
    "publicity": lazy_pgettext("status", "公示中"),
    "ready": lazy_pgettext("status", "待提交"),
    "submitted": lazy_pgettext("status", "待审批"),
    "approved": lazy_pgettext("status", "已审批"),
    "paid": lazy_pgettext("status", "已支付"),
    "partially_paid": lazy_pgettext("status", "部分支付"),
    # batch kinds
    "subsidy": lazy_pgettext("status", "贴息"),
    "compensation": lazy_pgettext("status", "风险补偿"),
    # line kinds
    "interest": lazy_pgettext("status", "利息贴息"),
    "adjustment": lazy_pgettext("status", "调整"),
    "carried": lazy_pgettext("status", "结转"),
    "claim": lazy_pgettext("status", "代偿"),
    "shortfall": lazy_pgettext("status", "补足"),
    "recovery_share": lazy_pgettext("status", "追偿分成"),
    # line status
    "active": lazy_pgettext("status", "有效"),
    "held": lazy_pgettext("status", "暂缓"),
    # payments
    "none": lazy_pgettext("status", "无需支付"),
    "pending": lazy_pgettext("status", "待支付"),
    "failed": lazy_pgettext("status", "支付失败"),
    # objections
    "upheld": lazy_pgettext("status", "异议成立"),
    "dismissed": lazy_pgettext("status", "异议驳回"),
    # payee types
    "enterprise": lazy_pgettext("status", "企业"),
    "bank": lazy_pgettext("status", "银行"),
    # loans
    "settled": lazy_pgettext("status", "已结清"),
    "npl": lazy_pgettext("status", "不良"),
    "covered": lazy_pgettext("status", "纳入风险补偿"),
    "not_covered": lazy_pgettext("status", "不纳入风险补偿"),
    "not_covered_capacity": lazy_pgettext("status", "资金池额度不足"),
    "not_covered_eligibility": lazy_pgettext("status", "不符合资金池条件"),
    "revoked": lazy_pgettext("status", "已撤销"),
    "lapsed": lazy_pgettext("status", "已失效"),
    "completed": lazy_pgettext("status", "已验收"),
    # roles
    "admin": lazy_pgettext("status", "管理员"),
    "clerk": lazy_pgettext("status", "经办人"),
    "approver": lazy_pgettext("status", "审批人"),
    "auditor": lazy_pgettext("status", "审计"),
    # repayment methods and interest settlement (loans)
    "bullet": lazy_pgettext("status", "到期一次还本付息"),
    "equal_installment": lazy_pgettext("status", "等额本息"),
    "equal_principal": lazy_pgettext("status", "等额本金"),
    "interest_only": lazy_pgettext("status", "按期付息到期还本"),
    "monthly": lazy_pgettext("status", "按月结息"),
    "quarterly": lazy_pgettext("status", "按季结息"),
    # event types
    "disbursement": lazy_pgettext("status", "放款"),
    "repayment": lazy_pgettext("status", "还本"),
    "rate_change": lazy_pgettext("status", "利率调整"),
    "delinquency": lazy_pgettext("status", "逾期报告"),
    "recovery": lazy_pgettext("status", "追偿回收"),
    "settlement": lazy_pgettext("status", "结清"),
    "void": lazy_pgettext("status", "作废"),
}

# ---------------------------------------------------------------- api.md refusal codes
ERRORS: dict[str, LazyString] = {
    "publicity_not_over": lazy_gettext("公示期尚未结束，不能提交。"),
    "open_objections": lazy_gettext("该批次还有未处理的异议，请先处理异议。"),
    "same_person": lazy_gettext("提交人不能审批自己提交的批次，需由另一位审批人审批。"),
    "budget_exceeded": lazy_gettext("该年度贴息预算余额不足，不能审批。"),
    "invalid_state": lazy_gettext("批次当前状态不允许此操作。"),
    "period_not_over": lazy_gettext("该月份尚未结束，不能结账。"),
    "previous_period_open": lazy_gettext("请先结上一个月份。"),
    "period_before_first_close": lazy_gettext("该月份早于首次结账月份。"),
    "period_closed": lazy_gettext("该月份已结账。"),
    "close_interrupted": lazy_gettext(
        "结账多次中断（进程停止或出错），已停止重试；请联系系统管理员。"
    ),
    "close_retrying": lazy_gettext("上一次结账尝试出错，未保存任何结果，系统正在重试。"),
    "not_found": lazy_gettext("没有找到。"),
    "forbidden": lazy_gettext("您的角色无权执行此操作。"),
    "invalid_format": lazy_gettext("输入格式不正确。"),
    "required": lazy_gettext("请填写必填项。"),
    "bad_login": lazy_gettext("用户名或密码不正确。"),
    "bad_period": lazy_gettext("月份格式应为 YYYY-MM。"),
    "bad_date": lazy_gettext("日期格式应为 YYYY-MM-DD。"),
    "bad_int": lazy_gettext("请输入整数。"),
    "bad_choice": lazy_gettext("请选择一个有效的选项。"),
    "too_long": lazy_gettext("输入内容太长。"),
    "no_payments": lazy_gettext("没有选择任何付款结果。"),
    "not_confirmed": lazy_gettext("未勾选“我已核对”确认框，本次操作没有执行，也没有任何更改。"),
    "reject_reason_required": lazy_gettext("请填写退回理由：经办人据此修改后重新提交。"),
    "resolution_required": lazy_gettext("请选择处理结果：异议成立或异议驳回。"),
    "note_required": lazy_gettext("请填写处理说明：企业会看到异议为何成立或被驳回。"),
    "future_date": lazy_gettext("日期不能晚于当前业务日期。"),
    "objection_closed": lazy_gettext("该明细已不在公示期内，不能提出异议。"),
    "already_objected": lazy_gettext("该明细已有未处理的异议。"),
    "service_unavailable": lazy_gettext("该功能尚未上线。"),
    # 名录库 (enterprise lists)
    "unknown_list": lazy_gettext("名录库不存在。"),
    "unknown_enterprise": lazy_gettext("该企业尚未登记，请先登记企业。"),
    "invalid_uscc": lazy_gettext("统一社会信用代码无效（应为18位，校验位须正确）。"),
    "to_before_from": lazy_gettext("截止日期不能早于起始日期。"),
    "no_file": lazy_gettext("请选择要导入的文件。"),
    "file_refused": lazy_gettext(
        "文件无法导入：须为 CSV（UTF-8 或 GB18030）或 XLSX，表头须有“统一社会信用代码”和“起始日期”列。"
    ),
    # a bank's loan and event files (api.md's 422 codes a row of an import can carry)
    "unknown_field": lazy_gettext("不是可接受的字段。"),
    "unknown_product": lazy_gettext("产品代码不存在（不是本行已登记的产品）。"),
    "unknown_filing": lazy_gettext("备案编号不存在。"),
    "filing_enterprise_mismatch": lazy_gettext("该项目备案不属于这家企业。"),
    "filing_completed": lazy_gettext("该项目备案已验收，不能再关联贷款。"),
    "max_active_filings": lazy_gettext("该企业的有效项目备案已达上限。"),
    "maturity_not_after_start": lazy_gettext("到期日须晚于起始日。"),
    "contract_conflict": lazy_gettext("同一合同编号已登记过内容不同的贷款。"),
    "event_id_conflict": lazy_gettext("同一事件编号已登记过内容不同的事件。"),
    "exceeds_contract_principal": lazy_gettext("累计放款超过合同金额。"),
    "balance_negative": lazy_gettext("还本后余额将小于零。"),
    "interest_period_overlap": lazy_gettext("计息期间与已报送的付息记录重叠。"),
    "no_disbursement": lazy_gettext("这笔贷款还没有放款记录。"),
    "before_start_date": lazy_gettext("日期早于贷款起始日。"),
    "after_maturity_date": lazy_gettext("日期晚于贷款到期日。"),
    "not_npl": lazy_gettext("贷款尚未成为不良贷款，不能报送追偿回收。"),
    "unknown_target": lazy_gettext("被撤销的事件编号不存在，或已被撤销。"),
    "loan_settled": lazy_gettext("贷款已结清，不能再报送事件。"),
    "balance_not_zero": lazy_gettext("贷款余额不为零，不能结清。"),
    "product_not_eligible": lazy_gettext("该产品不是贴息产品，不能关联项目备案。"),
    "too_many_rows": lazy_gettext("文件行数太多，请拆分后分别上传。"),
    "interrupted": lazy_gettext(
        "导入多次中断，未能完成。请重新上传该文件（已导入的行会按重复处理）。"
    ),
    # the administrator's pages
    "bad_username": lazy_gettext("用户名只能由字母、数字和 . _ @ - 组成，最多64个字符。"),
    "bad_bank_code": lazy_gettext("银行代码只能由字母、数字、_ 和 - 组成，最多32个字符。"),
    "bad_amount": lazy_gettext("金额应为大于零的元数，最多两位小数，如 1234.56。"),
    "bad_year": lazy_gettext("年度应为 2000 至 2100 之间的四位数字。"),
    "bad_policy_json": lazy_gettext("政策内容不是有效的 JSON 对象。"),
    "version_conflict": lazy_gettext("政策已被他人修改：请重新打开编辑页面，在最新版本上修改。"),
    "business_date_backwards": lazy_gettext("业务日期只能向后调整，不能早于当前业务日期。"),
    "unknown_pool": lazy_gettext("没有这个风险补偿资金池。"),
    "bad_pool_code": lazy_gettext("资金池代码只能由字母、数字、_ 和 - 组成，最多10个字符。"),
    # the bank's return file of a payment file
    "results_file_refused": lazy_gettext(
        "回单文件无法读取：须为 CSV（UTF-8 或 GB18030）或 XLSX，表头须有“收款人代码”和“支付状态”列。"
    ),
}

# ---------------------------------------------------------------- the fields a refusal names
# A page's refusal with a general sentence (web/forms.GENERAL_CODES) names its field in words
# where the service's detail is in English.
FIELDS: dict[str, LazyString] = {
    "status": lazy_pgettext("refused field", "状态"),
    "note": lazy_pgettext("refused field", "处理说明"),
    "reason": lazy_pgettext("refused field", "理由"),
    "resolution": lazy_pgettext("refused field", "处理结果"),
    "payee_id": lazy_pgettext("refused field", "收款方"),
    "paid_on": lazy_pgettext("refused field", "支付日期"),
    "reference": lazy_pgettext("refused field", "支付流水号"),
    "date": lazy_pgettext("refused field", "日期"),
    "file": lazy_pgettext("refused field", "文件"),
}


def field_text(field: str | None) -> str:
    """A refused field in words ('' when unknown): `payments[0].paid_on` is 支付日期."""
    if not field:
        return ""
    words = FIELDS.get(field.rsplit(".", 1)[-1])
    return "" if words is None else str(words)


# ---------------------------------------------------------------- sentences Python code names by key
MESSAGES: dict[str, LazyString] = {
    "login.welcome": lazy_gettext("欢迎，%(name)s"),
    "login.too_many": lazy_gettext("该用户名登录失败次数过多，请 %(minutes)s 分钟后再试。"),
    "logout.done": lazy_gettext("您已退出。"),
    "dash.closed_ok": lazy_gettext("%(period)s 已结账。"),
    "dash.close_asked": lazy_gettext("%(period)s 结账已开始，本页显示进度。"),
    "dash.close_running": lazy_gettext("%(period)s 的结账已在进行中，本页显示进度。"),
    "close.failed_other": lazy_gettext("结账时出错，请联系系统管理员。"),
    "batch.submitted_ok": lazy_gettext("批次已提交审批。"),
    "batch.approved_ok": lazy_gettext("批次已审批通过。"),
    "batch.rejected_ok": lazy_gettext("批次已退回。"),
    "pay.recorded_ok": lazy_gettext("支付结果已登记。"),
    "payform.rows_refused": lazy_gettext(
        "%(rows)s 行有错误（已用红框标出），没有登记任何支付结果。请修改后重新保存。"
    ),
    "payform.nothing_chosen": lazy_gettext("所有收款方都选择了“暂不处理”，没有登记任何支付结果。"),
    "payform.choose_status": lazy_gettext("请选择：已支付、支付失败或暂不处理。"),
    "payform.bad_date": lazy_gettext("支付日期不是有效的日期，应为 YYYY-MM-DD。"),
    "payform.failed_needs_reason": lazy_gettext("支付失败的须填写失败原因。"),
    "payform.already_recorded": lazy_gettext(
        "该收款方的支付结果已经登记（可能由他人刚刚登记），不能更改。"
    ),
    "payform.refused": lazy_gettext("支付结果未能登记，没有任何更改。请刷新页面后重试。"),
    "payform.too_long": lazy_gettext("银行流水号和失败原因合计超过255个字符。"),
    "obj.resolved_ok": lazy_gettext("异议已处理。"),
    "obj.filed_ok": lazy_gettext("异议已提交，工作人员会尽快处理。"),
    "list.bad_sort": lazy_gettext(
        "排序无效：只能按表头中带箭头的列排序，方向为升序或降序；已按默认顺序显示。"
    ),
    "error.400": lazy_gettext("请求无效。表单可能已过期，请返回刷新页面后重试。"),
    "error.403": lazy_gettext("您的角色无权查看此页面。"),
    "error.404": lazy_gettext("没有找到这个页面或记录。"),
    "error.405": lazy_gettext("不支持这种请求方式。"),
    "error.413": lazy_gettext("上传的文件太大，超过了系统的上限。请拆分文件后分别上传。"),
    "error.429": lazy_gettext("请求过于频繁，请稍后再试。"),
    "error.500": lazy_gettext("系统内部错误，已记录。请稍后重试。"),
    # by services.payment_file.purpose_key, the words of the payment file's 用途
    "voucher.purpose_subsidy": lazy_gettext("%(period)s 数字贷贷款贴息资金"),
    "voucher.purpose_compensation": lazy_gettext("%(period)s 数字贷风险补偿资金"),
    "voucher.purpose_pool_claim": lazy_gettext("%(period)s %(pool)s代偿资金"),
    "lists.created_ok": lazy_gettext("名录库 %(list_code)s 已创建。"),
    "lists.code_taken": lazy_gettext("名录库代码 %(list_code)s 已被另一个名称的名录库使用。"),
    "lists.overlaps": lazy_gettext(
        "%(uscc)s 的这段期间与该企业在名录库中已有的两段或以上期间重叠，请逐段修改。"
    ),
    "lists.member_added": lazy_gettext("已为 %(uscc)s 新增一段名录期间。"),
    "lists.member_changed": lazy_gettext("已修改 %(uscc)s 的名录期间。"),
    "lists.member_unchanged": lazy_gettext("%(uscc)s 的名录期间没有变化。"),
    "lists.imported_ok": lazy_gettext(
        "已导入 %(rows)s 行：新增 %(added)s 段期间，修改 %(changed)s 段，未变 %(unchanged)s 段；"
        "新登记企业 %(created)s 家。"
    ),
    "lists.import_refused": lazy_gettext(
        "文件中有 %(rows)s 行有错误，整个文件未导入。请按下表修改后重新上传。"
    ),
    # the administrator's pages
    "admin.invalid_state": lazy_gettext("当前状态不允许此操作，请刷新页面后重试。"),
    "admin.refused": lazy_gettext("操作未完成：输入不符合规则，请检查后重试。"),
    "admin.day_taken": lazy_gettext(
        "%(day)s 已按另一类型或名称登记：公示期可能已按它计算，如需更改请先移除再登记。"
    ),
    "admin.f_username": lazy_gettext("用户名"),
    "admin.f_display_name": lazy_gettext("姓名"),
    "admin.f_role": lazy_gettext("角色"),
    "admin.f_uscc": lazy_gettext("所属企业统一社会信用代码"),
    "admin.f_bank": lazy_gettext("所属银行"),
    "admin.f_password": lazy_gettext("密码"),
    "admin.f_bank_code": lazy_gettext("银行代码"),
    "admin.f_bank_name": lazy_gettext("银行名称"),
    "admin.f_year": lazy_gettext("年度"),
    "admin.f_amount": lazy_gettext("金额"),
    "admin.f_reference": lazy_gettext("文号"),
    "admin.f_deposited_on": lazy_gettext("注资日期"),
    "admin.f_day": lazy_gettext("日期"),
    "admin.f_kind": lazy_gettext("类型"),
    "admin.f_day_name": lazy_gettext("名称"),
    "admin.f_business_date": lazy_gettext("业务日期"),
    "admin.user_created_ok": lazy_gettext("用户 %(username)s 已创建。"),
    "admin.user_deactivated_ok": lazy_gettext("用户 %(username)s 已停用，其所有登录已退出。"),
    "admin.password_reset_ok": lazy_gettext("已为用户 %(username)s 设置新密码，其所有登录已退出。"),
    "admin.signed_out_ok": lazy_gettext("用户 %(username)s 已在所有设备退出登录。"),
    "admin.user_reactivated_ok": lazy_gettext("用户 %(username)s 已重新启用，可用原密码登录。"),
    "admin.user_already_active": lazy_gettext("用户 %(username)s 本来就在用，未作更改。"),
    "admin.user_updated_ok": lazy_gettext("用户 %(username)s 的姓名和角色已保存。"),
    "admin.user_unchanged": lazy_gettext("用户 %(username)s 的信息没有变化，未作更改。"),
    "admin.key_shown_already": lazy_gettext(
        "密钥只在发放后显示一次，已不再显示。如密钥未保存好，请发放新密钥并吊销旧密钥。"
    ),
    "admin.key_revoked_ok": lazy_gettext("密钥 %(key_id)s 已吊销，立即失效。"),
    "admin.policy_invalid": lazy_gettext("政策内容有误，未保存。请按下列提示修改："),
    "what_if.policy_invalid": lazy_gettext("政策草案有误，未测算。请按下列提示修改："),
    "admin.policy_saved_ok": lazy_gettext("政策已保存为第 %(version)s 版，自当前业务日期起施行。"),
    "admin.budget_added_ok": lazy_gettext("%(year)s 年度预算已登记。"),
    "admin.deposit_added_ok": lazy_gettext("%(pool)s 的注资已登记。"),
    "admin.f_pool_code": lazy_gettext("资金池代码"),
    "admin.f_pool_name": lazy_gettext("资金池名称"),
    "admin.f_operator": lazy_gettext("资金管理方"),
    "admin.f_eligibility": lazy_gettext("覆盖范围"),
    "admin.f_list": lazy_gettext("名录库"),
    "admin.pool_created_ok": lazy_gettext("资金池 %(pool)s 已新建。"),
    "admin.pool_exists_same": lazy_gettext("资金池 %(pool)s 已存在，内容相同，未作更改。"),
    "admin.pool_code_taken": lazy_gettext("资金池代码 %(code)s 已被另一个资金池使用。"),
    "admin.day_added_ok": lazy_gettext("%(day)s 已加入工作日历。"),
    "admin.day_removed_ok": lazy_gettext("%(day)s 已从工作日历移除，按国务院公布的安排计算。"),
    "admin.business_date_set_ok": lazy_gettext("业务日期已设为 %(day)s。"),
    "pay.results_ok": lazy_gettext(
        "回单已登记（%(rows)s 行）：已支付 %(paid)s 笔，支付失败 %(failed)s 笔，"
        "此前已登记 %(unchanged)s 笔。"
    ),
    "pay.results_unchanged": lazy_gettext(
        "回单的 %(rows)s 行此前都已按相同结果登记，没有任何变化。"
    ),
    "bank.import_done": lazy_gettext(
        "文件已导入（%(rows)s 行）：接收 %(accepted)s 行，重复 %(duplicates)s 行，"
        "有错误 %(rejected)s 行。"
    ),
    "bank.import_pending": lazy_gettext("文件已收到，正在排队导入。请稍后刷新本页查看结果。"),
    "bank.import_again": lazy_gettext("这个文件此前已上传过，下面是那次导入的结果。"),
    "bank.import_refused": lazy_gettext("文件无法导入，整个文件未导入。原因见下表。"),
    "pay.results_refused": lazy_gettext(
        "回单中有 %(rows)s 行有错误，没有登记任何支付结果。请按下表修改后重新上传。"
    ),
}

# ---------------------------------------------------------------- 名录库 imports: a refused row in words
# The columns of a list file (services/list_import.py) and why a row was refused, by the
# `reason` each error carries; %(other)s is another row of the file.
LIST_COLUMNS: dict[str, LazyString] = {
    "uscc": lazy_gettext("统一社会信用代码"),
    "name": lazy_gettext("企业名称"),
    "from": lazy_gettext("起始日期"),
    "to": lazy_gettext("截止日期"),
    "established_on": lazy_gettext("成立日期"),
}

LIST_IMPORT_REASONS: dict[str, LazyString] = {
    "cell": lazy_gettext(
        "单元格无法读取：统一社会信用代码须为文本格式，日期须为日期或文本 YYYY-MM-DD。"
    ),
    "required": lazy_gettext("必填项为空。"),
    "bad_date": lazy_gettext("不是有效的日期，应为 YYYY-MM-DD（或 2024/1/1、2024年1月1日）。"),
    "too_long": lazy_gettext("内容太长（最多255个字符）。"),
    "to_before_from": lazy_gettext("截止日期早于起始日期。"),
    "invalid_uscc": lazy_gettext("企业尚未登记，且统一社会信用代码无效（校验位不符），不能新建。"),
    "new_needs_name": lazy_gettext("企业尚未登记：新建企业须填写企业名称。"),
    "new_needs_established_on": lazy_gettext(
        "企业尚未登记：新建企业须填写成立日期（文件需有“成立日期”列）。"
    ),
    "differs_from_row": lazy_gettext("与第 %(other)s 行同一企业的企业名称或成立日期不一致。"),
    "overlaps_row": lazy_gettext("与第 %(other)s 行同一企业的期间重叠。"),
    "overlaps_memberships": lazy_gettext(
        "与该企业在名录库中已有的两段或以上期间重叠，请逐段修改。"
    ),
}


def list_column_text(column: str | None) -> str:
    """A list file's column in words ('' for the row as a whole)."""
    return "" if column is None else table_words(LIST_COLUMNS, column)


def list_import_reason(reason: str, args: dict, fallback: str) -> str:
    """Why a row of a list file was refused, in words; the service's message when the
    reason has no sentence."""
    message = LIST_IMPORT_REASONS.get(reason)
    if message is None:
        return fallback
    return str(message) % args if args else str(message)


# ---------------------------------------------------------------- the bank's return file: a refused row in words
# The columns of a return file (services/payment_results.py) and why a row was refused, by
# the `reason` each error carries: the same sentences as the API's (payment_results.REASONS).
RESULTS_COLUMNS: dict[str, LazyString] = {
    "payee": lazy_gettext("收款人代码"),
    "status": lazy_gettext("支付状态"),
    "paid_on": lazy_gettext("支付日期"),
    "reference": lazy_gettext("银行流水号"),
    "reason": lazy_gettext("失败原因"),
    "amount": lazy_gettext("金额"),
}

RESULTS_REASONS: dict[str, LazyString] = {
    "cell": lazy_gettext(
        "单元格无法读取：收款人代码和流水号须为文本格式，日期须为日期或文本 YYYY-MM-DD，金额须为数字。"
    ),
    "required": lazy_gettext("必填项为空。"),
    "bad_status": lazy_gettext(
        "无法识别的支付状态“%(value)s”：应为 paid/failed、成功/失败 或 已支付/支付失败。"
    ),
    "bad_date": lazy_gettext("不是有效的日期，应为 YYYY-MM-DD（或 2024/1/1、2024年1月1日）。"),
    "bad_amount": lazy_gettext("不是有效的金额（单位元，最多两位小数）。"),
    "too_long": lazy_gettext("银行流水号和失败原因合计超过255个字符。"),
    "paid_needs_date": lazy_gettext("已支付的须填写支付日期。"),
    "paid_needs_reference": lazy_gettext("已支付的须填写银行流水号。"),
    "future_date": lazy_gettext("支付日期 %(date)s 晚于当前业务日期 %(today)s。"),
    "before_approval": lazy_gettext("支付日期 %(date)s 早于批次的审批日期 %(approved_on)s。"),
    "unknown_payee": lazy_gettext("收款人 %(payee)s 不存在（不是已登记的企业或银行）。"),
    "not_in_batch": lazy_gettext("收款人 %(payee)s 不在本批次中。"),
    "nothing_to_pay": lazy_gettext("收款人 %(payee)s 在本批次中无需支付。"),
    "duplicate": lazy_gettext("与第 %(other)s 行是同一收款人。"),
    "amount_mismatch": lazy_gettext("金额 %(given)s 与本批次应付该收款人的 %(expected)s 不符。"),
    "already_recorded": lazy_gettext(
        "该收款人的支付结果已登记（%(recorded)s %(paid_on)s %(reference)s），与文件不同，不能更改。"
    ),
}


def results_column_text(column: str | None) -> str:
    """A return file's column in words ('' for the row as a whole)."""
    return "" if column is None else table_words(RESULTS_COLUMNS, column)


def results_reason(reason: str, args: dict, fallback: str) -> str:
    """Why a row of a return file was refused, in words; the service's sentence when the
    reason has no entry here."""
    message = RESULTS_REASONS.get(reason)
    if message is None:
        return fallback
    if "recorded" in args:  # a payment status, in words
        args = {**args, "recorded": status_text(args["recorded"])}
    return str(message) % args if args else str(message)


# ---------------------------------------------------------------- a bank's loan and event files
# An import keeps each error with the field (column) and the code of api.md; a page shows the
# column by the caption the template heads it with, and the error by its code's sentence
# (`error_text`). A cell the import could not read (`invalid_format`) is said by what the
# column holds, which the code alone does not tell.
IMPORT_FORMATS: dict[str, LazyString] = {
    "money": lazy_gettext("金额格式不正确：单位元，不能为负数，最多两位小数。"),
    "rate": lazy_gettext("年利率格式不正确：填写百分数的数值，如 3.45 表示 3.45%。"),
    "date": lazy_gettext("日期格式应为 YYYY-MM-DD（或日期单元格）。"),
    "integer": lazy_gettext("请输入非负整数。"),
    "code": lazy_gettext("统一社会信用代码应为18位（该列须为文本格式，数字格式会丢失位数）。"),
    "identifier": lazy_gettext(
        "格式不正确：最多64个字符，不能含“/”；该列须为文本格式，数字格式会丢失位数。"
    ),
    "text": lazy_gettext("输入格式不正确或内容太长。"),
}
IMPORT_CHOICE = lazy_gettext("不是可选的值，请从下拉列表中选择：%(words)s。")
# What an event names that is not there (`not_found`), by the column naming it.
IMPORT_NOT_FOUND: dict[str, LazyString] = {
    "contract_no": lazy_gettext("本行没有登记这个合同编号的贷款，请先报送贷款。"),
}
# The file as a whole (an error without a row): its format, or its header's columns.
IMPORT_FILE: dict[str, LazyString] = {
    "invalid_format": lazy_gettext(
        "文件无法读取：须为 XLSX（可用下载的模板）或 CSV（UTF-8 或 GB18030 编码），"
        "表头为模板第1行的中文标题或第2行的字段名，且至少有一行数据。"
    ),
    "header": lazy_gettext("表头中的这一列无法识别：不是模板中的列，或出现了两次。"),
    "required": lazy_gettext("缺少这一必填列。"),
}


def import_column_text(kind: str, column: str | None) -> str:
    """A loan or event file's column by the template's caption ('' for the row as a whole);
    in English the field name follows, as row 2 of the template has it. A header's column
    that is no field is shown as the file names it."""
    from loanledger.services.spreadsheets import caption_of

    if column is None:
        return ""
    caption = caption_of(kind, column)
    if caption is None:
        return column
    return f"{caption} ({column})" if current_language() == "en" else caption


IMPORT_UNKNOWN_COLUMN = lazy_gettext("该列有内容，但表头没有这一列的名称。")


def import_error_text(
    kind: str, row: int | None, column: str | None, code: str, message: str
) -> str:
    """An error of a loan or event file in words: the file's format or header (no row); a
    coded column's choices; a cell's format by what the column holds; else the code's
    sentence (the service's message when the code has none)."""
    from loanledger.services import spreadsheets

    known = column in spreadsheets.COLUMNS.get(kind, ())
    if row is None and code in ("invalid_format", "required"):
        return str(IMPORT_FILE["header" if column and code == "invalid_format" else code])
    if code == "invalid_format" and known:
        choices = spreadsheets.CHOICE_WORDS.get(column)
        if choices:
            return str(IMPORT_CHOICE) % {"words": "、".join(choices.values())}
        return str(IMPORT_FORMATS[spreadsheets.column_kind(kind, column)])
    if code == "not_found" and column in IMPORT_NOT_FOUND:
        return str(IMPORT_NOT_FOUND[column])
    if code == "unknown_field":
        return str(IMPORT_UNKNOWN_COLUMN)
    return error_text(code, message)
