"""The text behind the pages: every msgid the templates and the web code use is translated in
both catalogs (zh_CN, the source language, is the msgid itself; English is translated, not
fuzzy, with the same placeholders), the catalogs hold nothing else, and the committed .mo
files are the .po files compiled; every key the code names has its sentence; every reason
code (domain.md §8) and 409 refusal code (api.md) is explained in words; amounts look like
¥1,234.56. Pure checks: no database."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask_babel.speaklater import LazyString

from loanledger.api.errors import ERROR_CODES
from loanledger.domain.eligibility import REASON_CODES
from loanledger.domain.vocabulary import LineKind
from loanledger.services import list_import, payment_file
from loanledger.web import i18n
from loanledger.web.format import yuan

REPO = Path(__file__).resolve().parents[2]
ROOT = REPO / "loanledger"
KEY_CALL = re.compile(r"""\bt\(\s*['"]([a-z0-9_.]+)['"]\s*[,)]""")
SUCCESS_KEY = re.compile(
    r"""['"]([a-z]+\.[a-z_]+_ok)['"]"""
)  # forms.perform(action, "batch.approved_ok")
PLACEHOLDER = re.compile(r"%\(([a-z_]+)\)s")
CJK = re.compile(r"[\u4e00-\u9fff]")
FIX = "run `make translations` (and translate what it lists)"


def _script():
    spec = importlib.util.spec_from_file_location(
        "translations_script", REPO / "scripts" / "translations.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


translations = _script()


def catalog(locale: str):
    with translations.catalog_path(locale).open("rb") as source:
        return read_po(source, locale=locale)


def ids(messages) -> set[tuple[str | None, str]]:
    return {(m.context, m.id) for m in messages if m.id}


@pytest.fixture(scope="module")
def in_use() -> set[tuple[str | None, str]]:
    """(msgctxt, msgid) of every message the templates and the web code use, extracted now."""
    return ids(translations.extract())


def test_every_msgid_in_use_is_translated_in_both_catalogs(in_use):
    assert len(in_use) > 250
    for locale in translations.LOCALES:
        found = catalog(locale)
        for context, msgid in sorted(in_use, key=str):
            message = found.get(msgid, context=context)
            assert message is not None, (locale, context, msgid, FIX)
            assert message.string.strip() and not message.fuzzy, (locale, context, msgid, FIX)


def test_the_catalogs_and_the_template_hold_only_what_is_in_use(in_use):
    with translations.TEMPLATE.open("rb") as source:
        assert ids(read_po(source)) == in_use, FIX
    for locale in translations.LOCALES:
        assert ids(catalog(locale)) == in_use, (locale, FIX)


def test_the_chinese_catalog_is_the_source_text():
    for message in catalog("zh_CN"):
        if message.id:
            assert message.string == message.id, message.id
            assert CJK.search(message.id) or message.context == "link to the other language", (
                message.id
            )


def test_english_keeps_the_placeholders_and_is_english():
    english = catalog("en")
    assert list(english.check()) == []
    for message in english:
        if message.id:
            assert sorted(PLACEHOLDER.findall(message.string)) == sorted(
                PLACEHOLDER.findall(message.id)
            ), message.id
            if message.context != "link to the other language":
                assert re.search(r"[A-Za-z]", message.string), (message.id, message.string)


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_the_compiled_catalogs_are_those_of_the_po_files(locale):
    def translated(messages):
        return {(m.context, m.id): m.string for m in messages if m.id and m.string and not m.fuzzy}

    with translations.catalog_path(locale, "mo").open("rb") as compiled:
        assert translated(read_mo(compiled)) == translated(catalog(locale)), FIX


def test_every_key_the_code_names_has_its_sentence():
    named = set()
    for path in list((ROOT / "templates").rglob("*.html")) + list((ROOT / "web").glob("*.py")):
        if path.name == "i18n.py":
            continue
        source = path.read_text(encoding="utf-8")
        named.update(
            KEY_CALL.findall(source), SUCCESS_KEY.findall(source) if path.suffix == ".py" else ()
        )
    # keys built from a value: the voucher's purpose per payment_file.purpose_key, an error
    # page per status
    named.update(f"voucher.purpose_{key}" for key in payment_file.PURPOSES)
    named.update(f"error.{status}" for status in (400, 403, 404, 405, 500))
    # a membership stated from the 名录库 page, per outcome (web/lists.py)
    named.update(f"lists.member_{outcome}" for outcome in ("added", "changed", "unchanged"))
    assert len(named) > 15
    assert sorted(named - set(i18n.MESSAGES)) == []


def test_the_tables_hold_msgids_to_translate():
    for table in (
        i18n.MESSAGES,
        i18n.REASONS,
        i18n.REASON_NAMES,
        i18n.STATUSES,
        i18n.ERRORS,
        i18n.LIST_COLUMNS,
        i18n.LIST_IMPORT_REASONS,
    ):
        for code, message in table.items():
            assert isinstance(message, LazyString), code


def test_every_reason_code_is_explained_in_words():
    assert set(i18n.REASONS) == set(REASON_CODES) == set(i18n.REASON_NAMES)


def test_every_column_of_a_list_file_has_its_name():
    assert set(i18n.LIST_COLUMNS) == set(list_import.FIELDS)


def test_every_refusal_a_page_can_meet_is_in_words():
    for code in ERROR_CODES[409]:
        if code not in (
            "request_in_flight",
            "version_conflict",
            "business_date_backwards",
            "already_linked",
        ):
            assert code in i18n.ERRORS, code


def test_statuses_and_kinds_have_names():
    for code in (
        *LineKind,
        "publicity",
        "ready",
        "submitted",
        "approved",
        "paid",
        "partially_paid",
        "pending",
        "failed",
        "none",
        "open",
        "upheld",
        "dismissed",
        "active",
        "held",
    ):
        assert code in i18n.STATUSES, code


def test_an_open_objection_is_not_an_open_month():
    assert i18n.status_text("open", "objection") == "待处理"
    assert i18n.status_text("open") == "未结账" == i18n.status_text("open", "period")
    assert i18n.status_text("upheld", "objection") == "异议成立"


def test_an_unknown_key_or_code_shows_itself():
    assert i18n.t("no.such.key") == "no.such.key"
    assert i18n.reason_text("brand_new_code") == "brand_new_code"
    assert i18n.error_text("brand_new_code", "the service said so") == "the service said so"


def test_outside_a_request_the_text_is_chinese():
    assert i18n.reason_short("interest_paid_limit") == "以实付利息为限"
    assert i18n.t("dash.closed_ok", period="2023-02") == "2023-02 已结账。"
    assert i18n.current_language() == "zh"


@pytest.mark.parametrize(
    "value,shown",
    [
        (0, "¥0.00"),
        (5, "¥0.05"),
        (-5, "-¥0.05"),
        (123456, "¥1,234.56"),
        (-123456, "-¥1,234.56"),
        (100000000000, "¥1,000,000,000.00"),
        ("1234.56", "¥1,234.56"),
        ("-0.50", "-¥0.50"),
        (None, ""),
    ],
)
def test_amounts_look_like_yuan(value, shown):
    assert yuan(value) == shown
