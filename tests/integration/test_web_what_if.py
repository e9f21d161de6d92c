"""The what-if page's refusals in words: a draft the policy's rules refuse lists every problem
as the field's caption and the rule (the policy editor's words, web/admin_forms.py), text
that is no JSON object and a month range the wrong way round are a Chinese message; the
form keeps what was typed. The result in words: tests/integration/test_web_words.py."""

from __future__ import annotations

import html
import json
import re

import pytest

from tests.support.web import Web, flashes, text

ASCII_WORD = re.compile(r"[A-Za-z_]{3,}")


@pytest.fixture
def clerk(staff, app) -> Web:
    staff.create("clerk1", "clerk", password="clerk1-password")
    staff.set_business_date("2025-03-03")
    web = Web(app)
    web.login("clerk1", "clerk1-password")
    return web


def draft(web: Web) -> dict:
    form = text(web.get("/bureau/what-if"))
    typed = re.search(r'<textarea name="policy"[^>]*>(.*?)</textarea>', form, re.S)[1]
    return json.loads(html.unescape(typed))


def price(web: Web, policy: str, first: str = "2025-01", last: str = "2025-03"):
    return web.post(
        "/bureau/what-if",
        {"policy": policy, "from": first, "to": last},
        from_page="/bureau/what-if",
    )


def problems(page: str) -> list[str]:
    listed = re.search(r'id="what-if-problems">(.*?)</ul>', page, re.S)
    return re.findall(r"<li>(.*?)</li>", listed[1]) if listed else []


def test_a_refused_draft_lists_its_problems_by_the_policy_captions(clerk):
    doc = draft(clerk)
    doc["close_day"] = "five"
    doc["no_such_rule"] = 1
    answer = price(clerk, json.dumps(doc))
    page = text(answer)
    assert flashes(answer, "error") == ["政策草案有误，未测算。请按下列提示修改："]
    said = problems(page)
    assert len(said) == 2 and any(p.startswith("每月结账日：") for p in said)
    assert "未知字段：不是政策的字段。" in said
    assert not any(ASCII_WORD.search(p) for p in said), said
    assert 'id="what-if-banks"' not in page
    assert "five" in page  # the draft as typed, to correct


def test_text_that_is_no_policy_or_months_the_wrong_way_round_are_said_in_chinese(clerk):
    for typed in ("{close_day: 5", "[1, 2]"):
        answer = price(clerk, typed)
        assert flashes(answer, "error") == ["政策内容不是有效的 JSON 对象。"]
        assert not problems(text(answer))
    backwards = price(clerk, json.dumps(draft(clerk)), "2025-03", "2025-01")
    said = flashes(backwards, "error")
    assert len(said) == 1 and not ASCII_WORD.search(said[0]), said


def test_in_english_the_problems_are_english_too(clerk):
    clerk.get("/lang/en")
    doc = draft(clerk)
    doc["close_day"] = "five"
    answer = price(clerk, json.dumps(doc))
    assert flashes(answer, "error") == [
        "The draft policy has problems; nothing was computed. Correct the following:"
    ]
    assert [p.split(":")[0] for p in problems(text(answer))] == ["Monthly close day"]
