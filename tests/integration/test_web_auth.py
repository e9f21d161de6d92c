"""Web pages: signing in and out, role homes and role checks, the language switch, CSRF,
the session cookie, and error pages (HTML for pages, problem+json still for /api/v1)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from loanledger.persistence.tables import AuditEntry, Period, SignInFailure
from loanledger.services import close_jobs
from tests.support.api import refused
from tests.support.web import CONFIRMED, Web, flashes, text


@pytest.fixture
def people(staff):
    """One user per role, with known passwords."""
    for username, role in (
        ("clerk1", "clerk"),
        ("approver1", "approver"),
        ("auditor1", "auditor"),
        ("admin1", "admin"),
    ):
        staff.create(username, role, password=f"{username}-password")
    return staff


@pytest.fixture
def web(app):
    return Web(app)


# ------------------------------------------------------------------ sign in and out
def test_the_root_sends_a_stranger_to_the_sign_in_page(web):
    response = web.get("/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    page = web.get("/login")
    assert page.status_code == 200
    assert (
        'name="username"' in text(page)
        and 'name="password"' in text(page)
        and 'id="login-submit"' in text(page)
    )
    assert "登录" in text(page)  # Chinese by default


@pytest.mark.parametrize(
    "username,home",
    [
        ("clerk1", "/bureau"),
        ("approver1", "/bureau"),
        ("auditor1", "/bureau"),
        ("admin1", "/bureau"),
    ],
)
def test_staff_sign_in_and_land_on_the_dashboard(people, web, username, home):
    response = web.login(username, f"{username}-password")
    assert response.request.path == home
    assert flashes(response, "success")
    assert f'id="current-user">{username}<' in text(response)
    assert web.get("/").headers["Location"].endswith(home)


def test_an_enterprise_signs_in_to_its_portal_and_may_not_see_bureau_pages(staff, web):
    staff.create("ent1", "enterprise", password="ent1-password", uscc="914420006FA300000G")
    response = web.login("ent1", "ent1-password")
    assert response.request.path == "/portal"
    assert web.get("/bureau").status_code == 403
    assert web.get("/bureau/objections").status_code == 403
    assert web.get("/bureau/enterprises").status_code == 403


def test_staff_may_not_see_the_portal(people, web):
    web.login("clerk1", "clerk1-password")
    assert web.get("/portal").status_code == 403


def test_a_wrong_password_is_refused_with_a_message(people, web):
    response = web.login("clerk1", "wrong-password")
    assert response.request.path == "/login"
    assert flashes(response, "error") == ["用户名或密码不正确。"]
    assert web.get("/bureau").status_code == 302  # still signed out
    assert web.login("nobody", "x").request.path == "/login"
    assert web.post("/login", {"username": "", "password": ""}).request.path == "/login"


def test_a_page_asks_for_sign_in_and_comes_back_after_it(people, web):
    response = web.get("/bureau/objections")
    assert (
        response.status_code == 302
        and "/login?next=/bureau/objections" in response.headers["Location"]
    )
    web.get(response.headers["Location"])
    landed = web.post(
        "/login",
        {"username": "clerk1", "password": "clerk1-password", "next": "/bureau/objections"},
    )
    assert landed.request.path == "/bureau/objections"


# What browsers read as another site: '//host', a tab or newline they drop ('/\t/host'), a
# backslash they read as a slash, a scheme; and a newline, which cannot go into a header.
HOSTILE_NEXT = (
    "//evil.example/x",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r\n/x",
    "/\\evil.example",
    "\\/evil.example",
    "https://evil.example/",
    "javascript:alert(1)",
    "/ /evil.example\x7f",
)


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_no_open_redirect_after_sign_in(people, web, target):
    web.get("/login")
    landed = web.post(
        "/login", {"username": "clerk1", "password": "clerk1-password", "next": target}
    )
    assert landed.request.path == "/bureau"
    assert landed.request.host == "localhost"


def test_sign_out(people, web):
    web.login("clerk1", "clerk1-password")
    response = web.post("/logout", from_page="/bureau")
    assert response.request.path == "/login" and flashes(response, "success")
    assert web.get("/bureau").status_code == 302


def _session_cookie(web) -> str:
    return web.client.get_cookie("session").value


def test_a_cookie_saved_before_sign_out_no_longer_signs_in(people, app, web):
    """Issue 14 item 6: the signed cookie itself stays valid for 8 hours, so signing out must
    end it on the server: a copy taken before sign-out opens nothing afterwards."""
    web.login("clerk1", "clerk1-password")
    saved = _session_cookie(web)
    web.post("/logout", from_page="/bureau")
    thief = Web(app)
    thief.client.set_cookie("session", saved)
    response = thief.get("/bureau")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    # signing in again works, with a new session
    web.login("clerk1", "clerk1-password")
    assert web.get("/bureau").status_code == 200


def test_an_administrator_signs_a_user_out_everywhere(people, app, web, staff, client, db):
    web.login("clerk1", "clerk1-password")
    token = staff.login("clerk1", "clerk1-password")
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/policy", headers=bearer).status_code == 200
    refused(staff.request("clerk", "POST", "/admin/users/clerk1/sign-out"), 403, "forbidden")
    refused(staff.request("admin", "POST", "/admin/users/nobody/sign-out"), 404, "not_found")
    done = staff.request("admin", "POST", "/admin/users/clerk1/sign-out")
    assert done.status_code == 200 and done.get_json()["username"] == "clerk1"
    assert done.get_json()["tokens_revoked"] >= 1
    assert client.get("/api/v1/policy", headers=bearer).status_code == 401
    assert web.get("/bureau").status_code == 302
    assert db.scalar(
        select(func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.action == "user.sign_out_everywhere", AuditEntry.entity_id == "clerk1")
    )


def test_a_token_signs_itself_out(people, staff, client):
    first, second = (
        staff.login("clerk1", "clerk1-password"),
        staff.login("clerk1", "clerk1-password"),
    )
    bearer = lambda t: {"Authorization": f"Bearer {t}"}  # noqa: E731
    assert client.delete("/api/v1/auth/tokens/current", headers=bearer(first)).status_code == 204
    assert client.get("/api/v1/policy", headers=bearer(first)).status_code == 401
    assert client.get("/api/v1/policy", headers=bearer(second)).status_code == 200
    assert client.delete("/api/v1/auth/tokens/current").status_code == 401


def test_a_deactivated_user_is_signed_out_at_once(people, web, db):
    from loanledger.persistence.tables import User

    web.login("clerk1", "clerk1-password")
    user = db.scalar(select(User).where(User.username == "clerk1"))
    user.active = False
    db.commit()
    assert web.get("/bureau").status_code == 302


def test_the_session_cookie_is_http_only_and_same_site_lax(people, web):
    web.get("/login")
    response = web.client.post(
        "/login",
        data={"username": "clerk1", "password": "clerk1-password", "csrf_token": web.token},
    )
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


# ------------------------------------------------------------------ role checks on actions
def test_roles_are_checked_on_every_action(people, web, db):
    web.login("auditor1", "auditor1-password")
    dashboard = web.get("/bureau")
    assert 'id="close-period"' not in text(dashboard)  # read-only: no form
    before = db.scalar(select(func.count()).select_from(AuditEntry))
    for path in (
        "/bureau/close",
        "/bureau/batches/1/submit",
        "/bureau/batches/1/approve",
        "/bureau/batches/1/payments",
        "/bureau/objections/1/resolve",
    ):
        assert web.post(path, {"period": "2023-01"}, from_page="/bureau").status_code == 403, path
    web2 = Web(web.client.application)
    web2.login("approver1", "approver1-password")
    assert web2.post("/bureau/close", {"period": "2023-01"}, from_page="/bureau").status_code == 403
    assert web2.post("/bureau/batches/1/submit", from_page="/bureau").status_code == 403
    web3 = Web(web.client.application)
    web3.login("clerk1", "clerk1-password")
    assert web3.post("/bureau/batches/1/approve", from_page="/bureau").status_code == 403
    assert (
        web3.post("/bureau/batches/1/reject", {"reason": "x"}, from_page="/bureau").status_code
        == 403
    )
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(AuditEntry)) == before


# ------------------------------------------------------------------ CSRF
def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(people, web, staff, db):
    staff.set_business_date("2023-03-01")
    web.login("clerk1", "clerk1-password")
    response = web.post("/bureau/close", {"period": "2023-02"}, token=False, follow=False)
    assert response.status_code == 400
    assert "<html" in text(response)  # an error page, not JSON
    response = web.post(
        "/bureau/close", {"period": "2023-02", "csrf_token": "forged"}, token=False, follow=False
    )
    assert response.status_code == 400
    db.expire_all()
    assert db.get(Period, "2023-02") is None
    # the same request with the token asks for the close, which the worker then runs
    done = web.post("/bureau/close", {"period": "2023-02", **CONFIRMED}, from_page="/bureau")
    assert done.status_code == 200 and flashes(done, "success")
    close_jobs.drain(web.client.application.extensions["loanledger"].sessionmaker)
    db.expire_all()
    assert db.get(Period, "2023-02").status == "closed"


def test_sign_in_and_sign_out_need_the_token_too(people, web):
    web.get("/login")
    response = web.client.post("/login", data={"username": "clerk1", "password": "clerk1-password"})
    assert response.status_code == 400
    assert web.get("/bureau").status_code == 302


def test_the_api_is_not_subject_to_csrf(people, staff):
    """Bearer-token and signed requests carry no CSRF token and must keep working."""
    response = staff.request(
        "clerk",
        "POST",
        "/products",
        {"product_code": "P1", "bank_code": "NOPE", "name": "x", "risk_covered": False},
    )
    assert response.status_code != 400 or "csrf" not in response.get_data(as_text=True).lower()
    assert response.status_code in (201, 422)


# ------------------------------------------------------------------ language
def test_the_language_switch(people, web):
    web.login("clerk1", "clerk1-password")
    assert "结账" in text(web.get("/bureau"))
    switched = web.client.get("/lang/en?next=/bureau", follow_redirects=True)
    assert switched.request.path == "/bureau"
    assert "Close the month" in text(switched) and 'lang="en"' in text(switched)
    back = web.client.get("/lang/zh", headers={"Referer": "http://localhost/bureau/objections"})
    assert back.headers["Location"].endswith("/bureau/objections")
    assert web.client.get("/lang/fr").status_code == 404
    # the language survives signing out and in
    web.client.get("/lang/en")
    web.post("/logout", from_page="/bureau")
    assert "Sign in" in text(web.get("/login"))
    assert flashes(web.login("clerk1", "wrong"), "error") == ["Wrong username or password."]


def test_chinese_by_default(web):
    for header in (None, "zh-CN,zh;q=0.9,en;q=0.8", "zh", "zh-TW", "fr-FR,fr;q=0.9", "*", ""):
        page = web.client.get(
            "/login", headers={"Accept-Language": header} if header is not None else {}
        )
        assert (
            'lang="zh-CN"' in text(page) and "用户名" in text(page) and "Username" not in text(page)
        ), header


def test_the_browser_language_picks_english_without_the_switch(people, web):
    for header in ("en", "en-US,en;q=0.9,zh-CN;q=0.8", "en-GB", "fr-FR,en;q=0.5"):
        page = web.client.get("/login", headers={"Accept-Language": header})
        assert (
            'lang="en"' in text(page) and "Username" in text(page) and "用户名" not in text(page)
        ), header
        assert "Accept-Language" in page.headers.get("Vary", ""), (
            header
        )  # a cache keeps both languages
    web.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en-US,en;q=0.9"
    assert flashes(web.login("clerk1", "wrong"), "error") == ["Wrong username or password."]
    assert flashes(web.login("clerk1", "clerk1-password"), "success") == ["Welcome, clerk1"]
    page = text(web.get("/bureau"))
    assert "Close the month" in page and 'id="lang-switch"' in page and ">中文</a>" in page
    missing = web.get("/bureau/batches/999")
    assert missing.status_code == 404 and "There is no such page or record." in text(missing)


def test_the_switch_wins_over_the_browser_language(people, web):
    web.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en-US,en;q=0.9"
    web.client.get("/lang/zh")
    page = web.get("/login")
    assert 'lang="zh-CN"' in text(page) and "用户名" in text(page)
    assert "Accept-Language" not in page.headers.get("Vary", "")  # the session decided
    assert flashes(web.login("clerk1", "clerk1-password"), "success") == ["欢迎，clerk1"]
    assert "结账" in text(web.get("/bureau"))
    # and the other way round
    web.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN,zh"
    web.client.get("/lang/en")
    assert "Close the month" in text(web.get("/bureau"))


def test_a_username_that_failed_ten_times_is_refused_on_the_sign_in_page_too(people, web):
    web.client.get("/lang/en")
    for _ in range(10):
        assert flashes(web.login("clerk1", "wrong"), "error") == ["Wrong username or password."]
    refused = web.login("clerk1", "clerk1-password")
    assert flashes(refused, "error") == [
        "Too many failed sign-ins for this username; try again in 15 minutes."
    ]
    home = web.get("/bureau")
    assert home.status_code == 302 and "/login" in home.headers["Location"]  # not signed in
    assert flashes(
        web.login("approver1", "approver1-password"), "success"
    )  # another name is not throttled


def test_a_head_request_for_the_sign_in_page_is_not_a_failed_sign_in(web, db):
    assert web.client.head("/login").status_code == 200
    assert flashes(web.get("/login"), "error") == []
    assert db.scalar(select(func.count()).select_from(SignInFailure)) == 0


def test_the_language_switch_never_leaves_the_site(web):
    response = web.client.get("/lang/en", headers={"Referer": "http://evil.example/x"})
    assert response.headers["Location"] in ("/", "http://localhost/")
    for target in ("//evil.example/", "/%09/evil.example", "/%0a/x", "/%5Cevil.example"):
        response = web.client.get(f"/lang/en?next={target}")
        assert response.status_code == 302, (target, response.status_code)
        assert response.headers["Location"] in ("/", "http://localhost/"), target
    # a path of the site is still where the switch goes back to
    response = web.client.get("/lang/en?next=/bureau/batches?period=2023-03")
    assert response.headers["Location"].endswith("/bureau/batches?period=2023-03")


# ------------------------------------------------------------------ error pages
def test_error_pages_are_html_and_the_api_keeps_problem_json(people, web, client):
    web.login("clerk1", "clerk1-password")
    for path in (
        "/bureau/batches/999",
        "/bureau/nothing-here",
        "/bureau/batches/99999999999999999999",
        "/bureau/enterprises/NOPE",
        "/bureau/filings/NOPE",
        "/bureau/loans/X/Y",
        "/bureau/periods/2023-13/reconciliation",
        "/bureau/batches/1/payees/X/voucher",
    ):
        response = web.get(path)
        assert response.status_code == 404, path
        assert response.mimetype == "text/html" and "没有找到" in text(response), path
    api = client.get("/api/v1/no-such-thing")
    assert api.status_code == 404 and api.mimetype == "application/problem+json"
    assert client.get("/api/v1/batches/99999999999999999999").mimetype == "application/problem+json"
    assert web.client.get("/logout").status_code == 405


def test_bad_query_values_are_a_message_not_a_500(people, web):
    web.login("clerk1", "clerk1-password")
    response = web.get("/bureau/objections?status=bogus")
    assert response.status_code == 200 and flashes(response, "error")
    response = web.get("/bureau/enterprises?q=%00")
    assert response.status_code == 200 and flashes(response, "error")
    response = web.post("/bureau/close", {"period": "2023-2", **CONFIRMED}, from_page="/bureau")
    assert response.status_code == 200 and flashes(response, "error") == ["月份格式应为 YYYY-MM。"]
