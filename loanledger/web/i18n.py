"""Chinese by default, English on request: a small dictionary, no catalogue files.

`t(key, **values)` looks the key up in TEXT and formats it in the session's language; an
unknown key comes back as itself (tests/integration/test_web_i18n.py checks that every key
the templates use is here, in both languages). Reason codes (domain.md §8), statuses and
refusal codes (api.md) have their own tables, so a page explains them in words.
"""
from __future__ import annotations

from flask import has_request_context, session

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"


def current_language() -> str:
    if has_request_context():
        lang = session.get("lang")
        if lang in LANGUAGES:
            return lang
    return DEFAULT_LANGUAGE


def _pick(pair: tuple[str, str], lang: str | None = None) -> str:
    return pair[1] if (lang or current_language()) == "en" else pair[0]


def t(key: str, **values) -> str:
    pair = TEXT.get(key)
    text = _pick(pair) if pair else key
    return text.format(**values) if values else text


def reason_text(code: str) -> str:
    pair = REASONS.get(code)
    return _pick(pair) if pair else code


def reason_short(code: str) -> str:
    pair = REASON_NAMES.get(code)
    return _pick(pair) if pair else code


def status_text(code: str | None) -> str:
    if code is None:
        return ""
    pair = STATUSES.get(code)
    return _pick(pair) if pair else code


def error_text(code: str | None, fallback: str = "") -> str:
    """A refusal in words: the code's own sentence, else the service's message."""
    pair = ERRORS.get(code or "")
    if pair:
        return _pick(pair)
    return fallback or code or ""


# ---------------------------------------------------------------- domain.md §8
REASON_NAMES: dict[str, tuple[str, str]] = {
    "no_filing": ("未备案", "no filing"),
    "ambiguous_filing": ("备案不唯一", "ambiguous filing"),
    "filing_after_disbursement": ("先放款后备案", "filed after disbursement"),
    "filing_lapsed": ("备案已失效", "filing lapsed"),
    "filing_revoked": ("备案已撤销", "filing revoked"),
    "enterprise_too_young": ("成立未满年限", "enterprise too young"),
    "outside_window": ("超出贴息期", "outside the subsidy window"),
    "outside_policy": ("不在政策有效期", "outside the policy period"),
    "after_maturity": ("展期天数", "after maturity"),
    "overdue": ("逾期", "overdue"),
    "npl": ("不良贷款", "non-performing"),
    "blacklisted": ("失信名单", "blacklisted"),
    "investment_cap": ("超出备案投资额", "investment cap"),
    "rate_cap": ("利率上限", "rate cap"),
    "interest_paid_limit": ("以实付利息为限", "limited to interest paid"),
    "annual_cap": ("年度封顶", "annual cap"),
    "adjustment": ("调整", "adjustment"),
    "clawback": ("追回", "clawback"),
    "voided": ("已作废", "voided"),
    "no_disbursement": ("未放款", "no disbursement"),
}

REASONS: dict[str, tuple[str, str]] = {
    "no_filing": (
        "这笔贷款没有关联到数字化项目备案，暂不能贴息。请联系工信局核对备案后由工作人员关联。",
        "The loan is not linked to a digital-project filing, so no subsidy is due until staff link one.",
    ),
    "ambiguous_filing": (
        "企业有多个可用的项目备案，系统无法自动判断这笔贷款属于哪一个，需工作人员手工关联。",
        "The enterprise has several usable filings; staff must choose which one this loan belongs to.",
    ),
    "filing_after_disbursement": (
        "项目备案的批准日期晚于首次放款日，按政策不予贴息。",
        "The filing was approved after the loan's first disbursement, which the policy excludes.",
    ),
    "filing_lapsed": (
        "项目备案批准后规定天数内没有任何贷款放款，备案已失效。",
        "No loan of the filing was disbursed within the allowed days after approval; the filing lapsed.",
    ),
    "filing_revoked": (
        "项目备案已被撤销，撤销生效日起的天数不予贴息。",
        "The filing was revoked; days from the revocation date are not subsidised.",
    ),
    "enterprise_too_young": (
        "首次放款时企业成立未满政策要求的年限。",
        "At the first disbursement the enterprise had not existed for the required number of years.",
    ),
    "outside_window": (
        "部分天数超出自首次放款起的贴息年限（最长3年）。",
        "Some days fall outside the subsidy window (up to 3 years from the first disbursement).",
    ),
    "outside_policy": (
        "部分天数不在贴息政策的有效期内。",
        "Some days fall outside the period in which the policy is in force.",
    ),
    "after_maturity": (
        "贷款原到期日之后（展期）的天数不予贴息。",
        "Days after the loan's original maturity date (an extension) are not subsidised.",
    ),
    "overdue": (
        "贷款逾期的天数不予贴息。",
        "Days on which the loan was overdue are not subsidised.",
    ),
    "npl": (
        "贷款成为不良贷款之日起不予贴息。",
        "No subsidy from the day the loan became non-performing.",
    ),
    "blacklisted": (
        "企业被列入失信或重大违法名单期间的天数不予贴息。",
        "Days on which the enterprise was on the blacklist (失信 or major violation) are not subsidised.",
    ),
    "investment_cap": (
        "贴息本金以项目备案的核定投资额为限，超出部分不贴息。",
        "Only principal up to the filing's eligible investment is subsidised.",
    ),
    "rate_cap": (
        "贴息利率不超过一年期LPR加政策规定的点差。",
        "The subsidised rate is capped at the 1-year LPR plus the policy's spread.",
    ),
    "interest_paid_limit": (
        "贴息金额不超过银行报送的实际已付正常利息。",
        "The subsidy cannot exceed the normal interest actually paid, as reported by the bank.",
    ),
    "annual_cap": (
        "已达到每家企业每年贴息上限（3000万元），超出部分不予发放。",
        "The enterprise reached the yearly cap per enterprise; the excess is not paid.",
    ),
    "adjustment": (
        "因银行补报或更正数据，对以前月份已发放金额进行的调整。",
        "A correction of an amount granted in an earlier month, after late or corrected bank data.",
    ),
    "clawback": (
        "项目备案被撤销并要求追回，已发放的贴息需退回。",
        "The filing was revoked with clawback: subsidy already paid is taken back.",
    ),
    "voided": (
        "银行作废了这条利息记录，对应贴息为零。",
        "The bank voided this interest record, so nothing is owed on it.",
    ),
    "no_disbursement": (
        "贷款尚无放款记录。",
        "The loan has no disbursement yet.",
    ),
}

# ---------------------------------------------------------------- statuses and kinds
STATUSES: dict[str, tuple[str, str]] = {
    # periods
    "open": ("未结账", "open"),
    "closed": ("已结账", "closed"),
    # batches
    "publicity": ("公示中", "in publicity"),
    "ready": ("待提交", "ready"),
    "submitted": ("待审批", "submitted"),
    "approved": ("已审批", "approved"),
    "paid": ("已支付", "paid"),
    "partially_paid": ("部分支付", "partially paid"),
    # batch kinds
    "subsidy": ("贴息", "subsidy"),
    "compensation": ("风险补偿", "compensation"),
    # line kinds
    "interest": ("利息贴息", "interest"),
    "adjustment": ("调整", "adjustment"),
    "carried": ("结转", "carried"),
    "claim": ("代偿", "claim"),
    "shortfall": ("补足", "shortfall"),
    "recovery_share": ("追偿分成", "recovery share"),
    # line status
    "active": ("有效", "active"),
    "held": ("暂缓", "held"),
    # payments
    "none": ("无需支付", "nothing to pay"),
    "pending": ("待支付", "pending"),
    "failed": ("支付失败", "failed"),
    # objections
    "upheld": ("异议成立", "upheld"),
    "dismissed": ("异议驳回", "dismissed"),
    # payee types
    "enterprise": ("企业", "enterprise"),
    "bank": ("银行", "bank"),
    # loans
    "settled": ("已结清", "settled"),
    "npl": ("不良", "non-performing"),
    "covered": ("纳入风险补偿", "covered"),
    "not_covered": ("不纳入风险补偿", "not covered"),
    "not_covered_capacity": ("资金池额度不足", "pool capacity exceeded"),
    "revoked": ("已撤销", "revoked"),
    "lapsed": ("已失效", "lapsed"),
    # roles
    "admin": ("管理员", "administrator"),
    "clerk": ("经办人", "clerk"),
    "approver": ("审批人", "approver"),
    "auditor": ("审计", "auditor"),
    # event types
    "disbursement": ("放款", "disbursement"),
    "repayment": ("还本", "repayment"),
    "rate_change": ("利率调整", "rate change"),
    "delinquency": ("逾期报告", "delinquency"),
    "recovery": ("追偿回收", "recovery"),
    "settlement": ("结清", "settlement"),
    "void": ("作废", "void"),
}

# ---------------------------------------------------------------- api.md refusal codes
ERRORS: dict[str, tuple[str, str]] = {
    "publicity_not_over": ("公示期尚未结束，不能提交。", "The publicity period is not over yet; the batch cannot be submitted."),
    "open_objections": ("该批次还有未处理的异议，请先处理异议。", "The batch has open objections; resolve them first."),
    "same_person": ("提交人不能审批自己提交的批次，需由另一位审批人审批。",
                    "The person who submitted the batch cannot approve or reject it; another approver must."),
    "budget_exceeded": ("该年度贴息预算余额不足，不能审批。", "The year's subsidy budget left is smaller than the batch total."),
    "invalid_state": ("批次当前状态不允许此操作。", "The batch's current status does not allow this."),
    "period_not_over": ("该月份尚未结束，不能结账。", "The month is not over yet; it cannot be closed."),
    "previous_period_open": ("请先结上一个月份。", "Close the previous month first."),
    "period_before_first_close": ("该月份早于首次结账月份。", "This month is before the first closed month."),
    "not_found": ("没有找到。", "Not found."),
    "forbidden": ("您的角色无权执行此操作。", "Your role may not do this."),
    "invalid_format": ("输入格式不正确。", "The input is not in the right format."),
    "required": ("请填写必填项。", "Please fill in the required field."),
    "bad_login": ("用户名或密码不正确。", "Wrong username or password."),
    "bad_period": ("月份格式应为 YYYY-MM。", "A month is written YYYY-MM."),
    "bad_date": ("日期格式应为 YYYY-MM-DD。", "A date is written YYYY-MM-DD."),
    "bad_int": ("请输入整数。", "Please enter a whole number."),
    "bad_choice": ("请选择一个有效的选项。", "Please choose one of the options."),
    "too_long": ("输入内容太长。", "The text is too long."),
    "no_payments": ("没有选择任何付款结果。", "No payment result was chosen."),
    "future_date": ("日期不能晚于当前业务日期。", "The date cannot be after the business date."),
    "objection_closed": ("该明细已不在公示期内，不能提出异议。", "The line is no longer in publicity; no objection can be filed."),
    "already_objected": ("该明细已有未处理的异议。", "This line already has an open objection."),
    "service_unavailable": ("该功能尚未上线。", "This function is not available yet."),
}

# ---------------------------------------------------------------- page text
TEXT: dict[str, tuple[str, str]] = {
    "app.name": ("数字贷贴息与风险补偿", "Digital-loan subsidy & risk compensation"),
    "app.short": ("数字贷", "LoanLedger"),
    "lang.switch": ("English", "中文"),
    "nav.dashboard": ("总览", "Dashboard"),
    "nav.objections": ("异议", "Objections"),
    "nav.enterprises": ("企业", "Enterprises"),
    "nav.portal": ("我的贴息", "My subsidies"),
    "nav.logout": ("退出", "Sign out"),
    "nav.business_date": ("业务日期", "Business date"),
    "nav.signed_in_as": ("当前用户", "Signed in as"),
    # login
    "login.title": ("登录", "Sign in"),
    "login.username": ("用户名", "Username"),
    "login.password": ("密码", "Password"),
    "login.submit": ("登录", "Sign in"),
    "login.welcome": ("欢迎，{name}", "Welcome, {name}"),
    "login.too_many": ("该用户名登录失败次数过多，请 {minutes} 分钟后再试。",
                       "Too many failed sign-ins for this username; try again in {minutes} minutes."),
    "logout.done": ("您已退出。", "You have signed out."),
    "login.required": ("请先登录。", "Please sign in."),
    # errors
    "error.title": ("出错了", "Something went wrong"),
    "error.400": ("请求无效。表单可能已过期，请返回刷新页面后重试。",
                  "The request was not valid. The form may have expired: go back, reload and try again."),
    "error.403": ("您的角色无权查看此页面。", "Your role may not see this page."),
    "error.404": ("没有找到这个页面或记录。", "There is no such page or record."),
    "error.405": ("不支持这种请求方式。", "This kind of request is not supported here."),
    "error.500": ("系统内部错误，已记录。请稍后重试。", "An internal error was logged. Please try again later."),
    "error.back": ("返回首页", "Back to the start page"),
    # common
    "common.period": ("月份", "Month"),
    "common.status": ("状态", "Status"),
    "common.kind": ("类型", "Kind"),
    "common.total": ("合计", "Total"),
    "common.amount": ("金额", "Amount"),
    "common.actions": ("操作", "Actions"),
    "common.none": ("暂无", "None yet"),
    "common.all": ("全部", "All"),
    "common.filter": ("筛选", "Filter"),
    "common.reset": ("清除", "Clear"),
    "common.view": ("查看", "View"),
    "common.yes": ("是", "yes"),
    "common.no": ("否", "no"),
    "common.date": ("日期", "Date"),
    "common.reason": ("理由", "Reason"),
    "common.note": ("说明", "Note"),
    "common.bank": ("银行", "Bank"),
    "common.contract": ("合同号", "Contract"),
    "common.enterprise": ("企业", "Enterprise"),
    "common.uscc": ("统一社会信用代码", "USCC"),
    "common.name": ("名称", "Name"),
    "common.payee": ("收款方", "Payee"),
    "common.previous": ("上一页", "Previous"),
    "common.next": ("下一页", "Next"),
    "common.page": ("第 {page} 页，共 {pages} 页（{count} 条）", "Page {page} of {pages} ({count} rows)"),
    "common.print": ("打印", "Print"),
    "common.back": ("返回", "Back"),
    "common.download": ("下载", "Download"),
    "common.reasons": ("原因", "Reasons"),
    "common.reasons_legend": ("原因说明", "What the reasons mean"),
    # dashboard
    "dash.title": ("贴息与补偿总览", "Subsidy and compensation overview"),
    "dash.periods": ("结账月份", "Months"),
    "dash.subsidy_total": ("贴息合计", "Subsidy total"),
    "dash.compensation_total": ("补偿合计", "Compensation total"),
    "dash.closed_at": ("结账时间", "Closed at"),
    "dash.batches": ("批次", "Batches"),
    "dash.batch": ("批次", "Batch"),
    "dash.publicity_ends": ("公示截止", "Publicity ends"),
    "dash.payees": ("收款方数", "Payees"),
    "dash.lines": ("明细数", "Lines"),
    "dash.reconciliation": ("对账", "Reconciliation"),
    "dash.close_title": ("月末结账", "Month-end close"),
    "dash.close_help": ("结账会计算该月所有贴息与补偿，生成批次；每个月只结一次。",
                        "Closing computes the month's subsidies and compensation and makes the batches; a month closes once."),
    "dash.close_button": ("结账", "Close the month"),
    "dash.closed_ok": ("{period} 已结账。", "{period} is closed."),
    "dash.budget": ("贴息预算", "Subsidy budget"),
    "dash.year": ("年度", "Year"),
    "dash.appropriated": ("拨款", "Appropriated"),
    "dash.paid": ("已支付", "Paid"),
    "dash.approved_unpaid": ("已审批未支付", "Approved, unpaid"),
    "dash.left": ("余额", "Left"),
    "dash.pool": ("风险补偿资金池", "Risk-compensation pool"),
    "dash.pool_cash": ("资金池存款", "Pool cash"),
    "dash.pool_owed": ("应付补偿", "Owed to banks"),
    "dash.pool_available": ("可用余额", "Available"),
    "dash.covered_principal": ("在保本金", "Covered principal"),
    "dash.capacity": ("剩余放大额度", "Capacity left"),
    "dash.leverage": ("放大倍数", "Leverage"),
    "dash.chart": ("月度贴息与补偿", "Monthly subsidy and compensation"),
    "dash.chart_empty": ("结账后这里会显示每月金额。", "Monthly amounts appear here once a month is closed."),
    # batch page
    "batch.title": ("{period} {kind}批次", "{period} {kind} batch"),
    "batch.summary": ("批次概况", "Summary"),
    "batch.submitted_by": ("提交人", "Submitted by"),
    "batch.approved_by": ("审批人", "Approved by"),
    "batch.rejected": ("上次退回理由", "Last rejected because"),
    "batch.lines": ("明细", "Lines"),
    "batch.line": ("明细号", "Line"),
    "batch.event": ("利息记录", "Interest record"),
    "batch.interest_period": ("计息期间", "Interest period"),
    "batch.interest": ("实付利息", "Interest paid"),
    "batch.computed": ("测算贴息", "Computed"),
    "batch.capped": ("封顶扣减", "Capped"),
    "batch.line_status": ("明细状态", "Line status"),
    "batch.payees": ("收款方", "Payees"),
    "batch.pays": ("本次支付", "Pays"),
    "batch.carried_out": ("结转下期", "Carried out"),
    "batch.payment": ("支付状态", "Payment"),
    "batch.paid_on": ("支付日期", "Paid on"),
    "batch.reference": ("支付流水号", "Reference"),
    "batch.voucher": ("付款凭证", "Voucher"),
    "batch.payments_link": ("登记支付结果", "Record payments"),
    "batch.submit": ("提交审批", "Submit for approval"),
    "batch.submit_help": ("公示期满且没有未处理异议后，经办人提交审批。",
                          "A clerk submits once publicity is over and no objection is open."),
    "batch.approve": ("审批通过", "Approve"),
    "batch.reject": ("退回", "Reject"),
    "batch.reject_reason": ("退回理由", "Reason for rejecting"),
    "batch.checker_help": ("审批人不能是提交人本人。", "The approver must be someone other than the submitter."),
    "batch.submitted_ok": ("批次已提交审批。", "The batch was submitted for approval."),
    "batch.approved_ok": ("批次已审批通过。", "The batch was approved."),
    "batch.rejected_ok": ("批次已退回。", "The batch was rejected."),
    "batch.publicity_until": ("公示至 {date}（含）", "In publicity until {date} (inclusive)"),
    "batch.objections": ("异议", "Objections"),
    "batch.no_lines": ("没有符合条件的明细。", "No line matches."),
    # payments
    "pay.title": ("登记支付结果", "Record payment results"),
    "pay.help": ("对每个收款方选择“已支付”（填写支付日期和银行流水号）或“支付失败”；失败的金额结转到下一批次。",
                 "For each payee choose paid (with the date and the bank reference) or failed; a failed amount is carried to the next batch."),
    "pay.skip": ("暂不登记", "leave for now"),
    "pay.paid": ("已支付", "paid"),
    "pay.failed": ("支付失败", "failed"),
    "pay.submit": ("保存支付结果", "Save payment results"),
    "pay.recorded_ok": ("支付结果已登记。", "The payment results were recorded."),
    "pay.nothing": ("没有待支付的收款方。", "No payee is waiting for payment."),
    # voucher
    "voucher.title": ("付款凭证", "Payment voucher"),
    "voucher.no": ("凭证号", "Voucher no."),
    "voucher.payee": ("收款单位", "Payee"),
    "voucher.account": ("收款账号", "Account number"),
    "voucher.account_holder": ("账户名称", "Account holder"),
    "voucher.account_bank": ("开户银行", "Bank of account"),
    "voucher.purpose": ("用途", "Purpose"),
    "voucher.purpose_subsidy": ("{period} 数字贷贷款贴息", "Digital-loan interest subsidy, {period}"),
    "voucher.purpose_compensation": ("{period} 数字贷风险补偿", "Digital-loan risk compensation, {period}"),
    "voucher.figures": ("金额（小写）", "Amount in figures"),
    "voucher.capitals": ("金额（大写）", "Amount in words (大写)"),
    "voucher.maker": ("制单（提交）", "Prepared (submitted) by"),
    "voucher.checker": ("审核（审批）", "Checked (approved) by"),
    "voucher.payer": ("付款单位", "Payer"),
    "voucher.payer_name": ("中山市工业和信息化局", "Zhongshan Bureau of Industry and Information Technology"),
    "voucher.date": ("日期", "Date"),
    # objections
    "obj.title": ("异议", "Objections"),
    "obj.id": ("编号", "No."),
    "obj.line": ("明细", "Line"),
    "obj.filed_by": ("提出人", "Filed by"),
    "obj.filed_at": ("提出时间", "Filed at"),
    "obj.resolution": ("处理结果", "Resolution"),
    "obj.uphold": ("异议成立（暂缓发放，下月重算）", "Uphold (hold the line back, recompute next month)"),
    "obj.dismiss": ("驳回异议", "Dismiss"),
    "obj.resolve": ("处理", "Resolve"),
    "obj.resolved_ok": ("异议已处理。", "The objection was resolved."),
    "obj.filed_ok": ("异议已提交，工作人员会尽快处理。", "Your objection was filed; staff will look at it."),
    "obj.form_reason": ("异议理由", "Why you object"),
    "obj.form_submit": ("提出异议", "Object"),
    "obj.only_publicity": ("公示期内可以对明细提出异议。", "You can object to a line while it is in publicity."),
    "obj.filter_open": ("待处理", "Open"),
    # reconciliation
    "rec.title": ("{period} 对账", "Reconciliation of {period}"),
    "rec.check": ("检查项", "Check"),
    "rec.ok": ("通过", "OK"),
    "rec.failed": ("不一致", "Mismatch"),
    "rec.detail": ("说明", "Detail"),
    "rec.discrepancies": ("差异", "Discrepancies"),
    "rec.all_ok": ("全部检查通过。", "Every check passed."),
    "rec.not_ok": ("有检查未通过，请查看差异。", "Some checks failed; see the discrepancies."),
    "rec.downloads": ("下载（API，需令牌）", "Downloads (API, token needed)"),
    # registry
    "reg.enterprises": ("企业名录", "Enterprises"),
    "reg.search": ("按名称或代码搜索", "Search by name or code"),
    "reg.established_on": ("成立日期", "Established"),
    "reg.town": ("镇街", "Town"),
    "reg.industry": ("行业", "Industry"),
    "reg.account": ("收款账户", "Account"),
    "reg.filings": ("项目备案", "Filings"),
    "reg.filing": ("备案号", "Filing"),
    "reg.project": ("项目名称", "Project"),
    "reg.investment": ("核定投资额", "Eligible investment"),
    "reg.approved_on": ("批准日期", "Approved on"),
    "reg.revoked_on": ("撤销日期", "Revoked on"),
    "reg.loans": ("贷款", "Loans"),
    "reg.loan": ("贷款", "Loan"),
    "reg.product": ("产品", "Product"),
    "reg.principal": ("合同本金", "Principal"),
    "reg.rate": ("年利率", "Annual rate"),
    "reg.start": ("起始日", "Start"),
    "reg.maturity": ("到期日", "Maturity"),
    "reg.coverage": ("风险补偿", "Coverage"),
    "reg.balance": ("当前余额", "Balance"),
    "reg.npl_date": ("不良日期", "NPL date"),
    "reg.eligibility": ("今日贴息资格", "Eligible today"),
    "reg.granted": ("已发放贴息", "Subsidy granted"),
    "reg.timeline": ("余额变化", "Balance over time"),
    "reg.from": ("自", "From"),
    "reg.to": ("至（不含）", "To (exclusive)"),
    "reg.events": ("银行报送事件", "Bank events"),
    "reg.event_id": ("事件号", "Event"),
    "reg.type": ("类型", "Type"),
    "reg.details": ("内容", "Details"),
    "reg.voided": ("已作废", "voided"),
    "reg.days": ("天数", "Days"),
    "line.removed_days": ("不予贴息的天数（按原因）", "Days not subsidised, by reason"),
    "reg.lines": ("贴息/补偿明细", "Lines"),
    "reg.claims": ("代偿", "Claims"),
    "reg.subsidy_by_year": ("各年度已发放贴息", "Subsidy granted per year"),
    "reg.blacklist": ("失信名单记录", "Blacklist entries"),
    "reg.no_match": ("没有找到企业。", "No enterprise found."),
    # portal
    "portal.title": ("我的贴息", "My subsidies"),
    "portal.intro": ("贴息由系统根据银行报送的数据自动计算，无需申请（免申即享）。下面是您的贷款、每一笔贴息明细及原因、支付情况。",
                     "Subsidies are computed from your banks' data without any application (免申即享). Below are your loans, every subsidy line with its reasons, and the payments."),
    "portal.my_loans": ("我的贷款", "My loans"),
    "portal.my_lines": ("我的贴息明细", "My subsidy lines"),
    "portal.my_payments": ("到账记录", "Payments"),
    "portal.my_objections": ("我的异议", "My objections"),
    "portal.why": ("说明", "Why"),
    "portal.full": ("按实付利息全额贴息。", "Full subsidy of the interest paid."),
    "portal.in_publicity": ("公示中，可提出异议", "In publicity: you may object"),
}
