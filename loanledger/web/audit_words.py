"""The audit trail's codes in words for the auditor's page: what was done (`action`) and to
what (`entity`). The API and the export keep the codes; the page shows both."""

from __future__ import annotations

from flask_babel import LazyString, lazy_gettext

ACTIONS: dict[str, LazyString] = {
    "bank.create": lazy_gettext("新增合作银行"),
    "bank.rotate_key": lazy_gettext("更换银行接口密钥"),
    "bank.revoke_key": lazy_gettext("吊销银行接口密钥"),
    "batch.publicity_over": lazy_gettext("公示期结束"),
    "batch.submit": lazy_gettext("提交批次"),
    "batch.approve": lazy_gettext("审批通过批次"),
    "batch.reject": lazy_gettext("退回批次"),
    "batch.payments": lazy_gettext("批次支付状态变更"),
    "batch.payment_file_downloaded": lazy_gettext("下载付款文件"),
    "batch.payment_results": lazy_gettext("导入银行回单"),
    "blacklist.create": lazy_gettext("列入失信名单"),
    "blacklist.lift": lazy_gettext("移出失信名单"),
    "budget.create": lazy_gettext("设定年度预算"),
    "business_date.set": lazy_gettext("设定业务日期"),
    "calendar.add": lazy_gettext("维护工作日历"),
    "calendar.remove": lazy_gettext("移除工作日历中的日期"),
    "close_job.request": lazy_gettext("申请月度结账"),
    "close_job.failed": lazy_gettext("月度结账未完成"),
    "control_total.submit": lazy_gettext("银行报送控制总数"),
    "enterprise.create": lazy_gettext("登记企业"),
    "enterprise.update": lazy_gettext("修改企业信息"),
    "enterprise_list.create": lazy_gettext("新建名录库"),
    "enterprise_list.import": lazy_gettext("导入名录文件"),
    "enterprise_list_member.add": lazy_gettext("纳入名录"),
    "enterprise_list_member.change": lazy_gettext("修改名录期间"),
    "filing.create": lazy_gettext("登记项目备案"),
    "filing.complete": lazy_gettext("项目备案完成"),
    "filing.lapsed": lazy_gettext("项目备案失效"),
    "filing.revoke": lazy_gettext("撤销项目备案"),
    "import.done": lazy_gettext("银行文件导入完成"),
    "loan.amend": lazy_gettext("变更贷款合同"),
    "loan.register": lazy_gettext("登记贷款"),  # services.bulk, audited in one INSERT
    "loan.link": lazy_gettext("关联项目备案"),
    "loan_event.void": lazy_gettext("作废贷款事件"),
    "lpr.create": lazy_gettext("登记LPR"),
    "notice.read": lazy_gettext("企业阅读站内信"),
    "notice.emailed": lazy_gettext("站内信邮件已发送"),
    "notice.email_failed": lazy_gettext("站内信邮件发送失败（停止重试）"),
    "objection.file": lazy_gettext("企业提出异议"),
    "objection.upheld": lazy_gettext("异议成立"),
    "objection.dismissed": lazy_gettext("异议驳回"),
    "payment.paid": lazy_gettext("登记支付成功"),
    "payment.failed": lazy_gettext("登记支付失败"),
    "period.close": lazy_gettext("月度结账"),
    "policy.update": lazy_gettext("修改政策参数"),
    "pool_deposit.create": lazy_gettext("资金池注资"),
    "product.create": lazy_gettext("新增贷款产品"),
    "receivable.settle": lazy_gettext("结清应收追偿款"),
    "risk_pool.create": lazy_gettext("新建风险补偿资金池"),
    "token.revoke": lazy_gettext("吊销接口令牌"),
    "user.create": lazy_gettext("新建用户"),
    "user.deactivate": lazy_gettext("停用用户"),
    "user.reactivate": lazy_gettext("重新启用用户"),
    "user.update": lazy_gettext("修改用户姓名或角色"),
    "user.reset_password": lazy_gettext("重置用户密码"),
    "user.sign_out": lazy_gettext("用户退出登录"),
    "user.sign_out_everywhere": lazy_gettext("强制用户在所有设备退出"),
}

ENTITIES: dict[str, LazyString] = {
    "bank": lazy_gettext("合作银行"),
    "bank_key": lazy_gettext("银行接口密钥"),
    "batch": lazy_gettext("批次"),
    "batch_payee": lazy_gettext("批次收款人"),
    "blacklist_entry": lazy_gettext("失信名单记录"),
    "budget": lazy_gettext("年度预算"),
    "business_date": lazy_gettext("业务日期"),
    "calendar_day": lazy_gettext("工作日历"),
    "close_job": lazy_gettext("结账任务"),
    "control_total": lazy_gettext("控制总数"),
    "enterprise": lazy_gettext("企业"),
    "enterprise_list": lazy_gettext("名录库"),
    "enterprise_list_member": lazy_gettext("名录期间"),
    "filing": lazy_gettext("项目备案"),
    "import": lazy_gettext("文件导入"),
    "loan": lazy_gettext("贷款"),
    "loan_event": lazy_gettext("贷款事件"),
    "lpr": lazy_gettext("贷款市场报价利率（LPR）"),
    "notice": lazy_gettext("站内信"),
    "objection": lazy_gettext("异议"),
    "outbox": lazy_gettext("待发邮件"),
    "period": lazy_gettext("月度"),
    "policy": lazy_gettext("政策"),
    "pool_deposit": lazy_gettext("资金池注资"),
    "product": lazy_gettext("贷款产品"),
    "receivable": lazy_gettext("应收追偿款"),
    "risk_pool": lazy_gettext("风险补偿资金池"),
    "user": lazy_gettext("用户"),
}


def action_words(code: str) -> str:
    words = ACTIONS.get(code)
    return code if words is None else str(words)


def entity_words(code: str) -> str:
    words = ENTITIES.get(code)
    return code if words is None else str(words)
