"""Issue 15: the audit page shows an entry's before and after as a small table, each field by
its caption in words and each value formatted (¥ amounts, Beijing times, statuses, people,
banks and pools by name); a field it has no words for is shown as stored, marked
`data-identifier`; the CSV export keeps the raw JSON."""

from __future__ import annotations

import csv
import html
import io
import json
import re

import pytest
from sqlalchemy import select

from loanledger.persistence.tables import AuditEntry
from tests.support.crawl import Allowed, findings, visible_text
from tests.support.demo_story import play
from tests.support.web import Web, text


@pytest.fixture
def story(app, db):
    return play(app, db)


def _auditor(app, story) -> Web:
    username, password = next((u, p) for u, p, r in story.report.users if r == "auditor")
    web = Web(app)
    web.login(username, password)
    return web


def _fields(page: str, audit_id: int) -> dict[str, tuple[str, ...]]:
    """caption → the cells after it, as plain text, of one entry's field table."""
    row = re.search(
        rf'<tr class="audit-row" data-audit-id="{audit_id}".*?</tr>\s*</tbody>', page, re.S
    )
    assert row, audit_id
    shown = {}
    for field in re.findall(r'<tr class="audit-field[^"]*"[^>]*>(.*?)</tr>', row.group(0), re.S):
        cells = [
            html.unescape(re.sub(r"<[^>]+>", "", c)).strip()
            for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", field, re.S)
        ]
        shown[cells[0]] = tuple(cells[1:])
    return shown


def _changed_keys(page: str, audit_id: int) -> list[str]:
    row = re.search(
        rf'<tr class="audit-row" data-audit-id="{audit_id}".*?</tr>\s*</tbody>', page, re.S
    )
    assert row, audit_id
    return re.findall(r'<tr class="audit-field changed" data-key="([^"]+)"', row.group(0))


def _entry(db, action: str) -> AuditEntry:
    return db.scalars(
        select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id.desc())
    ).first()


def test_a_submitted_batch_is_shown_field_by_field_in_words(app, db, story):
    page = text(_auditor(app, story).get("/bureau/audit?action=batch.submit"))
    entry = _entry(db, "batch.submit")
    fields = _fields(page, entry.id)
    assert fields["状态"] == ("待提交", "待审批")
    assert fields["提交人"] == ("", "张敏")
    assert fields["提交日期"] == ("", "2025-03-21")
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", fields["提交时间（系统时间）"][1])
    assert _changed_keys(page, entry.id) == [
        "status",
        "submitted_by",
        "submitted_at",
        "submitted_on",
    ]
    assert "data-verbatim" not in page
    shown, _links = visible_text(page)
    assert "user:" not in shown and '{"' not in shown


def test_amounts_are_in_yuan_and_a_record_inside_a_record_is_captioned(app, db, story):
    page = text(_auditor(app, story).get("/bureau/audit?action=objection.upheld"))
    fields = _fields(page, _entry(db, "objection.upheld").id)
    assert fields["状态"] == ("待处理", "异议成立")
    hold = fields["暂缓发放"][-1]
    assert "金额：¥2,683.33" in hold and "批次合计：¥5,855.55" in hold
    paid = _fields(
        text(_auditor(app, story).get("/bureau/audit?action=payment.paid")),
        _entry(db, "payment.paid").id,
    )
    assert paid["支付状态"] == ("待支付", "已支付")
    assert paid["应付金额"] == ("", "¥1,820.83")


def test_an_unknown_field_is_shown_as_stored_and_codes_by_name(app, db, story):
    db.add(
        AuditEntry(
            actor="user:approver",
            action="product.create",
            entity="product",
            entity_id="ZSRCB-SME",
            before={"risk_pool": None, "status": "ready"},
            after={
                "risk_pool": "ZBD",
                "status": "paid",
                "bank_code": "ZSRCB",
                "total": "5000000.00",
                "principal_fen": 123456,
                "risk_covered": True,
                "mystery_key": "x",
            },
        )
    )
    db.commit()
    entry = _entry(db, "product.create")
    page = text(_auditor(app, story).get("/bureau/audit?action=product.create"))
    fields = _fields(page, entry.id)
    assert fields["风险补偿资金池"][0] == "—" and fields["风险补偿资金池"][1] != "ZBD"
    assert fields["状态"] == ("待提交", "已支付")
    assert fields["银行"] == ("", "中山农商银行")
    assert fields["合计"] == ("", "¥5,000,000.00")
    assert fields["纳入风险补偿"] == ("", "是")
    assert ("", "¥1,234.56") in fields.values()
    assert "<th><span data-identifier>mystery_key</span></th>" in page
    shown, _links = visible_text(page)
    assert "mystery_key" not in shown and "5000000.00" not in shown


def test_a_policy_change_is_shown_in_the_policy_pages_words(app, db, story):
    db.add(
        AuditEntry(
            actor="user:admin",
            action="policy.update",
            entity="policy",
            entity_id="2",
            before={"annual_cap_per_enterprise": "500000.00", "subsidy_ratios": ["0.50", "0.30"]},
            after={"annual_cap_per_enterprise": "800000.00", "subsidy_ratios": ["0.50", "0.40"]},
        )
    )
    db.commit()
    page = text(_auditor(app, story).get("/bureau/audit?action=policy.update"))
    fields = _fields(page, _entry(db, "policy.update").id)
    assert fields["每家企业每年贴息上限"] == ("¥500,000.00", "¥800,000.00")
    assert fields["各年贴息比例"] == ("50%、30%", "50%、40%")


def test_the_page_has_no_english_and_the_export_keeps_the_raw_json(app, db, story):
    auditor = _auditor(app, story)
    for action in ("batch.submit", "batch.approve", "payment.paid", "objection.upheld"):
        shown, _links = visible_text(text(auditor.get(f"/bureau/audit?action={action}")))
        assert findings(shown, Allowed(frozenset({"ZS202503210001"}))) == [], action
    export = auditor.get("/bureau/audit.csv?action=batch.submit")
    header, *rows = csv.reader(io.StringIO(export.get_data(as_text=True)[1:]))
    after = rows[-1][header.index("变更后")]
    entry = _entry(db, "batch.submit")
    assert rows[-1][0] == str(entry.id)
    assert json.loads(after) == entry.after and after.startswith('{"status": ')


def test_codes_of_imports_files_and_the_calendar_are_in_words(app, db, story):
    db.add_all(
        [
            AuditEntry(
                actor="bank:ZSRCB",
                action="import.done",
                entity="import",
                entity_id="7",
                before=None,
                after={"kind": "events", "sha256": "ab12cd", "rows": 3, "interest_total_fen": 10},
            ),
            AuditEntry(
                actor="user:clerk",
                action="batch.payment_file_downloaded",
                entity="batch",
                entity_id="1",
                before=None,
                after={"format": "csv", "payees": 2, "total": "2854.16"},
            ),
            AuditEntry(
                actor="user:admin",
                action="calendar.add",
                entity="calendar_day",
                entity_id="2025-10-11",
                before=None,
                after={"day": "2025-10-11", "kind": "workday", "created_by": "user:admin"},
            ),
        ]
    )
    db.commit()
    auditor = _auditor(app, story)
    imported = _fields(
        text(auditor.get("/bureau/audit?action=import.done")), _entry(db, "import.done").id
    )
    assert imported["类别"] == ("事件文件",) and imported["利息合计"] == ("¥0.10",)
    assert imported["文件校验值（SHA-256）"] == ("ab12cd",)
    downloaded = _fields(
        text(auditor.get("/bureau/audit?action=batch.payment_file_downloaded")),
        _entry(db, "batch.payment_file_downloaded").id,
    )
    assert downloaded["文件格式"] == ("CSV",) and downloaded["合计"] == ("¥2,854.16",)
    day = _fields(
        text(auditor.get("/bureau/audit?action=calendar.add")), _entry(db, "calendar.add").id
    )
    assert day["类别"] == ("调休上班",) and day["创建人"] == ("王芳",)
