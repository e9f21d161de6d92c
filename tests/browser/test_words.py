"""The pages in words, in chromium (issue 15, "Words"), on the demo data played on
(tests/support/demo_story.py): the enterprise's portal on a phone 390 px wide (no sideways
scroll; its own payment status; the upheld objection's explanation; 公示截止), and the
bureau's batch page and voucher naming people and the purpose.
Screenshots: test-artifacts/screenshots/test_words_*.
"""

from __future__ import annotations

import pytest

from loanledger import demo_data
from tests.support.browser import TIMEOUT_MS, login
from tests.support.demo_story import UPHELD_NOTE, play

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def story(app, db):
    return play(app, db)


@pytest.fixture
def phone(browser, live_server, app):
    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True
    )
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


def scroll_width(page) -> int:
    return page.evaluate("document.scrollingElement.scrollWidth")


def _password(story, role: str) -> tuple[str, str]:
    return next((u, p) for u, p, r in story.report.users if r == role)


def test_words_portal_on_a_phone(phone, story, shots):
    login(phone, *_password(story, "enterprise"))
    assert phone.url.endswith("/portal")
    assert scroll_width(phone) <= PHONE["width"]
    assert phone.locator("#current-user").inner_text() == demo_data.DISPLAY_NAMES["enterprise"]
    paid = phone.locator(f'.line-row[data-line-id="{story.paid_line_id}"] .own-status')
    assert paid.inner_text().startswith("已支付")
    held = phone.locator(f'.line-row[data-line-id="{story.objection_line_id}"] .own-status')
    assert "公示截止" in held.inner_text() and UPHELD_NOTE in held.inner_text()
    assert phone.locator(".publicity-notice").count() == 1
    shots(phone, "portal-phone-390")

    phone.goto(f"/portal/lines/{story.objection_line_id}")
    assert scroll_width(phone) <= PHONE["width"]
    assert UPHELD_NOTE in phone.locator("#line-upheld").inner_text()
    shots(phone, "portal-line-phone-390")


def test_words_batch_page_and_voucher_name_people(page, story, shots):
    login(page, *_password(story, "clerk"))
    page.goto(f"/bureau/batches/{story.paid_batch_id}")
    assert page.locator("#submitted-by").inner_text().startswith("张敏")
    assert "审批日期 2025-03-21" in page.locator("#approved-by").inner_text()
    shots(page, "batch")
    uscc = demo_data.ENTERPRISES[0][0]
    page.goto(f"/bureau/batches/{story.paid_batch_id}/payees/{uscc}/voucher")
    assert page.locator("#voucher-purpose").inner_text() == "2025-01 数字贷贷款贴息资金"
    shots(page, "voucher")
