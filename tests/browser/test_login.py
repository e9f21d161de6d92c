"""The sign-in page in a real browser: a wrong password is refused, a clerk lands on /bureau."""

from __future__ import annotations

import pytest

from tests.support.browser import login

pytestmark = pytest.mark.browser


def test_login_page_refuses_a_wrong_password_and_signs_a_clerk_in(page, programme, shots):
    page.goto("/")
    assert page.url.endswith("/login")
    shots(page, "login-page")

    login(page, "clerk1", "not-the-password")
    assert page.url.endswith("/login")
    assert page.locator(".flash.flash-error").count() == 1
    shots(page, "wrong-password")

    login(page, "clerk1", programme.passwords["clerk1"])
    assert page.url.endswith("/bureau")
    assert page.locator("#logout").count() == 1
    shots(page, "bureau-home")

    with page.expect_navigation():
        page.click("#logout")
    page.goto("/bureau")
    assert "/login" in page.url
