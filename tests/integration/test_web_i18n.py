"""The dictionary behind the pages: every key a template or view uses exists in Chinese and
English; every reason code (domain.md §8) and 409 refusal code (api.md) is explained in words;
amounts look like ¥1,234.56. Pure checks: no database."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from loanledger.api.errors import ERROR_CODES
from loanledger.domain.eligibility import REASON_CODES
from loanledger.persistence.tables import LINE_KINDS
from loanledger.web import i18n
from loanledger.web.format import yuan

ROOT = Path(__file__).resolve().parents[2] / "loanledger"
KEY_CALL = re.compile(r"""\bt\(\s*['"]([a-z0-9_.]+)['"]\s*[,)]""")


def used_keys() -> set[str]:
    keys = set()
    for path in list((ROOT / "templates").rglob("*.html")) + list((ROOT / "web").glob("*.py")):
        keys.update(KEY_CALL.findall(path.read_text(encoding="utf-8")))
    # keys built from a value in a template: voucher.purpose_<kind>
    keys.update({"voucher.purpose_subsidy", "voucher.purpose_compensation"})
    return keys


def test_every_key_in_use_exists_in_both_languages():
    keys = used_keys()
    assert len(keys) > 100
    missing = sorted(k for k in keys if k not in i18n.TEXT)
    assert missing == []
    for table in (i18n.TEXT, i18n.REASONS, i18n.REASON_NAMES, i18n.STATUSES, i18n.ERRORS):
        for key, (zh, en) in table.items():
            assert zh.strip() and en.strip(), key
            assert re.search(r"[\u4e00-\u9fff]", zh) or zh in ("English",) or key.startswith("lang."), (key, zh)
            assert zh.count("{") == en.count("{"), key  # the same placeholders


def test_every_reason_code_is_explained_in_words():
    assert set(i18n.REASONS) == set(REASON_CODES) == set(i18n.REASON_NAMES)


def test_every_refusal_a_page_can_meet_is_in_words():
    for code in ERROR_CODES[409]:
        if code not in ("request_in_flight", "version_conflict", "business_date_backwards", "already_linked"):
            assert code in i18n.ERRORS, code


def test_statuses_and_kinds_have_names():
    for code in LINE_KINDS + ("publicity", "ready", "submitted", "approved", "paid", "partially_paid",
                              "pending", "failed", "none", "open", "upheld", "dismissed", "active", "held"):
        assert code in i18n.STATUSES, code


def test_an_unknown_key_or_code_shows_itself():
    assert i18n.t("no.such.key") == "no.such.key"
    assert i18n.reason_text("brand_new_code") == "brand_new_code"
    assert i18n.error_text("brand_new_code", "the service said so") == "the service said so"


@pytest.mark.parametrize("value,shown", [
    (0, "¥0.00"), (5, "¥0.05"), (-5, "-¥0.05"), (123456, "¥1,234.56"), (-123456, "-¥1,234.56"),
    (100000000000, "¥1,000,000,000.00"), ("1234.56", "¥1,234.56"), ("-0.50", "-¥0.50"), (None, ""),
])
def test_amounts_look_like_yuan(value, shown):
    assert yuan(value) == shown
