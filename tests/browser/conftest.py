"""Browser tests: the real app served over HTTP, driven in Debian's chromium by Playwright.

- `live_server` (package): the app that tests/conftest.py builds once per process
  (`create_app`, the web pages included), served by a threaded werkzeug server on a free
  localhost port. Each test's `app` fixture points that same app at the test's own database
  (a fresh SQLite copy, or the emptied PostgreSQL database), so these tests run on both
  engines like every database test, and each starts from nothing. Server and browser stop
  when tests/browser is done, not at the end of the whole run.
- `browser` (package): chromium at /usr/bin/chromium (LOANLEDGER_CHROMIUM names another),
  launched by Playwright (its own browser download does not work on this network).
  Missing: the tests are skipped, or fail under CI=true (.ci/run installs the package).
- `page` (per test): a new browser context (no cookies) on the live server.
- `programme` (per test): users, a bank, an enterprise with its filing, a loan with its
  events, and the close of 2025-01 — so a subsidy batch in 公示 exists — all through the
  signed HTTP API and the staff API, as a bank and a clerk would.
- `shots`: screenshots of the key steps under test-artifacts/screenshots/.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.support.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    TIMEOUT_MS,
    LiveServer,
    Programme,
    Shots,
    build_programme,
    missing_browser,
)
from tests.support.servers import serving


# ---------------------------------------------------------------- the server
@pytest.fixture(scope="package")
def live_server(_shared_app) -> Iterator[LiveServer]:
    app = _shared_app[0]
    with serving(app) as url:
        yield LiveServer(url, app)


# ---------------------------------------------------------------- the browser
@pytest.fixture(scope="package")
def browser():
    if not os.access(CHROMIUM, os.X_OK):
        missing_browser(f"chromium is not installed at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:  # the test extra is not installed
        missing_browser(f"playwright is not importable ({error})")
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
    except Exception as error:
        playwright.stop()
        missing_browser(f"chromium at {CHROMIUM} did not start: {error}")
    yield browser
    browser.close()
    playwright.stop()


@pytest.fixture
def page(browser, live_server: LiveServer, app):
    """`app` first: the live server must already serve this test's database."""
    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def shots(request) -> Shots:
    return Shots(request.node.name)


# ---------------------------------------------------------------- the data
@pytest.fixture
def programme(staff, bank) -> Programme:
    """The programme of tests/support/browser.py (`build_programme`): a subsidy batch in 公示
    and the users who act on it."""
    return build_programme(staff, bank)
