"""Every page in Chinese words (issue 15, "Words"): signed in as each person of the demo data
(`loanledger demo-data`), a crawl of every page reachable by a link shows no English word,
no code identifier (snake_case, `user:clerk`, a bank's or product's code) and no amount
without ¥ and thousands separators (tests/support/crawl.py has the lists and their reasons)."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from sqlalchemy import select

from loanledger import demo_data
from loanledger.persistence.tables import (
    Batch,
    BatchPayee,
    BusinessDate,
    Line,
)
from loanledger.services import read
from loanledger.web import names
from loanledger.web.format import yuan
from tests.support.crawl import allowed_in, crawl, findings, report, visible_text
from tests.support.demo_story import NPL_CONTRACT, UPHELD_NOTE, play
from tests.support.web import CONFIRMED, Web, flashes, text


@pytest.fixture
def demo(app, db):
    """The demo data, carried on to a paid and a failed payment and an upheld objection."""
    return play(app, db).report


def test_no_page_shows_english_codes_or_raw_amounts(app, db, demo):
    allowed = allowed_in(db)
    problems, pages = [], 0
    for username, password, _role in demo.users:
        web = Web(app)
        landing = web.login(username, password)  # with its welcome
        start = landing.request.path
        welcome = findings(visible_text(landing.get_data(as_text=True))[0], allowed)
        if welcome:
            problems.append((username, f"{start} (signed in)", welcome))
        for path, status, shown in crawl(web, start):
            pages += 1
            assert status < 500, (username, path)
            found = findings(shown, allowed)
            if found:
                problems.append((username, path, found))
    assert pages > 20
    assert not problems, report(problems)


def test_every_page_also_renders_in_english(app, demo):
    """The same pages after the switch to English: none fails (the new words have their
    English; the Chinese-only checks above do not apply)."""
    for username, password, _role in demo.users:
        web = Web(app)
        start = web.login(username, password).request.path
        web.get(f"/lang/en?next={start}")
        for path, status, shown in crawl(web, start):
            assert status < 500, (username, path)
            assert "当前用户" not in shown, (username, path)  # still in English


# ---------------------------------------------------------------- the items of issue 15 "Words"
@pytest.fixture
def story(app, db):
    return play(app, db)


def _signed_in(app, story, role: str) -> Web:
    username, password = next((u, p) for u, p, r in story.report.users if r == role)
    web = Web(app)
    web.login(username, password)
    return web


def _row(html: str, row_class: str, attribute: str, value) -> str:
    found = re.search(
        rf'<tr class="{row_class}[^"]*"[^>]*{attribute}="{value}"[^>]*>(.*?)</tr>', html, re.S
    )
    assert found, (row_class, attribute, value)
    return found.group(0)


def test_the_portal_shows_the_enterprises_own_payment_status_not_its_batchs(app, db, story):
    page = text(_signed_in(app, story, "enterprise").get("/portal"))
    january = _row(page, "line-row", "data-line-id", story.paid_line_id)
    assert 'data-batch-status="partially_paid"' in january  # the other payee's payment failed
    assert 'data-own-status="paid"' in january and "已支付" in january
    assert "部分支付" not in january


def test_an_upheld_objection_says_why_the_line_pays_nothing(app, db, story):
    page = text(_signed_in(app, story, "enterprise").get("/portal"))
    held = _row(page, "line-row", "data-line-id", story.objection_line_id)
    assert 'data-own-status="held"' in held and "暂缓" in held
    assert "异议成立" in held and "¥0.00" in held and UPHELD_NOTE in held
    march = _row(page, "payment-row", "data-batch-id", story.publicity_batch_id)
    assert "无需支付" in march and "异议成立暂缓支付" in march
    objection = re.search(r'<tr class="objection-row".*?</tr>', page, re.S).group(0)
    assert "暂缓支付" in objection and UPHELD_NOTE in objection and "张敏" in objection
    line_page = text(
        _signed_in(app, story, "enterprise").get(f"/portal/lines/{story.objection_line_id}")
    )
    assert "异议成立" in line_page and UPHELD_NOTE in line_page


def test_the_portal_shows_the_publicity_end_of_the_public_list(app, db, story):
    today = dt.date.fromisoformat("2025-04-01")
    public = read.publicity_list(db, today, story.publicity_batch_id)
    assert public is not None
    ends_on = public.ends_on.isoformat()
    page = text(_signed_in(app, story, "enterprise").get("/portal"))
    assert f"公示截止 {ends_on}" in page
    assert f"公示期 {public.starts_on.isoformat()} 至 {ends_on}" in page
    line_page = text(
        _signed_in(app, story, "enterprise").get(f"/portal/lines/{story.objection_line_id}")
    )
    assert f"公示截止 {ends_on}" in line_page


def test_a_batch_names_its_submitter_and_approver_and_the_approvals_business_date(app, story):
    page = text(_signed_in(app, story, "auditor").get(f"/bureau/batches/{story.paid_batch_id}"))
    submitted = re.search(r'<td id="submitted-by">(.*?)</td>', page, re.S).group(1)
    approved = re.search(r'<td id="approved-by">(.*?)</td>', page, re.S).group(1)
    assert submitted.startswith("张敏") and "系统时间" in submitted
    assert (
        approved.startswith("李伟") and "审批日期 2025-03-21" in approved and "系统时间" in approved
    )
    assert "user:" not in page


def test_the_voucher_names_its_purpose_and_signatories(app, db, story):
    uscc = demo_data.ENTERPRISES[0][0]
    page = text(
        _signed_in(app, story, "clerk").get(
            f"/bureau/batches/{story.paid_batch_id}/payees/{uscc}/voucher"
        )
    )
    purpose = re.search(r'<span id="voucher-purpose">(.*?)</span>', page).group(1)
    assert purpose == "2025-01 数字贷贷款贴息资金"
    assert "制单（提交）: 张敏" in page and "审核（审批）: 李伟" in page


def test_subsidy_paid_counts_only_what_was_paid(app, db, story):
    """January paid the first enterprise and failed the third; February and March are not
    paid: 已发放贴息 is January's line for the first, nothing for the third."""
    paid = read.subsidy_paid(db, [("ZSRCB", "ZSRCB-2025-0001"), ("BOCZS", "BOCZS-2025-0001")])
    january_fen = db.scalar(select(Line.amount_fen).where(Line.id == story.paid_line_id))
    assert paid == {("ZSRCB", "ZSRCB-2025-0001"): january_fen, ("BOCZS", "BOCZS-2025-0001"): 0}
    page = text(_signed_in(app, story, "clerk").get("/bureau/loans/ZSRCB/ZSRCB-2025-0001"))
    shown = re.search(r'<td class="num" id="subsidy-paid">(.*?)<', page).group(1).strip()
    granted = re.search(r'<td class="num" id="subsidy-granted">(.*?)<', page).group(1).strip()
    assert shown == yuan(january_fen) and granted != shown


def test_bank_events_have_chinese_captions_and_formatted_values(app, story):
    page = text(_signed_in(app, story, "clerk").get("/bureau/loans/ZSRCB/ZSRCB-2025-0001"))
    events = re.search(r'<table id="events">.*?</table>', page, re.S).group(0)
    assert "放款" in events and "金额：¥1,000,000.00" in events
    assert "付息日：2025-01-21" in events and "正常利息：¥1,820.83" in events
    assert "计息起日：2025-01-02" in events
    for code in ("paid_on", "period_start", "interest:", "amount:", "1000000.00"):
        assert code not in events


def test_the_audit_page_names_people_banks_and_loans(app, story):
    page = text(_signed_in(app, story, "auditor").get("/bureau/audit"))
    assert 'data-actor="user:clerk">张敏</td>' in page
    assert "中山农商银行 / ZSRCB-2025-0001" in page


def test_the_audit_page_finds_a_person_by_name(app, story):
    auditor = _signed_in(app, story, "auditor")
    by_name = text(auditor.get("/bureau/audit?actor=张敏"))
    by_actor = text(auditor.get("/bureau/audit?actor=user:clerk"))
    rows = re.findall(r'<tr class="audit-row" data-audit-id="(\d+)"', by_name)
    assert rows and rows == re.findall(r'<tr class="audit-row" data-audit-id="(\d+)"', by_actor)
    assert set(re.findall(r'data-actor="([^"]+)"', by_name)) == {"user:clerk"}


def test_a_claims_voucher_and_loan_say_what_the_pool_pays_in_words(app, db, story):
    """The 助保贷 loan gone bad: its compensation batch pays the bank from pool ZBD."""
    batch = db.scalar(select(Batch).where(Batch.kind == "compensation", Batch.pool_code == "ZBD"))
    clerk = _signed_in(app, story, "clerk")
    voucher = text(clerk.get(f"/bureau/batches/{batch.id}/payees/ZSRCB/voucher"))
    purpose = re.search(r'<span id="voucher-purpose">(.*?)</span>', voucher).group(1)
    assert purpose == "2025-03 助保贷担保金代偿资金"
    assert "中山农商银行" in voucher
    loan = text(clerk.get(f"/bureau/loans/ZSRCB/{NPL_CONTRACT}"))
    assert "逾期天数：91 天" in loan and "五级分类：次级" in loan
    assert "已列入批次" in loan and "lined" not in loan


def test_a_failed_payment_counts_as_paid_once_the_batch_it_was_carried_to_pays_it(app, db, story):
    """January failed the third enterprise; March's batch carries it. Once March is paid,
    已发放贴息 of its loan holds January's line too (and March's own)."""
    failed_uscc = demo_data.ENTERPRISES[2][0]
    carried_to = db.scalar(
        select(BatchPayee.carried_to_batch_id).where(
            BatchPayee.batch_id == story.paid_batch_id, BatchPayee.payee_id == failed_uscc
        )
    )
    assert carried_to == story.publicity_batch_id
    db.get(BusinessDate, 1).today = dt.date(2025, 4, 14)  # 公示 of March is over
    db.commit()
    clerk, approver = _signed_in(app, story, "clerk"), _signed_in(app, story, "approver")
    path = f"/bureau/batches/{carried_to}"
    for who, action in ((clerk, "submit"), (approver, "approve")):
        assert not flashes(who.post(f"{path}/{action}", CONFIRMED, from_page=path), "error")
    paid = clerk.post(
        f"{path}/payments",
        {
            "payee_id": [failed_uscc],
            "status": ["paid"],
            "paid_on": ["2025-04-14"],
            "reference": ["ZS202504140001"],
            "reason": [""],
            **CONFIRMED,
        },
        from_page=f"{path}/payments",
    )
    assert not flashes(paid, "error")
    lines = db.execute(
        select(Line.batch_id, Line.amount_fen).where(
            Line.bank_code == "BOCZS",
            Line.contract_no == "BOCZS-2025-0001",
            Line.kind == "interest",
            Line.batch_id.in_((story.paid_batch_id, carried_to)),
        )
    ).all()
    assert {batch_id for batch_id, _ in lines} == {story.paid_batch_id, carried_to}
    expected_fen = sum(amount for _, amount in lines)
    paid_fen = read.subsidy_paid(db, [("BOCZS", "BOCZS-2025-0001")])
    assert paid_fen == {("BOCZS", "BOCZS-2025-0001"): expected_fen}
    # and the enterprise sees its January line paid, in the batch it was carried to
    january_line = db.scalar(
        select(Line.id).where(Line.batch_id == story.paid_batch_id, Line.payee_id == failed_uscc)
    )
    mine = read.enterprise_line(db, failed_uscc, january_line, dt.date(2025, 4, 14))
    assert mine.own_status == "paid" and mine.payment.batch_id == carried_to


def test_every_machine_actor_has_words():
    assert set(names.MACHINE_ACTORS) == set(read.MACHINE_ACTORS)
    for words in names.MACHINE_ACTORS.values():
        assert re.search(r"[\u4e00-\u9fff]", str(words))


def test_a_refusal_on_a_chinese_page_is_in_chinese_and_keeps_its_detail_in_english(app, story):
    approver = _signed_in(app, story, "approver")
    path = f"/bureau/batches/{story.paid_batch_id}"
    (refused,) = flashes(approver.post(f"{path}/approve", CONFIRMED, from_page=path), "error")
    assert refused == "批次当前状态不允许此操作。（状态）"
    approver.get("/lang/en")
    (english,) = flashes(approver.post(f"{path}/approve", CONFIRMED, from_page=path), "error")
    assert "only a submitted batch is approved" in english


def test_the_what_if_result_is_in_words(app, db, story):
    """The result of a POST the crawl does not make: the draft as the page offers it."""
    clerk = _signed_in(app, story, "clerk")
    form = text(clerk.get("/bureau/what-if"))
    draft = html.unescape(
        re.search(r'<textarea name="policy"[^>]*>(.*?)</textarea>', form, re.S).group(1)
    )
    answer = clerk.post(
        "/bureau/what-if",
        {"policy": draft, "from": "2025-01", "to": "2025-03"},
        from_page="/bureau/what-if",
    )
    page = text(answer)
    assert 'id="what-if-banks"' in page and not flashes(answer, "error")
    shown, _links = visible_text(page)
    assert findings(shown, allowed_in(db)) == []
    assert "中山农商银行" in shown
