"""Driving the web pages in a Playwright page (tests/browser): signing in and out."""

from __future__ import annotations


def login(page, username: str, password: str) -> None:
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("#login-submit")


def logout(page) -> None:
    with page.expect_navigation():
        page.click("#logout")
