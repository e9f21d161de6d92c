"""The administrator's pages clicked through in chromium: a bank user created from the users
page; a user's name and role changed, deactivated and reactivated; a bank's key rotated, its
secret seen once (a reload shows it no more and issues nothing) and the old key revoked
after a confirmation; a risk pool created; the policy edited, compared key by key and saved
as a new version. Screenshots of each step: test-artifacts/screenshots/."""

from __future__ import annotations

import pytest

from tests.support.browser import login

pytestmark = pytest.mark.browser

PASSWORD = "admin1-browser-2026"


@pytest.fixture
def admin(staff, bank):
    """admin1 and the partner bank ZSRCB (one key); business date 2025-03-03."""
    staff.create("admin1", "admin", PASSWORD)
    staff.create("clerk1", "clerk", "clerk1-browser-2026")
    bank("ZSRCB", "中山农商银行")
    staff.set_business_date("2025-03-03")
    return "admin1"


def flashes(page, kind: str) -> list[str]:
    return page.locator(f".flash.flash-{kind}").all_inner_texts()


def click_and_wait(page, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)


def test_an_admin_creates_a_bank_user(page, admin, shots):
    login(page, admin, PASSWORD)
    click_and_wait(page, "#nav-admin")
    assert page.url.endswith("/admin/users")
    form = page.locator("#create-user")
    form.locator("input[name=username]").fill("zsrcb.li")
    form.locator("input[name=display_name]").fill("李四")
    form.locator("select[name=role]").select_option(label="银行用户")
    form.locator("select[name=bank_code]").select_option(label="中山农商银行")
    form.locator("input[name=password]").fill("zsrcb-li-2026")
    shots(page, "create-user-form")
    click_and_wait(page, "#create-user-button")
    assert flashes(page, "success") == ["用户 zsrcb.li 已创建。"]
    row = page.locator('tr.user-row[data-username="zsrcb.li"]')
    assert "李四" in row.inner_text() and "银行用户" in row.inner_text()
    assert "中山农商银行" in row.inner_text()
    shots(page, "user-created")

    # The same name again is refused in words, and nothing is added.
    form.locator("input[name=username]").fill("zsrcb.li")
    form.locator("select[name=role]").select_option(label="经办人")
    form.locator("input[name=password]").fill("another-2026")
    click_and_wait(page, "#create-user-button")
    assert flashes(page, "error") == ["该用户名已被使用。"]
    assert page.locator('tr.user-row[data-username="zsrcb.li"]').count() == 1
    shots(page, "same-name-refused")


def test_a_rotated_key_shows_its_secret_once_and_the_old_one_is_revoked(page, admin, shots):
    login(page, admin, PASSWORD)
    page.goto("/admin/banks")
    bank = page.locator('section.bank[data-bank-code="ZSRCB"]')
    old_key = bank.locator("tr.key-row").first.get_attribute("data-key-id")
    shots(page, "bank-keys")
    with page.expect_navigation():
        bank.locator("form.rotate-key button").click()
    secret = page.locator("#issued-secret").inner_text().strip()
    new_key = page.locator("#issued-key-id").inner_text().strip()
    assert len(secret) >= 40 and new_key != old_key
    assert "离开本页后密钥不会再显示" in page.locator("#secret-warning").inner_text()
    shots(page, "secret-shown-once")

    click_and_wait(page, "#back-to-banks")
    assert secret not in page.content()  # never again
    rows = page.locator('section.bank[data-bank-code="ZSRCB"] tr.key-row')
    assert rows.count() == 2
    shots(page, "two-active-keys")

    with page.expect_navigation():
        page.locator(f'tr.key-row[data-key-id="{old_key}"] a.revoke-link').click()
    assert "确认吊销" in page.locator("h1").inner_text() + page.content()
    shots(page, "revoke-confirmation")
    click_and_wait(page, "#confirm-revoke")
    assert flashes(page, "success") == [f"密钥 {old_key} 已吊销，立即失效。"]
    assert page.locator(f'tr.key-row[data-key-id="{old_key}"]').get_attribute("data-status") == (
        "revoked"
    )
    assert page.locator(f'tr.key-row[data-key-id="{new_key}"]').get_attribute("data-status") == (
        "active"
    )
    shots(page, "old-key-revoked")


def test_a_reload_of_the_secret_page_shows_no_secret_and_issues_no_key(page, admin, shots):
    login(page, admin, PASSWORD)
    page.goto("/admin/banks")
    bank = page.locator('section.bank[data-bank-code="ZSRCB"]')
    with page.expect_navigation():
        bank.locator("form.rotate-key button").click()
    assert page.url.endswith("/admin/keys/issued")  # the POST redirected: a GET shows it
    secret = page.locator("#issued-secret").inner_text().strip()
    assert len(secret) >= 40
    shots(page, "secret-page-first-display")

    page.reload()
    assert page.url.endswith("/admin/banks")
    assert secret not in page.content() and page.locator("#issued-secret").count() == 0
    assert flashes(page, "success") == [
        "密钥只在发放后显示一次，已不再显示。如密钥未保存好，请发放新密钥并吊销旧密钥。"
    ]
    rows = page.locator('section.bank[data-bank-code="ZSRCB"] tr.key-row')
    assert rows.count() == 2  # the first key and the one issued: the reload issued none
    shots(page, "secret-page-reloaded")


def test_an_admin_changes_a_name_and_role_then_deactivates_and_reactivates(page, admin, shots):
    login(page, admin, PASSWORD)
    page.goto("/admin/users")
    row = page.locator('tr.user-row[data-username="clerk1"]')
    row.locator("details.edit-user summary").click()
    form = row.locator("form.update-user")
    form.locator("input[name=display_name]").fill("王五")
    form.locator("select[name=role]").select_option(label="银行用户")
    form.locator("select[name=bank_code]").select_option(label="中山农商银行")
    shots(page, "edit-user-form")
    with page.expect_navigation():
        form.locator("button.save-user").click()
    assert flashes(page, "success") == ["用户 clerk1 的姓名和角色已保存。"]
    row = page.locator('tr.user-row[data-username="clerk1"]')
    shown = row.inner_text()
    assert "王五" in shown and "银行用户" in shown and "中山农商银行" in shown
    shots(page, "user-changed")

    # The administrator's own role is not theirs to lower: said, nothing changed.
    own = page.locator('tr.user-row[data-username="admin1"]')
    own.locator("details.edit-user summary").click()
    own.locator("select[name=role]").select_option(label="审计")
    with page.expect_navigation():
        own.locator("button.save-user").click()
    assert flashes(page, "error") == ["不能更改自己的角色，请由另一位管理员操作。"]
    assert "管理员" in page.locator('tr.user-row[data-username="admin1"]').inner_text()
    shots(page, "own-role-refused")

    with page.expect_navigation():
        page.locator('tr.user-row[data-username="clerk1"] button.deactivate').click()
    row = page.locator('tr.user-row[data-username="clerk1"]')
    assert row.get_attribute("data-active") == "no" and "已停用" in row.inner_text()
    shots(page, "user-deactivated")
    with page.expect_navigation():
        row.locator("button.reactivate").click()
    assert flashes(page, "success") == ["用户 clerk1 已重新启用，可用原密码登录。"]
    row = page.locator('tr.user-row[data-username="clerk1"]')
    assert row.get_attribute("data-active") == "yes" and "在用" in row.inner_text()
    shots(page, "user-reactivated")


def test_a_policy_edit_is_compared_then_saved_as_a_new_version(page, admin, shots):
    login(page, admin, PASSWORD)
    page.goto("/admin/policy")
    shots(page, "policy-versions")
    click_and_wait(page, "#edit-policy")
    textarea = page.locator("textarea[name=policy]")
    draft = textarea.input_value()
    assert '"close_day": 5' in draft and '"annual_cap_per_enterprise": "30000000.00"' in draft
    textarea.fill(
        draft.replace('"close_day": 5', '"close_day": 8').replace(
            '"annual_cap_per_enterprise": "30000000.00"',
            '"annual_cap_per_enterprise": "20000000.00"',
        )
    )
    click_and_wait(page, "#preview-policy-button")
    changes = page.locator("tr.policy-change")
    assert changes.count() == 2
    cap = page.locator('tr.policy-change[data-key="annual_cap_per_enterprise"]')
    assert cap.locator("th").inner_text() == "每家企业每年贴息上限"
    assert cap.locator("td.old").inner_text() == "¥30,000,000.00"
    assert cap.locator("td.new").inner_text() == "¥20,000,000.00"
    day = page.locator('tr.policy-change[data-key="close_day"]')
    assert (day.locator("td.old").inner_text(), day.locator("td.new").inner_text()) == ("5", "8")
    shots(page, "policy-diff")

    click_and_wait(page, "#save-policy-button")
    assert flashes(page, "success") == ["政策已保存为第 2 版，自当前业务日期起施行。"]
    assert page.url.endswith("/admin/policy/2")
    closing = page.locator('tr.policy-key[data-key="close_day"] td').inner_text()
    assert closing == "8"
    shots(page, "policy-version-2")


def test_budgets_deposits_calendar_and_business_date(page, admin, shots):
    login(page, admin, PASSWORD)
    page.goto("/admin/budgets")
    form = page.locator("#add-budget")
    form.locator("input[name=year]").fill("2025")
    form.locator("input[name=amount]").fill("3000000.00")
    form.locator("input[name=reference]").fill("中财〔2025〕1号")
    with page.expect_navigation():
        form.locator("button").click()
    assert flashes(page, "success") == ["2025 年度预算已登记。"]
    assert "¥3,000,000.00" in page.locator('tr.budget-year[data-year="2025"]').inner_text()
    shots(page, "budget-recorded")

    page.goto("/admin/pools")
    pool = page.locator('section.pool[data-pool-code="SZD"]')
    pool.locator("input[name=amount]").fill("1,000,000.00")
    pool.locator("input[name=reference]").fill("中财〔2025〕9号")
    with page.expect_navigation():
        pool.locator("form.add-deposit button").click()
    assert len(flashes(page, "success")) == 1
    pool = page.locator('section.pool[data-pool-code="SZD"]')
    assert pool.locator(".pool-cash").inner_text() == "¥1,000,000.00"
    assert pool.locator("tr.deposit").count() == 1
    shots(page, "deposit-recorded")

    page.goto("/admin/calendar?year=2025")
    form = page.locator("#add-calendar-day")
    form.locator("input[name=day]").fill("2025-10-11")
    form.locator("select[name=kind]").select_option("workday")
    form.locator("input[name=name]").fill("国庆调休")
    with page.expect_navigation():
        form.locator("button").click()
    assert flashes(page, "success") == ["2025-10-11 已加入工作日历。"]
    assert page.locator('tr.calendar-day[data-day="2025-10-11"]').count() == 1
    shots(page, "calendar-day-added")
    with page.expect_navigation():
        page.locator('tr.calendar-day[data-day="2025-10-11"] button.remove-day').click()
    assert page.locator('tr.calendar-day[data-day="2025-10-11"]').count() == 0
    shots(page, "calendar-day-removed")

    page.goto("/admin/business-date")
    assert page.locator("#business-date").inner_text() == "2025-03-03"
    page.locator("#set-business-date input[name=date]").fill("2025-03-10")
    with page.expect_navigation():
        page.locator("#set-business-date button").click()
    assert flashes(page, "success") == ["业务日期已设为 2025-03-10。"]
    assert page.locator("#business-date").inner_text() == "2025-03-10"
    shots(page, "business-date-set")


def test_an_admin_creates_a_risk_pool(page, admin, shots):
    login(page, admin, PASSWORD)
    page.goto("/admin/pools")
    form = page.locator("#create-pool")
    form.locator("input[name=pool_code]").fill("ZSXW")
    form.locator("input[name=name]").fill("中山小微企业风险池")
    form.locator("input[name=operator]").fill("中盈投资")
    form.locator("select[name=eligibility]").select_option(label="所有贷款")
    shots(page, "create-pool-form")
    click_and_wait(page, "#create-pool-button")
    assert flashes(page, "success") == ["资金池 中山小微企业风险池 已新建。"]
    pool = page.locator('section.pool[data-pool-code="ZSXW"]')
    assert "覆盖范围：所有贷款" in pool.inner_text()
    assert pool.locator(".pool-cash").inner_text() == "¥0.00"
    shots(page, "pool-created")
