"""The budget forecast's own rules (issue 13): which interest records a loan on the books is
assumed to report in the months to come, and how their subsidy is capped after what the
enterprise has already been granted in the year.

The subsidy of each assumed record is the close's own (domain.subsidy.compute_record over
the same facts), so the forecast of a month that is then closed with unchanged balances and
a bank reporting that month's interest is what the close pays, to the fen.

The assumptions (docs/domain-decisions.md, "The budget forecast"):
- balances and rates stay as last reported: the loan's step functions simply run on after
  its last event; no new loans, disbursements, repayments, rate changes or delinquencies;
- a loan reports one interest record per calendar month, [first day, first of next month),
  paid on the month's last day, for the interest its balance and contract rate earn; the days
  already covered by a reported record are not assumed again;
- a settled loan, a loan without a disbursement and a loan past its maturity report nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from fractions import Fraction
from itertools import pairwise

from .caps import allocate_annual_cap_by_record
from .facts import InterestRecord, LoanFacts
from .money import RATE_SCALE, round_half_up
from .subsidy import SegmentDetail
from .timeline import Segment, balance_segments, change_points, rate_segments, value_on

_DAILY_DIVISOR = 100 * RATE_SCALE * 360  # fen x rate_e4 x days -> fen, as domain.subsidy
_ONE_DAY = timedelta(days=1)


def month_start(d: date) -> date:
    return d.replace(day=1)


def next_month(d: date) -> date:
    """The first day of the month after d's."""
    return date(d.year + 1, 1, 1) if d.month == 12 else date(d.year, d.month + 1, 1)


def month_end(d: date) -> date:
    """The last day of d's month."""
    return next_month(d) - _ONE_DAY


def months(first: date, end: date) -> list[date]:
    """The first day of every month from `first`'s on that starts before `end`."""
    out, m = [], month_start(first)
    while m < end:
        out.append(m)
        m = next_month(m)
    return out


def contract_interest_fen(
    balance: list[Segment], rate: list[Segment], start: date, end: date
) -> int:
    """What the contract earns over [start, end): Σ B(d) × r(d) / 100 / 360, rounded once.
    The interest a bank would report for the period, so an assumed record's subsidy is
    limited as a reported one's is (computed ≤ interest)."""
    inside = change_points(balance, start, end) + change_points(rate, start, end)
    if not inside:  # the usual month: one balance, one rate
        numerator = value_on(balance, start) * value_on(rate, start) * (end - start).days
        return _half_up(numerator, _DAILY_DIVISOR)
    numerator = sum(
        value_on(balance, a) * value_on(rate, a) * (b - a).days
        for a, b in pairwise(sorted({start, end, *inside}))
    )
    return _half_up(numerator, _DAILY_DIVISOR)


def _half_up(numerator: int, denominator: int) -> int:
    """round_half_up(numerator / denominator) without making a Fraction (a forecast rounds a
    million of them); the same value (tests/unit/test_domain_forecast.py)."""
    if numerator < 0:
        return round_half_up(Fraction(numerator, denominator))
    return (2 * numerator + denominator) // (2 * denominator)


def split_by_record(pieces: Iterable[SegmentDetail], records: list[InterestRecord]) -> list[int]:
    """Each record's computed subsidy, from the eligible pieces of one computation
    (domain.subsidy.compute_record) over a period that spans them all.

    What a day earns does not depend on the record it falls in, so the pieces cut at the
    records' bounds are what each record's own computation would find; each record is then
    rounded once and limited to its interest, as compute_record does. One computation for a
    loan's months instead of one a month: the forecast costs about what a close costs.
    `records` are in period order and do not overlap; nor do the pieces."""
    remaining = list(pieces)
    out = []
    i = 0
    for r in records:
        while i < len(remaining) and remaining[i].end <= r.period_start:
            i += 1
        # Σ Bs × rs × days × ratio over the record's days, as domain.subsidy._exact_fen sums it
        numerator, denominator = 0, 1
        j = i
        while j < len(remaining) and remaining[j].start < r.period_end:
            p = remaining[j]
            days = (min(p.end, r.period_end) - max(p.start, r.period_start)).days
            if days > 0:
                fen_days = p.subsidised_fen * p.subsidised_rate_e4 * days
                ratio_n, ratio_d = p.ratio.numerator, p.ratio.denominator
                if ratio_d == denominator:
                    numerator += fen_days * ratio_n
                else:
                    numerator = numerator * ratio_d + fen_days * ratio_n * denominator
                    denominator *= ratio_d
            j += 1
        rounded_fen = _half_up(numerator, denominator * _DAILY_DIVISOR)
        out.append(max(0, min(rounded_fen, r.interest_fen)))
    return out


def covered_until(records: Iterable[InterestRecord]) -> date | None:
    """The end of the last period a live (not voided) record already covers."""
    ends = [r.period_end for r in records if not r.voided]
    return max(ends) if ends else None


def assumed_records(
    loan: LoanFacts, covered: date | None, start: date, end: date, *, settled: bool = False
) -> list[InterestRecord]:
    """The records the loan is assumed to report for the days in [start, end) after `covered`:
    one per calendar month, paid on the month's last day (see the module's assumptions).
    None for a settled loan, one never disbursed, or once its balance is zero or it matured
    (no subsidy is ever due for a day at or after the original maturity)."""
    first = loan.first_disbursement
    if settled or first is None:
        return []
    start = max(start, first, covered or start)
    end = min(end, loan.maturity_date)
    if start >= end:
        return []
    balance = balance_segments(list(loan.disbursements), list(loan.repayments))
    if balance and balance[-1].start <= start and balance[-1].value <= 0:
        return []  # repaid in full before the forecast starts, and nothing comes any more
    rate = rate_segments(loan.annual_rate_e4, loan.start_date, list(loan.rate_changes))
    out = []
    for m in months(start, end):
        period_start, period_end = max(m, start), min(next_month(m), end)
        out.append(
            InterestRecord(
                period_start,
                period_end,
                month_end(m),
                contract_interest_fen(balance, rate, period_start, period_end),
                False,
            )
        )
    return out


def owed_after(used_fen: int, computed_fen: list[int], caps_fen: list[int]) -> list[int]:
    """What each record of one enterprise-year is owed under the annual cap (§4.5), the
    records in §4.5 order and `used_fen` already granted to earlier records of the year."""
    if caps_fen and used_fen + sum(computed_fen) <= min(caps_fen):
        return list(computed_fen)  # the usual enterprise-year: the cap never bites
    granted = allocate_annual_cap_by_record([used_fen, *computed_fen], [used_fen, *caps_fen])
    return [owed for owed, _ in granted[1:]]
