"""Notices (domain.notices): the keys, the text built from the facts, the e-mail address
rule, the retry schedule and the lapse-soon rule (the lapse rule of everywhere)."""

from __future__ import annotations

import datetime as dt

import pytest

from loanledger.domain import notices
from loanledger.domain.facts import filing_lapsed
from loanledger.domain.vocabulary import NoticeKind

U = "914420006FA300000G"


def test_amounts_are_exact_yuan_with_thousands():
    assert notices.yuan(0) == "0.00 元"
    assert notices.yuan(5) == "0.05 元"
    assert notices.yuan(1234567_89) == "1,234,567.89 元"
    assert notices.yuan(-5270_83) == "-5,270.83 元"


def test_the_publicity_notice_says_amount_period_end_and_how_to_object():
    n = notices.publicity(7, U, "灯都照明", "2023-03", 5270_83, dt.date(2023, 4, 10))
    assert (n.kind, n.key) == (NoticeKind.PUBLICITY, f"publicity:7:{U}")
    assert n.title == "2023年3月贴息进入公示"
    assert "公示金额 5,270.83 元" in n.body and "公示期至 2023年4月10日" in n.body
    assert "提出异议" in n.body and n.body.startswith("灯都照明：")


def test_payment_notices_carry_date_reference_or_reason():
    paid = notices.paid(7, U, "灯都照明", "2023-03", 100, dt.date(2023, 4, 11), "GK-1")
    assert paid.key == f"paid:7:{U}:GK-1" and "2023年4月11日" in paid.body and "GK-1" in paid.body
    failed = notices.payment_failed(7, U, "灯都照明", "2023-03", 100, None)
    assert failed.key == f"payment_failed:7:{U}" and "银行未说明" in failed.body


@pytest.mark.parametrize(
    "outcome,title,words", [("upheld", "成立", "异议成立"), ("dismissed", "不成立", "异议不成立")]
)
def test_the_objection_notice_gives_the_outcome_and_the_note(outcome, title, words):
    n = notices.objection_resolved(3, "灯都照明", "2023-03", 11, 100, outcome, "核实")
    assert n.key == "objection:3" and title in n.title
    assert words in n.body and "主管部门说明：核实" in n.body


@pytest.mark.parametrize(
    "address",
    ["a@b.cn", "caiwu.zhang+notices@dengdu.example.com.cn", "x_y-z@mail-1.example.org"],
)
def test_addresses_accepted(address):
    assert notices.email_valid(address)


@pytest.mark.parametrize(
    "address",
    [
        None,
        "",
        "caiwu",
        "caiwu@localhost",  # one label
        "a@b.c",  # a one-letter top-level domain
        "a b@x.cn",
        "a..b@x.cn",
        ".a@x.cn",
        "财务@x.cn",  # ASCII only: not every server takes SMTPUTF8
        "a@x.cn\n",
        "a@-x.cn",
        '"a"@x.cn',
        "a@[127.0.0.1]",
        "x" * 65 + "@x.cn",
        "a@" + "x" * 250 + ".cn",
    ],
)
def test_addresses_refused(address):
    assert not notices.email_valid(address)


def test_the_backoff_grows_then_gives_up():
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    waits = [notices.retry_at(n, now) for n in range(1, notices.MAX_ATTEMPTS + 1)]
    assert [w - now for w in waits[:-1] if w] == list(notices.BACKOFF)
    assert waits[-1] is None
    assert list(notices.BACKOFF) == sorted(notices.BACKOFF)


def test_the_message_id_is_the_notices_own():
    one = notices.message_id("paid:7:X:GK/1 <x>", "ll.example.cn")
    assert one == notices.message_id("paid:7:X:GK/1 <x>", "ll.example.cn")
    assert one != notices.message_id("paid:7:X:GK/2", "ll.example.cn")
    assert one.startswith("<notice-") and one.endswith("@ll.example.cn>")
    assert " " not in one and one.count("<") == 1


APPROVED = dt.date(2023, 1, 1)  # + 180 days: a contract may start until 2023-06-30


def test_lapse_soon_is_the_last_30_days_before_the_lapse():
    assert notices.lapse_date(APPROVED, 180) == dt.date(2023, 7, 1)
    assert filing_lapsed(APPROVED, [], 180, dt.date(2023, 7, 1))
    assert not filing_lapsed(APPROVED, [], 180, dt.date(2023, 6, 30))
    soon = [d for d in range(-5, 40) if notices.lapses_soon(APPROVED, [], 180, _before(d))]
    assert soon == list(range(1, 31))  # 30 … 1 days before 2023-07-01


def test_a_loan_in_time_means_no_lapse_soon_and_one_too_late_does_not_help():
    today = dt.date(2023, 6, 15)
    assert not notices.lapses_soon(APPROVED, [dt.date(2023, 6, 30)], 180, today)
    assert notices.lapses_soon(APPROVED, [dt.date(2023, 7, 1)], 180, today)


def _before(days: int) -> dt.date:
    return dt.date(2023, 7, 1) - dt.timedelta(days=days)
