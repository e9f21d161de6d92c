"""The public 公示 page in chromium, without sign-in: on a desktop, on a phone 390 px wide (no
sideways scroll: each enterprise becomes a card), on paper (print media: no navigation, the
table's header row kept), and from the bureau's batch page (print and download the list).
Screenshots: test-artifacts/screenshots/test_public_page_*.
"""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from tests.support.browser import TIMEOUT_MS, login
from tests.support.publicity import ENTERPRISES, publicity_world

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def world(staff, bank):
    return publicity_world(staff, bank)


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


def test_public_page_on_a_desktop(page, world, shots):
    page.goto("/gongshi")
    assert page.locator("#current-user").count() == 0  # nobody is signed in
    assert page.locator(".public-row").count() == len(ENTERPRISES)
    assert page.locator(".publicity-dates").inner_text() == "2025年2月6日至2025年2月11日"
    assert page.locator(".public-total td").inner_text() == "¥4,734.17"
    assert page.locator("table.public-list thead").is_visible()
    shots(page, "desktop")

    page.fill("#publicity-search input[name=q]", "美灯")
    with page.expect_navigation():
        page.click("#publicity-search-button")
    assert page.locator(".enterprise-name").all_inner_texts() == ["中山市美灯照明科技有限公司"]
    shots(page, "search")


def test_public_page_on_a_phone(phone, world, shots):
    phone.goto("/gongshi")
    assert phone.locator(".public-row").count() == len(ENTERPRISES)
    assert scroll_width(phone) <= PHONE["width"]
    assert not phone.locator("table.public-list thead").is_visible()  # cards, not columns
    first, second = (phone.locator(".public-row").nth(i).bounding_box() for i in (0, 1))
    assert first and second and second["y"] >= first["y"] + first["height"]  # stacked
    shots(phone, "phone-390")

    phone.goto(f"/gongshi/{world.batch_id}")
    assert scroll_width(phone) <= PHONE["width"]
    shots(phone, "phone-390-one-batch")


def test_public_page_on_paper(page, world, shots):
    page.goto(f"/gongshi/{world.batch_id}")
    page.emulate_media(media="print")
    assert not page.locator("header.top").is_visible()
    assert not page.locator(".publicity-actions").is_visible()
    assert page.locator("table.public-list thead").is_visible()
    assert page.locator("thead").evaluate("e => getComputedStyle(e).display") == (
        "table-header-group"  # repeated on every printed page
    )
    shots(page, "print")
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")


def test_public_page_from_the_bureau_batch_page(page, world, staff, shots):
    staff.create("clerk-b", "clerk", "clerk-b-password")
    login(page, "clerk-b", "clerk-b-password")
    page.goto(f"/bureau/batches/{world.batch_id}")
    with page.expect_download() as download:
        page.click("#download-publicity")
    sheet = load_workbook(io.BytesIO(download.value.path().read_bytes())).active
    assert sheet["A1"].value == "2025年1月数字贷贴息公示名单"

    with page.context.expect_page() as opened:
        page.click("#print-publicity")  # a new tab, ready to print
    printable = opened.value
    printable.wait_for_load_state()
    assert printable.url.endswith(f"/gongshi/{world.batch_id}?print=1")
    assert printable.locator(".public-row").count() == len(ENTERPRISES)
    shots(printable, "printable-from-the-batch-page")
