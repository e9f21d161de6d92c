"""The rules of the pages' crawl (tests/support/crawl.py) catch what they are for, so that the
crawl test passing means something: English words, codes, actors, raw amounts; and they leave
the data's identifiers, dates and the few allowed words alone. Pure: no database."""

from __future__ import annotations

from tests.support.crawl import Allowed, findings, visible_text

ALLOWED = Allowed(
    frozenset({"ZSRCB-2025-0001", "91442000MA4UJX9X1A"}), codes=frozenset({"ZSRCB", "clerk"})
)


def test_what_a_chinese_page_must_not_show_is_found():
    found = findings(
        "经办人 user:clerk 核对 period_status 金额 5000000.00 银行 ZSRCB 状态 paid", ALLOWED
    )
    assert {
        "actor user:clerk",
        "identifier period_status",
        "raw amount 5000000.00",
        "code ZSRCB",
        "English paid",
    } <= set(found)


def test_identifiers_dates_amounts_in_yuan_and_allowed_words_pass():
    shown = (
        "中山农商银行 / ZSRCB-2025-0001 91442000MA4UJX9X1A 2025-01-21 16:00 2025-01 "
        "¥5,000,000.00 下载 (Excel) CSV XLSX English LPR"
    )
    assert findings(shown, ALLOWED) == []


def test_visible_text_leaves_out_scripts_forms_and_identifiers_but_not_what_follows():
    text, links = visible_text(
        '<p>甲<input data-identifier value="x">乙<span data-identifier>a_b<br></span>丙'
        '<script>var paid_on = 1;</script><a href="/x" title="提示">链接</a>'
        "<textarea>policy_doc</textarea>丁</p>"
    )
    for shown in ("甲", "乙", "丙", "提示", "链接", "丁"):
        assert shown in text
    for hidden in ("a_b", "paid_on", "policy_doc"):
        assert hidden not in text
    assert links == ["/x"]


def test_a_stored_record_is_no_longer_exempt():
    """The audit page shows before and after in words since issue 15: `data-verbatim` hides
    nothing any more, so a record shown as raw JSON is found."""
    text, _links = visible_text('<p>甲<code data-verbatim>{"paid_on": 1}</code>乙</p>')
    assert "paid_on" in text
    assert "identifier paid_on" in findings(text, ALLOWED)
