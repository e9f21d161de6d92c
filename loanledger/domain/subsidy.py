"""The subsidy of one interest record (domain.md §4.2-4.4, reason codes §8).

The record's period is cut at every date where anything that matters can change
(balances, rates, LPR, anniversaries, window and policy ends, maturity, overdue
intervals, NPL date, revocation, blacklist entries); each piece is constant, so
its contribution is one exact multiplication. One rounding at the very end.
"""
from __future__ import annotations

import bisect
import functools
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from itertools import pairwise
from typing import Hashable, TypeVar

from .dates import add_years
from .eligibility import (
    REASON_CODES, Removal, day_removals, is_clawed_back, sort_reasons, whole_loan_reasons,
)
from .facts import EnterpriseFacts, FilingFacts, InterestRecord, LoanFacts, filing_lapsed
from .money import RATE_SCALE, round_half_up
from .policy import Policy
from .timeline import (
    Segment, balance_segments, change_points, lpr_segments, rate_segments,
    segments_from_points, value_on,
)

__all__ = [
    "REASON_CODES", "FilingFacts", "EnterpriseFacts", "LoanFacts", "InterestRecord",
    "SegmentDetail", "RecordResult", "filing_lapsed", "subsidised_balances", "compute_record",
]

DAY_COUNT_BASIS = 360
# Bs (fen) x rs_e4 / (100 percent x 10^4 scale x 360 days) = fen of interest per day.
_DAILY_DIVISOR = 100 * RATE_SCALE * DAY_COUNT_BASIS
BPS_TO_E4 = 100  # 1 basis point = 0.01 percent = 100 in rate_e4

Key = TypeVar("Key", bound=Hashable)


@dataclass(frozen=True)
class SegmentDetail:
    start: date
    end: date  # exclusive
    balance_fen: int
    subsidised_fen: int
    rate_e4: int
    subsidised_rate_e4: int
    ratio: Fraction
    days: int


@dataclass(frozen=True)
class RecordResult:
    computed_fen: int
    exact: Fraction  # in fen, before the single rounding
    reasons: tuple[str, ...]
    segments: tuple[SegmentDetail, ...]  # eligible pieces only
    removed_days: dict[str, int]  # reason -> days it removed (a day may count for several)


def subsidised_balances(
    loans: list[tuple[Key, list[Segment]]], eligible_investment_fen: int
) -> dict[Key, list[Segment]]:
    """Bs per loan (§4.3): in the caller's order each loan takes min(B, what is left)."""
    if len(loans) == 1 and _canonical_within(loans[0][1], eligible_investment_fen):
        # Alone on its filing and never above the investment: Bs is B (the same list, read only).
        return {loans[0][0]: loans[0][1]}
    change_dates = sorted({s.start for _, segments in loans for s in segments})
    points: dict[Key, list[tuple[date, int]]] = {key: [] for key, _ in loans}
    for d in change_dates:
        left_fen = eligible_investment_fen
        for key, segments in loans:
            taken_fen = max(0, min(value_on(segments, d), left_fen))
            left_fen -= taken_fen
            points[key].append((d, taken_fen))
    return {key: segments_from_points(p) for key, p in points.items()}


def _canonical_within(segments: list[Segment], ceiling_fen: int) -> bool:
    """A canonical step function (as segments_from_points makes them) with 0 <= value <= ceiling."""
    previous = 0
    for i, s in enumerate(segments):
        if s.value == previous or not 0 <= s.value <= ceiling_fen:
            return False
        following = segments[i + 1].start if i + 1 < len(segments) else None
        if s.end != following or (following is not None and not s.start < following):
            return False
        previous = s.value
    return True


@dataclass(frozen=True)
class _Picture:
    """The loan's step functions and year boundaries, for one record's period."""

    balance: list[Segment]
    subsidised: list[Segment]
    rate: list[Segment]
    lpr: list[Segment] | None  # None when the policy sets no rate cap
    spread_e4: int
    anniversaries: list[date]  # ends of window years 1 .. n-1
    ratios: tuple[Fraction, ...]

    def cut_points(self, start: date, end: date) -> set[date]:
        points: set[date] = set()
        for steps in (self.balance, self.subsidised, self.rate, self.lpr or []):
            points.update(change_points(steps, start, end))
        points.update(d for d in self.anniversaries if start < d < end)
        return points

    def subsidised_rate_e4(self, d: date) -> int:
        rate_e4 = value_on(self.rate, d)
        if self.lpr is None or not self.lpr or d < self.lpr[0].start:
            return rate_e4  # no cap set, or no LPR published yet: nothing to cap against
        return max(0, min(rate_e4, value_on(self.lpr, d) + self.spread_e4))

    def ratio(self, d: date) -> Fraction:
        return self.ratios[bisect.bisect_right(self.anniversaries, d)]


# A close computes every record of a loan with the same facts: build each step function
# once. Cached lists are shared, so they are only ever read.
@functools.lru_cache(maxsize=4096)
def _loan_steps(loan: LoanFacts) -> tuple[list[Segment], list[Segment]]:
    balance = balance_segments(list(loan.disbursements), list(loan.repayments))
    rate = rate_segments(loan.annual_rate_e4, loan.start_date, list(loan.rate_changes))
    return balance, rate


@functools.lru_cache(maxsize=16)
def _lpr_steps(table: tuple[tuple[date, int], ...]) -> list[Segment]:
    return lpr_segments(list(table))


def _picture(
    loan: LoanFacts, policy: Policy, lpr_table: list[tuple[date, int]],
    subsidised: list[Segment], first: date,
) -> _Picture:
    spread_bps = policy.rate_cap_spread_bps
    balance, rate = _loan_steps(loan)
    return _Picture(
        balance=balance,
        subsidised=subsidised,
        rate=rate,
        lpr=None if spread_bps is None else _lpr_steps(tuple(lpr_table)),
        spread_e4=0 if spread_bps is None else spread_bps * BPS_TO_E4,
        anniversaries=[add_years(first, k) for k in range(1, policy.subsidy_years)],
        ratios=policy.subsidy_ratios,
    )


def _zero(reasons: tuple[str, ...], removed_days: dict[str, int]) -> RecordResult:
    return RecordResult(0, Fraction(0), reasons, (), removed_days)


def compute_record(
    record: InterestRecord,
    loan: LoanFacts,
    filing: FilingFacts | None,
    enterprise: EnterpriseFacts,
    policy: Policy,
    lpr_table: list[tuple[date, int]],
    subsidised: list[Segment],
) -> RecordResult:
    """The subsidy owed for one interest record (before the annual cap)."""
    if record.voided:
        return _zero(("voided",), {})
    if is_clawed_back(loan, filing):
        return _zero(("clawback",), {})
    period_days = max(0, (record.period_end - record.period_start).days)
    whole = whole_loan_reasons(loan, filing, enterprise, policy)
    if whole:
        return _zero(whole, {reason: period_days for reason in whole} if period_days else {})
    assert filing is not None and loan.first_disbursement is not None
    first = loan.first_disbursement
    removals = day_removals(loan, filing, enterprise, policy, first)
    picture = _picture(loan, policy, lpr_table, subsidised, first)
    return _sum_pieces(record, removals, picture)


def _pieces(record: InterestRecord, removals: list[Removal], picture: _Picture) -> list[tuple[date, date]]:
    start, end = record.period_start, record.period_end
    if end <= start:
        return []
    cuts = picture.cut_points(start, end)
    cuts.update(b for rule in removals for b in rule.bounds() if start < b < end)
    ordered = [start, *sorted(cuts), end]
    return list(pairwise(ordered))


def _sum_pieces(record: InterestRecord, removals: list[Removal], picture: _Picture) -> RecordResult:
    exact = Fraction(0)
    removed_days: dict[str, int] = {}
    flags: set[str] = set()
    details: list[SegmentDetail] = []
    for start, end in _pieces(record, removals, picture):
        days = (end - start).days
        removed = [rule.reason for rule in removals if rule.covers(start)]
        for reason in removed:
            removed_days[reason] = removed_days.get(reason, 0) + days
        if removed:
            continue
        detail = _detail(picture, start, end, days)
        exact += _piece_interest(detail)
        flags.update(_detail_flags(detail))
        details.append(detail)
    rounded_fen = round_half_up(exact)
    if rounded_fen > record.interest_fen:
        flags.add("interest_paid_limit")
    computed_fen = max(0, min(rounded_fen, record.interest_fen))
    reasons = sort_reasons(set(removed_days) | flags)
    return RecordResult(computed_fen, exact, reasons, tuple(_merge_details(details)), removed_days)


def _detail(picture: _Picture, start: date, end: date, days: int) -> SegmentDetail:
    return SegmentDetail(
        start=start, end=end,
        balance_fen=value_on(picture.balance, start),
        subsidised_fen=value_on(picture.subsidised, start),
        rate_e4=value_on(picture.rate, start),
        subsidised_rate_e4=picture.subsidised_rate_e4(start),
        ratio=picture.ratio(start),
        days=days,
    )


def _piece_interest(detail: SegmentDetail) -> Fraction:
    """Exact fen: Bs x rs/100/360 x ratio x days, all integers until the ratio."""
    fen_days = detail.subsidised_fen * detail.subsidised_rate_e4 * detail.days
    return Fraction(fen_days, _DAILY_DIVISOR) * detail.ratio


def _detail_flags(detail: SegmentDetail) -> list[str]:
    flags = []
    if detail.subsidised_fen < detail.balance_fen:
        flags.append("investment_cap")
    # A capped rate on a day with nothing subsidised took no money, so it is not reported.
    if detail.subsidised_rate_e4 < detail.rate_e4 and detail.subsidised_fen > 0:
        flags.append("rate_cap")
    return flags


def _merge_details(details: list[SegmentDetail]) -> list[SegmentDetail]:
    """Join adjacent pieces whose figures are identical (cut only by a rule that did not bite)."""
    merged: list[SegmentDetail] = []
    for d in details:
        prev = merged[-1] if merged else None
        if prev is not None and prev.end == d.start and _figures(prev) == _figures(d):
            merged[-1] = SegmentDetail(prev.start, d.end, *_figures(d), prev.days + d.days)
        else:
            merged.append(d)
    return merged


def _figures(d: SegmentDetail) -> tuple:
    return (d.balance_fen, d.subsidised_fen, d.rate_e4, d.subsidised_rate_e4, d.ratio)
