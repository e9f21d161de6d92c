"""The subsidy of one interest record (domain.md §4.2-4.4, reason codes §8).

The record's period is cut at every date where anything that matters can change
(balances, rates, LPR, anniversaries, window and policy ends, maturity, overdue
intervals, NPL date, revocation, blacklist entries); each piece is constant, so
its contribution is one exact multiplication. One rounding at the very end.
"""

from __future__ import annotations

import bisect
import functools
from collections.abc import Hashable
from datetime import date
from fractions import Fraction
from itertools import pairwise
from typing import NamedTuple, TypeVar

from .eligibility import (
    REASON_CODES,
    Removal,
    day_removals,
    is_clawed_back,
    sort_reasons,
    subsidy_window,
    whole_loan_reasons,
)
from .facts import EnterpriseFacts, FilingFacts, InterestRecord, LoanFacts, filing_lapsed
from .money import RATE_SCALE, round_half_up
from .policy import Policy
from .timeline import (
    Segment,
    balance_segments,
    change_points,
    lpr_segments,
    rate_segments,
    segments_from_points,
    value_on,
)

__all__ = [
    "REASON_CODES",
    "EnterpriseFacts",
    "FilingFacts",
    "InterestRecord",
    "LoanFacts",
    "RecordResult",
    "SegmentDetail",
    "compute_record",
    "filing_lapsed",
    "subsidised_balances",
]

DAY_COUNT_BASIS = 360
# Bs (fen) x rs_e4 / (100 percent x 10^4 scale x 360 days) = fen of interest per day.
_DAILY_DIVISOR = 100 * RATE_SCALE * DAY_COUNT_BASIS
BPS_TO_E4 = 100  # 1 basis point = 0.01 percent = 100 in rate_e4

Key = TypeVar("Key", bound=Hashable)


# NamedTuples, not frozen dataclasses: the close builds these once per record, and a frozen
# dataclass costs about four times as much to construct.
class SegmentDetail(NamedTuple):
    start: date
    end: date  # exclusive
    balance_fen: int
    subsidised_fen: int
    rate_e4: int
    subsidised_rate_e4: int
    ratio: Fraction
    days: int


class RecordResult(NamedTuple):
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


class _Picture(NamedTuple):
    """The loan's step functions and year boundaries, for one record's period."""

    balance: list[Segment]
    subsidised: list[Segment]
    rate: list[Segment]
    lpr: list[Segment] | None  # None when the policy sets no rate cap
    spread_e4: int
    anniversaries: tuple[date, ...]  # ends of window years 1 .. n-1
    ratios: tuple[Fraction, ...]

    def cut_points(self, start: date, end: date) -> list[date]:
        """Where any figure may change inside (start, end); unsorted, maybe repeated."""
        years = self.anniversaries
        points = list(years[bisect.bisect_right(years, start) : bisect.bisect_left(years, end)])
        for steps in (self.balance, self.subsidised, self.rate, self.lpr or ()):
            if steps and start < steps[-1].start:  # most steps have all their changes before start
                points += change_points(steps, start, end)
        return points

    def figures(self, d: date) -> tuple[int, int, int, int, Fraction]:
        """(balance, subsidised balance, rate, subsidised rate, ratio) on day d."""
        rate_e4 = value_on(self.rate, d)
        ratio = self.ratios[bisect.bisect_right(self.anniversaries, d)]
        return (
            value_on(self.balance, d),
            value_on(self.subsidised, d),
            rate_e4,
            self._capped(rate_e4, d),
            ratio,
        )

    def _capped(self, rate_e4: int, d: date) -> int:
        if self.lpr is None or not self.lpr or d < self.lpr[0].start:
            return rate_e4  # no cap set, or no LPR published yet: nothing to cap against
        return max(0, min(rate_e4, value_on(self.lpr, d) + self.spread_e4))


# A close computes every record of a loan with the same facts: build each step function
# once. Keyed by the facts the steps are made of, not the whole LoanFacts: hashing that
# also walks its strings and delinquencies on every call, hit or miss. Cached lists are
# shared, so they are only ever read.
@functools.lru_cache(maxsize=4096)
def _loan_steps(
    disbursements: tuple,
    repayments: tuple,
    annual_rate_e4: int,
    start: date,
    rate_changes: tuple,
) -> tuple[list[Segment], list[Segment]]:
    balance = balance_segments(list(disbursements), list(repayments))
    rate = rate_segments(annual_rate_e4, start, list(rate_changes))
    return balance, rate


@functools.lru_cache(maxsize=16)
def _lpr_steps(table: tuple[tuple[date, int], ...]) -> list[Segment]:
    return lpr_segments(list(table))


def _picture(
    loan: LoanFacts,
    policy: Policy,
    lpr_table: list[tuple[date, int]],
    subsidised: list[Segment],
    window_start: date,
) -> _Picture:
    spread_bps = policy.rate_cap_spread_bps
    balance, rate = _loan_steps(
        loan.disbursements, loan.repayments, loan.annual_rate_e4, loan.start_date, loan.rate_changes
    )
    return _Picture(
        balance=balance,
        subsidised=subsidised,
        rate=rate,
        lpr=None if spread_bps is None else _lpr_steps(tuple(lpr_table)),
        spread_e4=0 if spread_bps is None else spread_bps * BPS_TO_E4,
        anniversaries=subsidy_window(window_start, policy.subsidy_years)[0],
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
    window_start: date | None = None,
) -> RecordResult:
    """The subsidy owed for one interest record (before the annual cap).

    `window_start` is W0 (domain.window): the window ends and the years turn on its
    anniversaries. None: the loan's own first disbursement, W0 of a loan alone in its group."""
    if record.voided:
        return _zero(("voided",), {})
    if is_clawed_back(loan, filing):
        return _zero(("clawback",), {})
    period_days = max(0, (record.period_end - record.period_start).days)
    whole = whole_loan_reasons(loan, filing, enterprise, policy)
    if whole:
        return _zero(whole, dict.fromkeys(whole, period_days) if period_days else {})
    first = loan.first_disbursement
    assert filing is not None and first is not None
    w0 = window_start or first
    # Only a rule that removes a day of the period can cut it; most records meet none.
    removals = [
        rule
        for rule in day_removals(loan, filing, enterprise, policy, w0)
        if rule.meets(record.period_start, record.period_end)
    ]
    picture = _picture(loan, policy, lpr_table, subsidised, w0)
    return _sum_pieces(record, removals, picture)


def _pieces(
    record: InterestRecord, removals: list[Removal], picture: _Picture
) -> list[tuple[date, date]]:
    start, end = record.period_start, record.period_end
    if end <= start:
        return []
    cuts = picture.cut_points(start, end)
    for rule in removals:
        cuts += [b for b in rule.bounds() if start < b < end]
    if not cuts:
        return [(start, end)]  # the usual record: nothing changes inside its period
    return list(pairwise([start, *sorted(set(cuts)), end]))


def _sum_pieces(record: InterestRecord, removals: list[Removal], picture: _Picture) -> RecordResult:
    removed_days: dict[str, int] = {}
    details: list[SegmentDetail] = []
    for start, end in _pieces(record, removals, picture):
        days = (end - start).days
        removed = [rule.reason for rule in removals if rule.covers(start)] if removals else ()
        for reason in removed:
            removed_days[reason] = removed_days.get(reason, 0) + days
        if removed:
            continue
        figures = picture.figures(start)
        prev = details[-1] if details else None
        if prev is not None and prev.end == start and _figures(prev) == figures:
            # Cut only by a rule that did not bite: the same figures, one line of the breakdown.
            details[-1] = SegmentDetail(prev.start, end, *figures, prev.days + days)
        else:
            details.append(SegmentDetail(start, end, *figures, days))
    exact = _exact_fen(details)
    flags = _flags(details)
    rounded_fen = round_half_up(exact)
    if rounded_fen > record.interest_fen:
        flags.add("interest_paid_limit")
    computed_fen = max(0, min(rounded_fen, record.interest_fen))
    flags.update(removed_days)
    return RecordResult(computed_fen, exact, sort_reasons(flags), tuple(details), removed_days)


def _figures(d: SegmentDetail) -> tuple[int, int, int, int, Fraction]:
    return (d.balance_fen, d.subsidised_fen, d.rate_e4, d.subsidised_rate_e4, d.ratio)


def _exact_fen(details: list[SegmentDetail]) -> Fraction:
    """Exact fen: the sum of Bs x rs/100/360 x ratio x days over the pieces.

    Kept as integers over a common denominator (the ratios' own) and made a Fraction once:
    a Fraction per piece would reduce by a gcd at every step, and the value is the same.
    """
    numerator, denominator = 0, 1
    for d in details:
        fen_days = d.subsidised_fen * d.subsidised_rate_e4 * d.days
        p, q = d.ratio.numerator, d.ratio.denominator
        if q == denominator:
            numerator += fen_days * p
        else:
            numerator, denominator = numerator * q + fen_days * p * denominator, denominator * q
    return Fraction(numerator, denominator * _DAILY_DIVISOR)


def _flags(details: list[SegmentDetail]) -> set[str]:
    flags = set()
    for d in details:
        if d.subsidised_fen < d.balance_fen:
            flags.add("investment_cap")
        # A capped rate on a day with nothing subsidised took no money, so it is not reported.
        if d.subsidised_rate_e4 < d.rate_e4 and d.subsidised_fen > 0:
            flags.add("rate_cap")
    return flags
