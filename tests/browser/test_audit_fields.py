"""The audit page's before and after in words, in chromium (issue 15): an enterprise's changed
town and account on the demo data played on (tests/support/demo_story.py), each field by its
caption, 变更前 beside 变更后, the changed values highlighted; and the batch page's
提交日期 / 审批日期. Screenshots: test-artifacts/screenshots/test_audit_*."""

from __future__ import annotations

import pytest

from loanledger import demo_data
from loanledger.services import registry
from tests.support.browser import login
from tests.support.demo_story import play

pytestmark = pytest.mark.browser


@pytest.fixture
def story(app, db):
    story = play(app, db)
    registry.update_enterprise(
        db,
        demo_data.ENTERPRISES[0][0],
        {
            "town": "南头镇",
            "account": {
                "holder": demo_data.ENTERPRISES[0][1],
                "number": "622202000000009999",
                "bank_name": "中国银行中山分行",
            },
        },
        "user:clerk",
    )
    db.commit()
    return story


def _password(story, role: str) -> tuple[str, str]:
    return next((u, p) for u, p, r in story.report.users if r == role)


def test_audit_page_shows_a_changed_record_in_words(page, story, shots):
    login(page, *_password(story, "auditor"))
    page.goto("/bureau/audit?action=enterprise.update")
    row = page.locator('.audit-row[data-action="enterprise.update"]').last
    row.locator("summary").click()
    fields = row.locator("table.audit-fields")
    assert fields.is_visible()
    assert fields.locator("thead").inner_text().split() == ["项目", "变更前", "变更后"]
    town = fields.locator('tr[data-key="town"]')
    assert town.locator("th").inner_text() == "镇街"
    assert town.locator(".audit-after").inner_text() == "南头镇"
    assert "changed" in (town.get_attribute("class") or "")
    account = fields.locator('tr[data-key="account"] .audit-after').inner_text()
    assert "账号：622202000000009999" in account and "开户银行：中国银行中山分行" in account
    assert row.locator("[data-verbatim]").count() == 0
    shots(page, "audit-changed-enterprise")

    page.goto("/bureau/audit?action=batch.submit")
    submit = page.locator('.audit-row[data-action="batch.submit"]').last
    submit.locator("summary").click()
    status = submit.locator('tr[data-key="status"]')
    assert status.locator(".audit-before").inner_text() == "待提交"
    assert status.locator(".audit-after").inner_text() == "待审批"
    assert submit.locator('tr[data-key="submitted_on"] .audit-after').inner_text() == "2025-03-21"
    shots(page, "audit-batch-submitted")


def test_audit_batch_page_gives_business_dates(page, story, shots):
    login(page, *_password(story, "clerk"))
    page.goto(f"/bureau/batches/{story.paid_batch_id}")
    assert page.locator("#submitted-on").inner_text() == "提交日期 2025-03-21"
    assert page.locator("#approved-on").inner_text() == "审批日期 2025-03-21"
    assert "系统时间" in page.locator("#submitted-by").inner_text()
    shots(page, "batch-business-dates")
