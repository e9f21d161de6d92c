"""Notices to enterprises (站内信, and the e-mail that carries one): their keys, their text,
the e-mail address rule and the sender's retry schedule. Pure: the services read the facts
and store what these functions build (services/notices.py, services/mailer.py).

A notice's key names the one event it is about, so writing it twice (a job run again, a
payment recorded again) finds the key taken and adds nothing; the e-mail's Message-ID is
derived from the same key, so a mail system can recognise a message sent twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from .facts import filing_lapsed
from .money import FEN_PER_YUAN
from .vocabulary import NoticeKind, ObjectionStatus

# A notice is written this many days (or fewer) before a filing of the enterprise would lapse.
LAPSE_WARNING_DAYS = 30

# The sender's waits after the 1st, 2nd, … failed attempt; the attempt after the last wait is
# the last one: when it fails too the e-mail is failed_permanently.
BACKOFF: tuple[dt.timedelta, ...] = (
    dt.timedelta(minutes=1),
    dt.timedelta(minutes=5),
    dt.timedelta(minutes=30),
    dt.timedelta(hours=2),
    dt.timedelta(hours=12),
)
MAX_ATTEMPTS = len(BACKOFF) + 1

MAX_EMAIL_CHARS = 254  # RFC 5321's limit on a path
# A strict, simple rule (docs/decisions.md, "E-mail addresses"): ASCII local part of the
# common characters, a domain of at least two labels, no quoting, no IP literals.
_EMAIL = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)


def email_valid(value: object) -> bool:
    return (
        isinstance(value, str)
        and len(value) <= MAX_EMAIL_CHARS
        and len(value.partition("@")[0]) <= 64
        and _EMAIL.fullmatch(value) is not None
    )


# ------------------------------------------------------------------ keys
def publicity_key(batch_id: int, uscc: str) -> str:
    return f"publicity:{batch_id}:{uscc}"


def paid_key(batch_id: int, uscc: str, reference: str | None) -> str:
    return f"paid:{batch_id}:{uscc}:{reference or ''}"


def payment_failed_key(batch_id: int, uscc: str) -> str:
    return f"payment_failed:{batch_id}:{uscc}"


def objection_key(objection_id: int) -> str:
    return f"objection:{objection_id}"


def lapse_soon_key(filing_no: str) -> str:
    return f"lapse_soon:{filing_no}"


def message_id(key: str, domain: str) -> str:
    """The e-mail's Message-ID, the same for every send of one notice: a second delivery
    (a crash between sending and recording it) carries the same id, which mail systems use
    to drop duplicates. Hashed: a key may hold a bank's reference with any characters."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:40]
    return f"<notice-{digest}@{domain}>"


# ------------------------------------------------------------------ retries
def retry_at(attempts: int, now: dt.datetime) -> dt.datetime | None:
    """When to try again after `attempts` failed attempts; None: give up."""
    if attempts >= MAX_ATTEMPTS:
        return None
    return now + BACKOFF[attempts - 1]


# ------------------------------------------------------------------ text
@dataclass(frozen=True)
class NoticeText:
    kind: NoticeKind
    key: str
    title: str
    body: str


def yuan(amount_fen: int) -> str:
    """1234567 → '12,345.67 元' (exact: integer fen, never a float)."""
    sign = "-" if amount_fen < 0 else ""
    whole, fen = divmod(abs(amount_fen), FEN_PER_YUAN)
    return f"{sign}{whole:,}.{fen:02d} 元"


def day(d: dt.date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def period_words(period: str) -> str:
    year, month = period.split("-")
    return f"{int(year)}年{int(month)}月"


def publicity(
    batch_id: int, uscc: str, name: str, period: str, amount_fen: int, ends_on: dt.date
) -> NoticeText:
    return NoticeText(
        NoticeKind.PUBLICITY,
        publicity_key(batch_id, uscc),
        f"{period_words(period)}贴息进入公示",
        f"{name}：\n"
        f"贵企业{period_words(period)}的贷款贴息（批次 {batch_id}）已进入公示，"
        f"公示金额 {yuan(amount_fen)}，公示期至 {day(ends_on)}。\n"
        f"如对金额有异议，请在公示期内登录企业门户，在“我的贴息明细”中打开对应明细，"
        f"填写理由提出异议；公示期满后不再受理。",
    )


def paid(
    batch_id: int,
    uscc: str,
    name: str,
    period: str,
    amount_fen: int,
    paid_on: dt.date,
    reference: str | None,
) -> NoticeText:
    return NoticeText(
        NoticeKind.PAID,
        paid_key(batch_id, uscc, reference),
        f"{period_words(period)}贴息已支付",
        f"{name}：\n"
        f"贵企业{period_words(period)}的贷款贴息（批次 {batch_id}）{yuan(amount_fen)}"
        f"已于 {day(paid_on)} 支付到贵企业登记的账户，支付凭证号 {reference or '—'}。",
    )


def payment_failed(
    batch_id: int, uscc: str, name: str, period: str, amount_fen: int, reason: str | None
) -> NoticeText:
    return NoticeText(
        NoticeKind.PAYMENT_FAILED,
        payment_failed_key(batch_id, uscc),
        f"{period_words(period)}贴息支付未成功",
        f"{name}：\n"
        f"贵企业{period_words(period)}的贷款贴息（批次 {batch_id}）{yuan(amount_fen)}支付未成功，"
        f"原因：{reason or '银行未说明'}。\n"
        f"该笔款项将转入下一批贴息一并支付；请核对贵企业在主管部门登记的收款账户，"
        f"如有变更请尽快联系主管部门。",
    )


def objection_resolved(
    objection_id: int,
    name: str,
    period: str,
    line_id: int,
    amount_fen: int,
    outcome: str,
    note: str,
) -> NoticeText:
    upheld = outcome == ObjectionStatus.UPHELD
    result = (
        "异议成立：该明细暂不支付，将在下一次月结时重新计算"
        if upheld
        else "异议不成立：该明细按公示金额支付"
    )
    return NoticeText(
        NoticeKind.OBJECTION_RESOLVED,
        objection_key(objection_id),
        f"您的异议已处理（{'成立' if upheld else '不成立'}）",
        f"{name}：\n"
        f"贵企业对{period_words(period)}贴息明细 {line_id}（{yuan(amount_fen)}）"
        f"提出的异议（编号 {objection_id}）已处理。\n{result}。\n主管部门说明：{note}",
    )


def lapse_date(approved_on: dt.date, lapse_days: int) -> dt.date:
    """The first day a filing without a loan contract has lapsed (facts.filing_lapsed: lapsed
    on any day after approved_on + lapse_days)."""
    return approved_on + dt.timedelta(days=lapse_days + 1)


def lapses_soon(
    approved_on: dt.date, start_dates: Iterable[dt.date], lapse_days: int, today: dt.date
) -> bool:
    """An active filing that, as the data stands, will lapse within LAPSE_WARNING_DAYS days:
    the same rule as everywhere (facts.filing_lapsed), asked of the lapse date."""
    lapses_on = lapse_date(approved_on, lapse_days)
    if not today < lapses_on <= today + dt.timedelta(days=LAPSE_WARNING_DAYS):
        return False
    return filing_lapsed(approved_on, start_dates, lapse_days, lapses_on)


def filing_lapse_soon(
    filing_no: str, name: str, project_name: str, approved_on: dt.date, lapse_days: int
) -> NoticeText:
    lapses_on = lapse_date(approved_on, lapse_days)
    deadline = lapses_on - dt.timedelta(days=1)
    return NoticeText(
        NoticeKind.FILING_LAPSE_SOON,
        lapse_soon_key(filing_no),
        f"项目备案 {filing_no} 即将作废",
        f"{name}：\n"
        f"贵企业的项目“{project_name}”（备案号 {filing_no}，{day(approved_on)}备案）"
        f"至今没有在备案后 {lapse_days} 天内签订的贷款合同。"
        f"如 {day(deadline)}（含）前仍未签订贷款合同，该项目备案将于 {day(lapses_on)} 作废，"
        f"其后的贷款不再享受贴息。",
    )
