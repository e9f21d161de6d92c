"""Issue 15: a batch's page gives its submission and approval as business dates (提交日期,
审批日期); the wall-clock times, labelled 系统时间, are secondary."""

from __future__ import annotations

import re

import pytest

from tests.support.demo_story import play
from tests.support.web import Web, text


@pytest.fixture
def story(app, db):
    return play(app, db)


def _signed_in(app, story, role: str) -> Web:
    username, password = next((u, p) for u, p, r in story.report.users if r == role)
    web = Web(app)
    web.login(username, password)
    return web


def test_the_batch_page_gives_the_submission_and_approval_business_dates(app, story):
    page = text(_signed_in(app, story, "auditor").get(f"/bureau/batches/{story.paid_batch_id}"))
    submitted = re.search(r'<td id="submitted-by">(.*?)</td>', page, re.S).group(1)
    assert re.search(r'<span id="submitted-on">提交日期 2025-03-21</span>', submitted)
    assert "系统时间" in submitted
    approved = re.search(r'<td id="approved-by">(.*?)</td>', page, re.S).group(1)
    assert re.search(r'<span id="approved-on">审批日期 2025-03-21</span>', approved)


def test_a_batch_in_publicity_has_no_submission_date(app, story):
    page = text(_signed_in(app, story, "clerk").get(f"/bureau/batches/{story.publicity_batch_id}"))
    assert 'id="submitted-on"' not in page and "提交日期" not in page
