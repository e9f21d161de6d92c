"""domain.forecast: the records a loan is assumed to report, and the cap after what was granted."""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from loanledger.domain.caps import allocate_annual_cap_by_record
from loanledger.domain.facts import InterestRecord, LoanFacts
from loanledger.domain.forecast import (
    assumed_records,
    contract_interest_fen,
    covered_until,
    month_end,
    months,
    next_month,
    owed_after,
)
from loanledger.domain.timeline import balance_segments, rate_segments


def loan(**changes) -> LoanFacts:
    base = {
        "bank_code": "BK1",
        "contract_no": "C1",
        "annual_rate_e4": 36000,  # 3.6 %
        "start_date": date(2023, 1, 3),
        "maturity_date": date(2025, 1, 1),
        "disbursements": ((date(2023, 1, 3), 50_000_000),),  # 500,000.00: 50.00 a day
        "repayments": (),
        "rate_changes": (),
        "delinquencies": (),
        "link_problem": None,
        "subsidy_eligible": True,
    }
    return LoanFacts(**{**base, **changes})


def record(start: date, end: date, voided: bool = False) -> InterestRecord:
    return InterestRecord(start, end, end, 1, voided)


def test_months_and_their_ends():
    assert next_month(date(2023, 12, 31)) == date(2024, 1, 1)
    assert next_month(date(2024, 1, 31)) == date(2024, 2, 1)
    assert month_end(date(2024, 2, 10)) == date(2024, 2, 29)
    assert month_end(date(2023, 2, 1)) == date(2023, 2, 28)
    assert months(date(2023, 11, 15), date(2024, 2, 1)) == [
        date(2023, 11, 1),
        date(2023, 12, 1),
        date(2024, 1, 1),
    ]
    assert months(date(2023, 11, 1), date(2023, 11, 1)) == []


def test_one_record_a_month_paid_on_its_last_day_for_what_the_contract_earns():
    got = assumed_records(loan(), None, date(2023, 1, 1), date(2023, 4, 1))
    assert got == [
        InterestRecord(date(2023, 1, 3), date(2023, 2, 1), date(2023, 1, 31), 145_000, False),
        InterestRecord(date(2023, 2, 1), date(2023, 3, 1), date(2023, 2, 28), 140_000, False),
        InterestRecord(date(2023, 3, 1), date(2023, 4, 1), date(2023, 3, 31), 155_000, False),
    ]


def test_days_already_reported_are_not_assumed_again():
    covered = covered_until([record(date(2023, 1, 3), date(2023, 2, 15))])
    got = assumed_records(loan(), covered, date(2023, 2, 1), date(2023, 4, 1))
    assert [(r.period_start, r.period_end) for r in got] == [
        (date(2023, 2, 15), date(2023, 3, 1)),
        (date(2023, 3, 1), date(2023, 4, 1)),
    ]
    # a voided record covers nothing
    assert covered_until([record(date(2023, 1, 3), date(2023, 3, 1), voided=True)]) is None


def test_nothing_is_assumed_after_maturity_settlement_full_repayment_or_without_a_drawdown():
    matured = assumed_records(
        loan(maturity_date=date(2023, 3, 10)), None, date(2023, 3, 1), date(2023, 6, 1)
    )
    assert [(r.period_start, r.period_end) for r in matured] == [
        (date(2023, 3, 1), date(2023, 3, 10))
    ]
    assert assumed_records(loan(), None, date(2023, 3, 1), date(2023, 6, 1), settled=True) == []
    assert assumed_records(loan(disbursements=()), None, date(2023, 3, 1), date(2023, 6, 1)) == []
    repaid = loan(repayments=((date(2023, 2, 1), 50_000_000),))
    assert assumed_records(repaid, None, date(2023, 3, 1), date(2023, 6, 1)) == []


def test_the_balance_and_rate_run_on_as_last_reported():
    """A repayment and a rate change before the forecast: their figures from then on."""
    changed = loan(
        repayments=((date(2023, 2, 10), 20_000_000),),
        rate_changes=((date(2023, 2, 20), 48000, 1),),
    )
    got = assumed_records(changed, None, date(2023, 3, 1), date(2023, 5, 1))
    # 300,000.00 at 4.8 %: 40.00 a day
    assert [r.interest_fen for r in got] == [124_000, 120_000]


def test_contract_interest_is_rounded_once_over_its_pieces():
    balance = balance_segments([(date(2023, 1, 1), 33_333_333)], [(date(2023, 1, 16), 123_457)])
    rate = rate_segments(43500, date(2023, 1, 1), [])
    # 33,333,333 × 4.35 % / 360 × 15 + 33,209,876 × 4.35 % / 360 × 16, rounded once
    exact = Fraction((33_333_333 * 15 + 33_209_876 * 16) * 43500, 100 * 10_000 * 360)
    assert 124_622 < exact < Fraction(2 * 124_622 + 1, 2)  # 124,622.43 fen
    assert contract_interest_fen(balance, rate, date(2023, 1, 1), date(2023, 2, 1)) == 124_622


def test_the_cap_after_what_was_granted():
    assert owed_after(0, [100, 100], [150, 150]) == [100, 50]
    assert owed_after(120, [100, 100], [150, 150]) == [30, 0]
    assert owed_after(200, [100], [150]) == [0]  # granted above a lower cap: nothing, never less
    assert owed_after(0, [], []) == []


@given(
    st.integers(min_value=0, max_value=10**6),
    st.lists(st.tuples(st.integers(0, 10**5), st.integers(0, 10**6)), max_size=20),
)
def test_the_cap_after_what_was_granted_is_the_close_allocation_of_the_whole_year(used, rows):
    """Records granted `used` before, then these: as if the close allocated them all at once."""
    computed = [c for c, _ in rows]
    caps = [max(cap, used) for _, cap in rows]
    whole = allocate_annual_cap_by_record([used, *computed], [used, *caps])
    assert owed_after(used, computed, caps) == [owed for owed, _ in whole[1:]]


@given(st.dates(date(2023, 1, 3), date(2024, 12, 1)), st.integers(1, 800))
def test_assumed_records_cover_each_day_once(start, days):
    end = start + timedelta(days=days)
    got = assumed_records(loan(), None, start, end)
    assert all(a.period_end == b.period_start for a, b in zip(got, got[1:], strict=False))
    if got:
        assert got[0].period_start == start
        assert got[-1].period_end == min(end, date(2025, 1, 1))
        assert all(r.period_start.month == r.paid_on.month for r in got)
