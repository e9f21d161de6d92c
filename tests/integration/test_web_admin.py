"""The administrator's pages (/admin/...): users, bank keys, policy versions, budgets, risk
pools and deposits, the working-day calendar and the business date. Each form's success
(done, audited) and refusals (a flash naming the field and the rule, nothing changed);
every other role gets 403 and does not see the 管理 menu."""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import json
import re

import pytest
from sqlalchemy import select, update

from loanledger.app import create_app
from loanledger.domain.policy import DEFAULT_POLICY_DOC, POOL_RULE_FIELDS
from loanledger.domain.uscc import uscc_with_check
from loanledger.persistence.tables import (
    AuditEntry,
    BankKey,
    Budget,
    CalendarDay,
    PolicyVersion,
    PoolDeposit,
    RiskPool,
    User,
)
from loanledger.services import enterprise_lists, identity
from loanledger.web.admin_words import POLICY_LABELS
from tests.support.web import Web, flashes, text

USCC = uscc_with_check("91442000MA4UJX9X1")
CJK = re.compile(r"[\u4e00-\u9fff]")

ADMIN_PAGES = (
    "/admin",
    "/admin/users",
    "/admin/banks",
    "/admin/keys/issued",
    "/admin/policy",
    "/admin/policy/1",
    "/admin/policy/edit",
    "/admin/budgets",
    "/admin/pools",
    "/admin/calendar",
    "/admin/business-date",
)
ADMIN_FORMS = (
    "/admin/users",
    "/admin/users/clerk1/deactivate",
    "/admin/users/clerk1/reactivate",
    "/admin/users/clerk1/edit",
    "/admin/users/clerk1/password",
    "/admin/users/clerk1/sign-out",
    "/admin/banks",
    "/admin/banks/ZSRCB/keys",
    "/admin/keys/k_x/revoke",
    "/admin/policy/preview",
    "/admin/policy",
    "/admin/budgets",
    "/admin/pools",
    "/admin/pools/SZD/deposits",
    "/admin/calendar",
    "/admin/calendar/2025-01-01/remove",
    "/admin/business-date",
)


@pytest.fixture
def people(staff, bank):
    """admin1, clerk1, auditor1, approver1; bank ZSRCB (one key); business date 2025-03-03."""
    for username, role in (
        ("admin1", "admin"),
        ("clerk1", "clerk"),
        ("auditor1", "auditor"),
        ("approver1", "approver"),
    ):
        staff.create(username, role, password=f"{username}-password")
    bank("ZSRCB", "中山农商银行")
    staff.set_business_date("2025-03-03")
    return staff


def signed_in(app, username: str, password: str | None = None) -> Web:
    web = Web(app)
    web.login(username, password or f"{username}-password")
    return web


def audited(db, action: str) -> list[AuditEntry]:
    db.expire_all()
    # in the order written: PostgreSQL returns rows in no order without one
    return list(
        db.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id))
    )


def audit_count(db) -> int:
    db.expire_all()
    return len(db.scalars(select(AuditEntry.id)).all())


def visible(page: str) -> str:
    """The text a person reads: no tags, attributes, scripts or form values."""
    body = re.sub(r"<(textarea|script|style|head)\b.*?</\1>", " ", page, flags=re.S)
    return re.sub(r"<[^>]+>", " ", body)


# ---------------------------------------------------------------- who
@pytest.mark.parametrize("username", ["clerk1", "auditor1", "approver1"])
def test_every_other_role_is_refused_every_page_and_form(people, app, db, username):
    other = signed_in(app, username)
    assert 'id="nav-admin"' not in text(other.get("/bureau"))
    for path in ADMIN_PAGES:
        assert other.get(path).status_code == 403, path
    before = audit_count(db)
    for path in ADMIN_FORMS:
        assert other.post(path, {"password": "x" * 12}, follow=False).status_code == 403, path
    assert audit_count(db) == before


def test_an_enterprise_user_and_a_stranger_are_kept_out(people, app):
    people.create("ent1", "enterprise", password="ent1-password", uscc="91442000MA4UJX9X1C")
    assert signed_in(app, "ent1").get("/admin/users").status_code == 403
    stranger = Web(app).get("/admin/users")
    assert stranger.status_code == 302 and "/login" in stranger.headers["Location"]


def test_the_admin_menu_leads_to_every_section_in_chinese_and_english(people, app):
    admin = signed_in(app, "admin1")
    home = text(admin.get("/bureau"))
    assert 'id="nav-admin" href="/admin/users"' in home and "管理" in home
    for path in ADMIN_PAGES:
        page = admin.get(path, follow_redirects=True)
        assert page.status_code == 200, path
        assert 'id="admin-tabs"' in text(page), path
    admin.get("/lang/en")
    for path in ADMIN_PAGES:
        page = admin.get(path, follow_redirects=True)
        assert page.status_code == 200, path
        assert re.search(r'href="/admin/banks"[^>]*>Bank keys<', text(page)), path


def test_the_chinese_pages_show_no_english_codes_or_raw_amounts(people, app):
    """What a person reads is Chinese: besides the language switch, only what an
    administrator must copy (usernames, bank codes, key ids) and the terms LPR and JSON."""
    admin = signed_in(app, "admin1")
    admin.post("/admin/budgets", {"year": "2025", "amount": "5000000", "reference": "中财1号"})
    admin.post("/admin/calendar", {"day": "2025-10-11", "kind": "workday", "name": "国庆调休"})
    allowed = {"English", "LPR", "JSON", "ZSRCB", "admin1", "clerk1", "auditor1", "approver1"}
    for path in (*ADMIN_PAGES, "/admin/calendar?year=2025"):
        shown = visible(text(admin.get(path, follow_redirects=True)))
        words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_.-]+", shown))
        left = {w for w in words - allowed if not re.fullmatch(r"admin-\w+|k_[0-9a-f]+", w)}
        assert left == set(), (path, left)
        assert not re.search(r"\b\d{4,}\.\d{2}\b", shown), path  # amounts as ¥1,234.56


def test_every_policy_key_has_its_words():
    assert set(DEFAULT_POLICY_DOC) | set(POOL_RULE_FIELDS) <= set(POLICY_LABELS)
    for words in POLICY_LABELS.values():
        assert CJK.search(str(words)), words


# ---------------------------------------------------------------- users
def user(db, username: str) -> User | None:
    db.expire_all()
    return db.scalar(select(User).where(User.username == username))


def test_an_admin_creates_users_of_every_role_with_a_display_name(people, app, db):
    admin = signed_in(app, "admin1")
    page = text(admin.get("/admin/users"))
    assert "银行用户" in page and "企业用户" in page and "中山农商银行" in page
    done = admin.post(
        "/admin/users",
        {
            "username": "zs.bank",
            "display_name": "张三",
            "role": "bank",
            "bank_code": "ZSRCB",
            "uscc": "ignored-for-a-bank",
            "password": "bank-password-1",
        },
    )
    assert flashes(done, "success") == ["用户 zs.bank 已创建。"]
    created = user(db, "zs.bank")
    assert (created.role, created.bank_code, created.display_name, created.uscc) == (
        "bank",
        "ZSRCB",
        "张三",
        None,
    )
    row = re.search(r'data-username="zs.bank".*?</tr>', text(done), re.S).group(0)
    assert "张三" in row and "银行用户" in row and "中山农商银行" in row
    entry = audited(db, "user.create")[-1]
    assert entry.actor == "user:admin1" and entry.after["bank_code"] == "ZSRCB"
    clerk = admin.post(
        "/admin/users",
        {"username": "li4", "role": "clerk", "bank_code": "ZSRCB", "password": "li4-password"},
    )
    assert flashes(clerk, "success") and user(db, "li4").bank_code is None  # a clerk has no bank
    assert signed_in(app, "li4", "li4-password").get("/bureau").status_code == 200


@pytest.mark.parametrize(
    "form, said",
    [
        ({"username": "clerk1", "role": "clerk"}, "该用户名已被使用。"),
        ({"username": "bad name", "role": "clerk"}, "用户名：用户名只能由字母"),
        ({"username": "", "role": "clerk"}, "用户名：请填写必填项。"),
        ({"username": "new1", "role": "superuser"}, "角色：请选择一个有效的选项。"),
        ({"username": "new1", "role": "bank"}, "银行用户须选择所属的合作银行。"),
        ({"username": "new1", "role": "bank", "bank_code": "NOPE"}, "所属银行：请选择"),
        ({"username": "new1", "role": "enterprise"}, "企业用户须填写所属企业的统一社会信用代码。"),
        (
            {"username": "new1", "role": "enterprise", "uscc": USCC},
            "所属企业统一社会信用代码：该企业尚未登记，请先登记企业。",
        ),
        ({"username": "new1", "role": "clerk", "password": "short"}, "密码至少需要 8 个字符。"),
    ],
)
def test_a_refused_user_is_said_and_nothing_is_created(people, app, db, form, said):
    admin = signed_in(app, "admin1")
    db.expire_all()
    before = (len(db.scalars(select(User.id)).all()), audit_count(db))
    done = admin.post("/admin/users", {"password": "long-enough-1", **form})
    assert done.status_code == 200 and not flashes(done, "success")
    assert any(message.startswith(said) for message in flashes(done, "error")), flashes(
        done, "error"
    )
    db.expire_all()
    assert (len(db.scalars(select(User.id)).all()), audit_count(db)) == before


def test_an_enterprise_user_belongs_to_a_registered_enterprise(people, app, db):
    people.request(
        "clerk",
        "POST",
        "/enterprises",
        {"uscc": USCC, "name": "中山市华星五金制品有限公司", "established_on": "2016-03-01"},
    )
    admin = signed_in(app, "admin1")
    done = admin.post(
        "/admin/users",
        {"username": "huaxing", "role": "enterprise", "uscc": USCC, "password": "huaxing-2026"},
    )
    assert flashes(done, "success") == ["用户 huaxing 已创建。"]
    assert user(db, "huaxing").uscc == USCC
    row = re.search(r'data-username="huaxing".*?</tr>', text(done), re.S).group(0)
    assert "中山市华星五金制品有限公司" in row and "企业用户" in row


def test_deactivating_a_user_ends_their_sessions_and_sign_in(people, app, db):
    clerk = signed_in(app, "clerk1")
    assert clerk.get("/bureau").status_code == 200
    admin = signed_in(app, "admin1")
    done = admin.post("/admin/users/clerk1/deactivate")
    assert flashes(done, "success") == ["用户 clerk1 已停用，其所有登录已退出。"]
    assert 'data-username="clerk1" data-active="no"' in text(done)
    assert clerk.get("/bureau").status_code == 302  # back to the sign-in page
    again = Web(app).login("clerk1", "clerk1-password")
    assert flashes(again, "error") == ["用户名或密码不正确。"]
    assert [e.entity_id for e in audited(db, "user.deactivate")] == ["clerk1"]


def test_an_admin_cannot_deactivate_themself_nor_an_unknown_user(people, app, db):
    admin = signed_in(app, "admin1")
    before = audit_count(db)
    own = admin.post("/admin/users/admin1/deactivate")
    assert flashes(own, "error") == ["不能停用自己的账号。"] and user(db, "admin1").active
    unknown = admin.post("/admin/users/nobody/deactivate")
    assert flashes(unknown, "error") == ["没有找到。"]
    assert audit_count(db) == before


def test_a_deactivated_user_is_reactivated_and_signs_in_with_their_password(people, app, db):
    admin = signed_in(app, "admin1")
    admin.post("/admin/users/clerk1/deactivate")
    page = text(admin.get("/admin/users"))
    row = re.search(r'data-username="clerk1".*?</tr>', page, re.S).group(0)
    assert "重新启用" in row and "停用</button>" not in row
    done = admin.post("/admin/users/clerk1/reactivate")
    assert flashes(done, "success") == ["用户 clerk1 已重新启用，可用原密码登录。"]
    assert 'data-username="clerk1" data-active="yes"' in text(done)
    assert user(db, "clerk1").active
    assert signed_in(app, "clerk1").get("/bureau").status_code == 200
    entry = audited(db, "user.reactivate")[0]
    assert (entry.actor, entry.entity_id, entry.before, entry.after) == (
        "user:admin1",
        "clerk1",
        {"active": False},
        {"active": True},
    )


def test_reactivating_an_active_or_unknown_user_changes_nothing(people, app, db):
    admin = signed_in(app, "admin1")
    before = audit_count(db)
    active = admin.post("/admin/users/clerk1/reactivate")
    assert flashes(active, "success") == ["用户 clerk1 本来就在用，未作更改。"]
    unknown = admin.post("/admin/users/nobody/reactivate")
    assert flashes(unknown, "error") == ["没有找到。"]
    assert audit_count(db) == before


def edit(admin: Web, username: str, **form):
    return admin.post(f"/admin/users/{username}/edit", form)


def test_a_users_name_and_role_are_changed_and_audited(people, app, db):
    clerk = signed_in(app, "clerk1")
    admin = signed_in(app, "admin1")
    done = edit(admin, "clerk1", display_name="王五", role="approver")
    assert flashes(done, "success") == ["用户 clerk1 的姓名和角色已保存。"]
    changed = user(db, "clerk1")
    assert (changed.display_name, changed.role) == ("王五", "approver")
    row = re.search(r'data-username="clerk1".*?</tr>', text(done), re.S).group(0)
    assert "王五" in row and "审批人" in row
    entry = audited(db, "user.update")[0]
    assert (entry.actor, entry.entity_id) == ("user:admin1", "clerk1")
    assert entry.before == {"role": "clerk", "display_name": None}
    assert entry.after == {"role": "approver", "display_name": "王五"}
    assert clerk.get("/bureau").status_code == 200  # the same session, in the new role
    # The same again changes nothing and is not audited.
    again = edit(admin, "clerk1", display_name="王五", role="approver")
    assert flashes(again, "success") == ["用户 clerk1 的信息没有变化，未作更改。"]
    assert len(audited(db, "user.update")) == 1


def test_a_bank_user_keeps_or_chooses_a_bank_and_loses_it_in_another_role(people, app, db, bank):
    bank("BOCZS", "中国银行中山分行")
    admin = signed_in(app, "admin1")
    to_bank = edit(admin, "clerk1", role="bank", bank_code="ZSRCB")
    assert flashes(to_bank, "success") and user(db, "clerk1").bank_code == "ZSRCB"
    renamed = edit(admin, "clerk1", display_name="李四", role="bank")  # no bank chosen: kept
    assert flashes(renamed, "success") and user(db, "clerk1").bank_code == "ZSRCB"
    moved = edit(admin, "clerk1", display_name="李四", role="bank", bank_code="BOCZS")
    assert flashes(moved, "success") and user(db, "clerk1").bank_code == "BOCZS"
    back = edit(admin, "clerk1", display_name="李四", role="clerk", bank_code="BOCZS")
    assert flashes(back, "success")
    assert (user(db, "clerk1").role, user(db, "clerk1").bank_code) == ("clerk", None)
    assert [e.after for e in audited(db, "user.update")][-1] == {"role": "clerk", "bank_code": None}


def test_an_enterprise_user_needs_a_registered_enterprise(people, app, db):
    people.request(
        "clerk",
        "POST",
        "/enterprises",
        {"uscc": USCC, "name": "中山市华星五金制品有限公司", "established_on": "2016-03-01"},
    )
    admin = signed_in(app, "admin1")
    done = edit(admin, "clerk1", display_name="华星出纳", role="enterprise", uscc=USCC)
    assert flashes(done, "success")
    changed = user(db, "clerk1")
    assert (changed.role, changed.uscc) == ("enterprise", USCC)
    row = re.search(r'data-username="clerk1".*?</tr>', text(done), re.S).group(0)
    assert "中山市华星五金制品有限公司" in row


@pytest.mark.parametrize(
    "username, form, said",
    [
        ("clerk1", {"role": "bank"}, "银行用户须选择所属的合作银行。"),
        ("clerk1", {"role": "bank", "bank_code": "NOPE"}, "所属银行：请选择一个有效的选项。"),
        ("clerk1", {"role": "enterprise"}, "企业用户须填写所属企业的统一社会信用代码。"),
        (
            "clerk1",
            {"role": "enterprise", "uscc": USCC},
            "所属企业统一社会信用代码：该企业尚未登记，请先登记企业。",
        ),
        ("clerk1", {"role": "superuser"}, "角色：请选择一个有效的选项。"),
        ("clerk1", {"role": ""}, "角色：请选择一个有效的选项。"),
        ("clerk1", {"role": "clerk", "display_name": "长" * 65}, "姓名：输入内容太长。"),
        ("admin1", {"role": "clerk"}, "不能更改自己的角色，请由另一位管理员操作。"),
        ("nobody", {"role": "clerk"}, "没有找到。"),
    ],
)
def test_a_refused_change_is_said_and_nothing_changes(people, app, db, username, form, said):
    admin = signed_in(app, "admin1")
    before = audit_count(db)
    done = edit(admin, username, **{"display_name": "新名字", **form})
    assert done.status_code == 200 and not flashes(done, "success")
    assert flashes(done, "error") == [said]
    for name in ("clerk1", "admin1"):
        unchanged = user(db, name)
        assert (unchanged.display_name, unchanged.role) == (None, name[:-1]), name
    assert audit_count(db) == before


def test_an_admin_may_rename_themself_and_another_admin_may_change_their_role(people, app, db):
    people.create("admin2", "admin", password="admin2-password")
    admin = signed_in(app, "admin1")
    own = edit(admin, "admin1", display_name="管理员甲", role="admin")
    assert flashes(own, "success") and user(db, "admin1").display_name == "管理员甲"
    other = signed_in(app, "admin2")
    assert flashes(edit(other, "admin1", display_name="管理员甲", role="auditor"), "success")
    assert user(db, "admin1").role == "auditor"
    assert admin.get("/admin/users").status_code == 403  # demoted at once


def test_the_last_active_admin_keeps_the_role_and_stays_active(people, db):
    db.expire_all()
    others = db.scalars(select(User.username).where(User.role == "admin")).all()
    for username in set(others) - {"admin1"}:  # the fixture's API admin
        identity.deactivate_user(db, username, "cli")
    db.commit()
    before = audit_count(db)
    for change in (
        lambda: identity.update_user(db, "admin1", "cli", role="clerk", display_name=None),
        lambda: identity.deactivate_user(db, "admin1", "cli"),
    ):
        with pytest.raises(identity.IdentityError) as refused:
            change()
        assert refused.value.reason == "last_admin"
        db.rollback()
    admin = user(db, "admin1")
    assert (admin.role, admin.active) == ("admin", True) and audit_count(db) == before
    # With a second active admin either may go.
    people.create("admin2", "admin", password="admin2-password")
    identity.deactivate_user(db, "admin1", "cli")
    db.commit()
    assert not user(db, "admin1").active


def test_a_reset_password_replaces_the_old_one_and_is_audited_without_it(people, app, db):
    clerk = signed_in(app, "clerk1")
    admin = signed_in(app, "admin1")
    short = admin.post("/admin/users/clerk1/password", {"password": "short"})
    assert flashes(short, "error") == ["密码至少需要 8 个字符。"]
    empty = admin.post("/admin/users/clerk1/password", {"password": ""})
    assert flashes(empty, "error") == ["密码：请填写必填项。"]
    assert audited(db, "user.reset_password") == []
    done = admin.post("/admin/users/clerk1/password", {"password": "a-new-password-2"})
    assert flashes(done, "success") == ["已为用户 clerk1 设置新密码，其所有登录已退出。"]
    assert clerk.get("/bureau").status_code == 302
    assert flashes(Web(app).login("clerk1", "clerk1-password"), "error")
    assert signed_in(app, "clerk1", "a-new-password-2").get("/bureau").status_code == 200
    entry = audited(db, "user.reset_password")[0]
    assert "a-new-password-2" not in json.dumps([entry.before, entry.after])


def test_sign_out_everywhere_ends_the_users_sessions(people, app, db):
    clerk = signed_in(app, "clerk1")
    admin = signed_in(app, "admin1")
    done = admin.post("/admin/users/clerk1/sign-out")
    assert flashes(done, "success") == ["用户 clerk1 已在所有设备退出登录。"]
    assert clerk.get("/bureau").status_code == 302
    assert [e.entity_id for e in audited(db, "user.sign_out_everywhere")] == ["clerk1"]
    assert signed_in(app, "clerk1").get("/bureau").status_code == 200  # the password still works


# ---------------------------------------------------------------- bank keys
def issued_secret(response) -> tuple[str, str]:
    page = text(response)
    key_id = re.search(r'id="issued-key-id">([^<]+)<', page).group(1)
    secret = re.search(r'id="issued-secret">([^<]+)<', page).group(1)
    return key_id, secret


def test_a_new_bank_and_a_rotated_key_show_the_secret_once(people, app, db):
    admin = signed_in(app, "admin1")
    settings = app.extensions["loanledger"].settings
    created = admin.post("/admin/banks", {"bank_code": "BOC-ZS", "name": "中国银行中山分行"})
    assert created.status_code == 200 and created.headers["Cache-Control"] == "no-store"
    key_id, secret = issued_secret(created)
    assert identity.active_bank_key(db, key_id, settings.secret_key) == ("BOC-ZS", secret)
    db.expire_all()
    assert secret not in db.get(BankKey, key_id).secret_encrypted  # stored encrypted
    listing = text(admin.get("/admin/banks"))
    assert key_id in listing and secret not in listing  # never shown again
    assert "中国银行中山分行" in listing
    rotated = admin.post("/admin/banks/BOC-ZS/keys")
    new_id, new_secret = issued_secret(rotated)
    assert new_id != key_id and new_secret != secret
    assert new_secret not in text(admin.get("/admin/banks"))
    by_admin = audited(db, "bank.create") + audited(db, "bank.rotate_key")
    assert [(e.action, e.entity_id) for e in by_admin if e.actor == "user:admin1"] == [
        ("bank.create", "BOC-ZS"),
        ("bank.rotate_key", "BOC-ZS"),
    ]


def session_contents(app, web: Web) -> dict:
    """The signed session cookie as the server reads it."""
    cookie = web.client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session"))
    if cookie is None:
        return {}
    return app.session_interface.get_signing_serializer(app).loads(cookie.value)


def test_the_secret_is_shown_by_one_get_and_a_reload_issues_nothing(people, app, db):
    admin = signed_in(app, "admin1")
    db.expire_all()
    keys_before = len(db.scalars(select(BankKey.key_id)).all())
    posted = admin.post("/admin/banks/ZSRCB/keys", follow=False)
    assert posted.status_code == 303 and posted.headers["Location"] == "/admin/keys/issued"
    assert "issued-secret" not in text(posted)
    waiting = json.dumps(session_contents(app, admin))
    shown = admin.get("/admin/keys/issued")
    assert shown.status_code == 200 and shown.headers["Cache-Control"] == "no-store"
    key_id, secret = issued_secret(shown)
    assert secret not in waiting  # in the cookie only encrypted
    assert "issued_key" not in session_contents(app, admin)  # taken by the one display
    reload = admin.get("/admin/keys/issued")
    assert reload.status_code == 302 and reload.headers["Cache-Control"] == "no-store"
    after = admin.get("/admin/banks")
    assert flashes(after, "success") == [
        "密钥只在发放后显示一次，已不再显示。如密钥未保存好，请发放新密钥并吊销旧密钥。"
    ]
    assert secret not in text(after) and key_id in text(after)
    db.expire_all()
    assert len(db.scalars(select(BankKey.key_id)).all()) == keys_before + 1
    assert len(audited(db, "bank.rotate_key")) == 1


def test_a_waiting_secret_is_not_shown_to_the_next_user_nor_after_its_time(
    people, app, db, monkeypatch
):
    from loanledger.web import admin_people

    admin = signed_in(app, "admin1")
    admin.post("/admin/banks/ZSRCB/keys", follow=False)
    monkeypatch.setattr(admin_people, "ISSUED_TTL_SECONDS", -1)  # already too old
    late = admin.get("/admin/keys/issued")
    assert late.status_code == 302 and "issued-secret" not in text(late)
    # Signing in again (another user on this browser) starts a fresh session.
    monkeypatch.setattr(admin_people, "ISSUED_TTL_SECONDS", 300)
    people.create("admin2", "admin", password="admin2-password")
    admin.post("/admin/banks", {"bank_code": "BOC-ZS", "name": "中国银行中山分行"}, follow=False)
    admin.login("admin2", "admin2-password")
    assert admin.get("/admin/keys/issued").status_code == 302


def test_a_third_active_key_or_a_taken_code_is_refused(people, app, db):
    admin = signed_in(app, "admin1")
    assert admin.post("/admin/banks/ZSRCB/keys").status_code == 200  # the second
    db.expire_all()
    before = (len(db.scalars(select(BankKey.key_id)).all()), audit_count(db))
    third = admin.post("/admin/banks/ZSRCB/keys")
    assert flashes(third, "error") == ["该银行已有两个有效密钥，请先吊销其中一个。"]
    assert 'id="issued-secret"' not in text(third)
    taken = admin.post("/admin/banks", {"bank_code": "ZSRCB", "name": "另一家"})
    assert flashes(taken, "error") == ["该银行代码已被使用。"]
    bad = admin.post("/admin/banks", {"bank_code": "中山/1", "name": "某银行"})
    assert flashes(bad, "error") == [
        "银行代码：银行代码只能由字母、数字、_ 和 - 组成，最多32个字符。"
    ]
    no_name = admin.post("/admin/banks", {"bank_code": "NEW1", "name": " "})
    assert flashes(no_name, "error") == ["银行名称：请填写必填项。"]
    assert admin.post("/admin/banks/NOPE/keys").status_code == 404
    db.expire_all()
    assert (len(db.scalars(select(BankKey.key_id)).all()), audit_count(db)) == before


def test_a_key_is_revoked_after_a_confirmation(people, app, db):
    admin = signed_in(app, "admin1")
    db.expire_all()
    key_id = db.scalar(select(BankKey.key_id).where(BankKey.bank_code == "ZSRCB"))
    listing = text(admin.get("/admin/banks"))
    assert f'href="/admin/keys/{key_id}/revoke"' in listing
    confirm = text(admin.get(f"/admin/keys/{key_id}/revoke"))
    assert "确认吊销 中山农商银行 的密钥" in confirm and 'id="confirm-revoke"' in confirm
    db.expire_all()
    assert db.get(BankKey, key_id).status == "active"  # asking changed nothing
    done = admin.post(f"/admin/keys/{key_id}/revoke")
    assert flashes(done, "success") == [f"密钥 {key_id} 已吊销，立即失效。"]
    db.expire_all()
    assert db.get(BankKey, key_id).status == "revoked"
    assert [e.entity_id for e in audited(db, "bank.revoke_key")] == [key_id]
    assert admin.get("/admin/keys/k_unknown/revoke").status_code == 404
    assert admin.post("/admin/keys/k_unknown/revoke", follow=False).status_code == 404


# ---------------------------------------------------------------- policy
def policy_text(page: str) -> str:
    return html.unescape(re.search(r'<textarea name="policy"[^>]*>(.*?)</textarea>', page, re.S)[1])


def versions(db) -> list[int]:
    db.expire_all()
    return sorted(db.scalars(select(PolicyVersion.version)))


def test_the_versions_and_one_version_in_words(people, app):
    admin = signed_in(app, "admin1")
    listing = text(admin.get("/admin/policy"))
    assert 'class="policy-version" data-version="1"' in listing and "现行" in listing
    page = text(admin.get("/admin/policy/1"))
    shown = visible(page)
    assert "每家企业每年贴息上限" in shown and "¥30,000,000.00" in shown
    assert "30000000.00" not in shown and "annual_cap_per_enterprise" not in shown
    assert "次级、可疑、损失" in shown and "substandard" not in shown
    assert "风险补偿比例分档" in shown and "50%" in shown
    assert admin.get("/admin/policy/99").status_code == 404


def test_an_edit_is_compared_key_by_key_then_saved_as_a_new_version(people, app, db):
    admin = signed_in(app, "admin1")
    draft = json.loads(policy_text(text(admin.get("/admin/policy/edit"))))
    assert "version" not in draft and draft["close_day"] == 5
    draft["close_day"] = 8
    draft["annual_cap_per_enterprise"] = "20000000.00"
    preview = admin.post("/admin/policy/preview", {"policy": json.dumps(draft), "version": "1"})
    page = text(preview)
    changes = re.findall(
        r'class="policy-change" data-key="(\w+)"><th>(.*?)</th><td class="old">(.*?)</td><td class="new">(.*?)</td>',
        page,
    )
    assert changes == [
        ("annual_cap_per_enterprise", "每家企业每年贴息上限", "¥30,000,000.00", "¥20,000,000.00"),
        ("close_day", "每月结账日", "5", "8"),
    ]
    assert versions(db) == [1]  # a preview saves nothing
    assert 'id="save-policy"' in page
    saved = admin.post("/admin/policy", {"policy": json.dumps(draft), "version": "1"})
    assert flashes(saved, "success") == ["政策已保存为第 2 版，自当前业务日期起施行。"]
    assert saved.request.path == "/admin/policy/2"
    db.expire_all()
    stored = db.get(PolicyVersion, 2)
    assert stored.document["close_day"] == 8 and stored.in_force_from == dt.date(2025, 3, 3)
    assert stored.created_by == "user:admin1"
    assert [e.entity_id for e in audited(db, "policy.update")] == ["2"]


def test_the_versions_name_who_saved_them_through_the_one_name_helper(people, app, db):
    admin = signed_in(app, "admin1")
    draft = json.loads(policy_text(text(admin.get("/admin/policy/edit"))))
    draft["close_day"] = 8
    admin.post("/admin/policy", {"policy": json.dumps(draft), "version": "1"})
    db.execute(update(User).where(User.username == "admin1").values(display_name="王芳"))
    db.execute(update(PolicyVersion).where(PolicyVersion.version == 1).values(created_by="cli"))
    db.commit()
    listing = text(admin.get("/admin/policy"))
    saved_by = dict(
        re.findall(r'data-version="(\d+)">.*?</td>\s*<td>.*?</td>\s*<td>(.*?)</td>', listing, re.S)
    )
    assert saved_by == {"2": "王芳", "1": "系统管理员（命令行）"}


def test_the_same_document_has_nothing_to_save(people, app):
    admin = signed_in(app, "admin1")
    edit = policy_text(text(admin.get("/admin/policy/edit")))
    same = text(admin.post("/admin/policy/preview", {"policy": edit, "version": "1"}))
    assert 'id="policy-unchanged"' in same and 'id="save-policy"' not in same


@pytest.mark.parametrize("path", ["/admin/policy/preview", "/admin/policy"])
def test_a_bad_policy_is_said_in_words_and_nothing_is_saved(people, app, db, path):
    admin = signed_in(app, "admin1")
    before = audit_count(db)
    not_json = admin.post(path, {"policy": "{close_day: 5", "version": "1"})
    assert flashes(not_json, "error") == ["政策内容不是有效的 JSON 对象。"]
    draft = json.loads(policy_text(text(admin.get("/admin/policy/edit"))))
    draft["close_day"] = 31
    draft["surprise"] = 1
    bad = admin.post(path, {"policy": json.dumps(draft), "version": "1"})
    assert flashes(bad, "error") == ["政策内容有误，未保存。请按下列提示修改："]
    problems = re.findall(
        r"<li>(.*?)</li>", re.search(r'id="policy-problems">(.*?)</ul>', text(bad), re.S)[1]
    )
    assert problems == ["每月结账日：输入格式不正确。", "未知字段：不是政策的字段。"]
    assert versions(db) == [1] and audit_count(db) == before


def test_a_stale_version_is_refused(people, app, db):
    admin = signed_in(app, "admin1")
    draft = json.loads(policy_text(text(admin.get("/admin/policy/edit"))))
    draft["npl_dpd"] = 60
    assert flashes(
        admin.post("/admin/policy", {"policy": json.dumps(draft), "version": "1"}), "success"
    )
    draft["npl_dpd"] = 30
    preview = text(
        admin.post("/admin/policy/preview", {"policy": json.dumps(draft), "version": "1"})
    )
    assert "政策已被他人修改" in preview and 'id="save-policy"' not in preview
    stale = admin.post("/admin/policy", {"policy": json.dumps(draft), "version": "1"})
    assert flashes(stale, "error") == ["政策已被他人修改：请重新打开编辑页面，在最新版本上修改。"]
    assert versions(db) == [1, 2]


# ---------------------------------------------------------------- budgets, pools, deposits
def test_a_budget_is_recorded_and_a_bad_one_refused(people, app, db):
    admin = signed_in(app, "admin1")
    done = admin.post(
        "/admin/budgets", {"year": "2025", "amount": "3,000,000.00", "reference": "中财〔2025〕1号"}
    )
    assert flashes(done, "success") == ["2025 年度预算已登记。"]
    row = re.search(r'class="budget-year" data-year="2025">(.*?)</tr>', text(done), re.S)[1]
    assert "¥3,000,000.00" in row
    db.expire_all()
    assert [(b.year, b.amount_fen) for b in db.scalars(select(Budget))] == [(2025, 300_000_000)]
    assert len(audited(db, "budget.create")) == 1
    before = audit_count(db)
    for form, said in (
        ({"year": "25", "amount": "1.00", "reference": "x"}, "年度：年度应为"),
        ({"year": "2025", "amount": "1.005", "reference": "x"}, "金额：金额应为大于零的元数"),
        ({"year": "2025", "amount": "-5", "reference": "x"}, "金额：金额应为大于零的元数"),
        ({"year": "2025", "amount": "5", "reference": ""}, "文号：请填写必填项。"),
    ):
        refused = admin.post("/admin/budgets", form)
        assert flashes(refused, "error")[0].startswith(said), (form, flashes(refused, "error"))
    db.expire_all()
    assert len(db.scalars(select(Budget.id)).all()) == 1 and audit_count(db) == before


def test_a_deposit_goes_into_its_pool_and_a_future_one_is_refused(people, app, db):
    admin = signed_in(app, "admin1")
    page = text(admin.get("/admin/pools"))
    assert 'class="card pool" data-pool-code="SZD"' in page
    done = admin.post(
        "/admin/pools/SZD/deposits",
        {"amount": "1000000.00", "deposited_on": "2025-03-01", "reference": "中财〔2025〕9号"},
    )
    assert len(flashes(done, "success")) == 1
    cash = re.search(r'data-pool-code="SZD".*?class="num pool-cash">(.*?)</td>', text(done), re.S)[
        1
    ]
    assert cash == "¥1,000,000.00"
    assert len(audited(db, "pool_deposit.create")) == 1
    before = audit_count(db)
    future = admin.post(
        "/admin/pools/SZD/deposits",
        {"amount": "5.00", "deposited_on": "2025-03-04", "reference": "x"},
    )
    assert flashes(future, "error")[0].startswith("日期不能晚于当前业务日期。")
    bad_date = admin.post(
        "/admin/pools/SZD/deposits",
        {"amount": "5.00", "deposited_on": "2025-02-30", "reference": "x"},
    )
    assert flashes(bad_date, "error") == ["注资日期：日期格式应为 YYYY-MM-DD。"]
    assert admin.post("/admin/pools/NOPE/deposits", {}, follow=False).status_code == 404
    db.expire_all()
    assert len(db.scalars(select(PoolDeposit.id)).all()) == 1 and audit_count(db) == before


def pool_codes(db) -> list[str]:
    db.expire_all()
    return sorted(db.scalars(select(RiskPool.pool_code)))


NEW_POOL = {"pool_code": "ZSXW", "name": "中山小微企业风险池", "operator": "中盈投资"}


def test_a_new_pool_is_created_for_any_loan_or_a_lists_enterprises(people, app, db):
    enterprise_lists.create_list(db, "SGSX", "上规上限培育企业名录库", "test")
    db.commit()
    admin = signed_in(app, "admin1")
    form = text(admin.get("/admin/pools"))
    assert 'id="create-pool"' in form and "名录库内企业的贷款" in form
    done = admin.post("/admin/pools", {**NEW_POOL, "eligibility": "any", "list_code": "SGSX"})
    assert flashes(done, "success") == ["资金池 中山小微企业风险池 已新建。"]
    card = re.search(r'data-pool-code="ZSXW">(.*?)</section>', text(done), re.S)[1]
    assert "中山小微企业风险池" in card and "覆盖范围：所有贷款" in card and "¥0.00" in card
    db.expire_all()
    pool = db.get(RiskPool, "ZSXW")
    assert (pool.operator, pool.eligibility, pool.list_code) == ("中盈投资", "any", None)
    entry = audited(db, "risk_pool.create")[-1]
    assert (entry.actor, entry.entity_id) == ("user:admin1", "ZSXW")
    listed = admin.post(
        "/admin/pools",
        {
            "pool_code": "SGSX-1",
            "name": "培育企业风险池",
            "operator": "中盈投资",
            "eligibility": "enterprise_list",
            "list_code": "SGSX",
        },
    )
    assert flashes(listed, "success") == ["资金池 培育企业风险池 已新建。"]
    card = re.search(r'data-pool-code="SGSX-1">(.*?)</section>', text(listed), re.S)[1]
    assert "覆盖范围：名录库内企业的贷款（上规上限培育企业名录库）" in card
    assert db.get(RiskPool, "SGSX-1").list_code == "SGSX"
    # The same pool again is no change, and not audited twice.
    again = admin.post("/admin/pools", {**NEW_POOL, "eligibility": "any"})
    assert flashes(again, "success") == ["资金池 中山小微企业风险池 已存在，内容相同，未作更改。"]
    assert len(audited(db, "risk_pool.create")) == 2


@pytest.mark.parametrize(
    "form, said",
    [
        (
            {"pool_code": "中山/1"},
            "资金池代码：资金池代码只能由字母、数字、_ 和 - 组成，最多10个字符。",
        ),
        ({"pool_code": "A" * 11}, "资金池代码：输入内容太长。"),
        ({"name": " "}, "资金池名称：请填写必填项。"),
        ({"operator": ""}, "资金管理方：请填写必填项。"),
        ({"eligibility": "everyone"}, "覆盖范围：请选择一个有效的选项。"),
        ({"eligibility": "enterprise_list"}, "名录库：请选择一个有效的选项。"),
        ({"eligibility": "enterprise_list", "list_code": "NOPE"}, "名录库：请选择一个有效的选项。"),
        ({"pool_code": "SZD"}, "资金池代码 SZD 已被另一个资金池使用。"),
    ],
)
def test_a_refused_pool_is_said_and_nothing_is_created(people, app, db, form, said):
    admin = signed_in(app, "admin1")
    before = (pool_codes(db), audit_count(db))
    done = admin.post("/admin/pools", {**NEW_POOL, "eligibility": "any", **form})
    assert done.status_code == 200 and not flashes(done, "success")
    assert flashes(done, "error") == [said]
    assert (pool_codes(db), audit_count(db)) == before


# ---------------------------------------------------------------- the calendar
def test_calendar_days_are_added_and_removed(people, app, db):
    admin = signed_in(app, "admin1")
    done = admin.post(
        "/admin/calendar", {"day": "2025-10-11", "kind": "workday", "name": "国庆调休"}
    )
    assert flashes(done, "success") == ["2025-10-11 已加入工作日历。"]
    assert 'data-day="2025-10-11" data-kind="workday"' in text(done)
    before = audit_count(db)
    clash = admin.post(
        "/admin/calendar", {"day": "2025-10-11", "kind": "holiday", "name": "另一个"}
    )
    assert flashes(clash, "error") == [
        "2025-10-11 已按另一类型或名称登记：公示期可能已按它计算，如需更改请先移除再登记。"
    ]
    bad_kind = admin.post("/admin/calendar", {"day": "2025-10-12", "kind": "weekend", "name": "x"})
    assert flashes(bad_kind, "error") == ["类型：请选择一个有效的选项。"]
    db.expire_all()
    assert [(d.day, d.kind) for d in db.scalars(select(CalendarDay))] == [
        (dt.date(2025, 10, 11), "workday")
    ]
    assert audit_count(db) == before
    removed = admin.post("/admin/calendar/2025-10-11/remove")
    assert flashes(removed, "success") == ["2025-10-11 已从工作日历移除，按国务院公布的安排计算。"]
    db.expire_all()
    assert db.scalars(select(CalendarDay)).all() == []
    entry = audited(db, "calendar.remove")[0]
    assert entry.before["kind"] == "workday" and entry.after is None
    again = admin.post("/admin/calendar/2025-10-11/remove")
    assert flashes(again, "error") == ["没有找到。"]
    assert admin.post("/admin/calendar/not-a-day/remove", follow=False).status_code == 404


# ---------------------------------------------------------------- the business date
def test_the_business_date_moves_forward_only(people, app, db):
    admin = signed_in(app, "admin1")
    done = admin.post("/admin/business-date", {"date": "2025-03-10"})
    assert flashes(done, "success") == ["业务日期已设为 2025-03-10。"]
    assert 'id="business-date">2025-03-10<' in text(done)
    before = audit_count(db)
    back = admin.post("/admin/business-date", {"date": "2025-03-01"})
    assert flashes(back, "error") == ["业务日期只能向后调整，不能早于当前业务日期。"]
    bad = admin.post("/admin/business-date", {"date": "2025/03/11"})
    assert flashes(bad, "error") == ["业务日期：日期格式应为 YYYY-MM-DD。"]
    assert audit_count(db) == before
    assert 'id="business-date">2025-03-10<' in text(admin.get("/admin/business-date"))


def test_without_the_manual_switch_the_date_cannot_be_set(people, settings, engine, db):
    fixed = create_app(
        dataclasses.replace(settings, allow_manual_business_date=False), engine=engine
    )
    admin = signed_in(fixed, "admin1")
    page = text(admin.get("/admin/business-date"))
    assert 'id="business-date-fixed"' in page and 'id="set-business-date"' not in page
    before = audit_count(db)
    assert (
        admin.post("/admin/business-date", {"date": "2099-01-01"}, follow=False).status_code == 403
    )
    assert audit_count(db) == before
