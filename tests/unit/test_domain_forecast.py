"""domain.forecast: the records a loan is assumed to report, and the cap after what was granted."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from fractions import Fraction
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from loanledger.domain.caps import allocate_annual_cap_by_record
from loanledger.domain.facts import EnterpriseFacts, FilingFacts, InterestRecord, LoanFacts
from loanledger.domain.forecast import (
    _half_up,
    assumed_records,
    contract_interest_fen,
    covered_until,
    month_end,
    months,
    next_month,
    owed_after,
    split_by_record,
)
from loanledger.domain.money import round_half_up
from loanledger.domain.policy import DEFAULT_POLICY
from loanledger.domain.subsidy import compute_record
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
    assert all(a.period_end == b.period_start for a, b in pairwise(got))
    if got:
        assert got[0].period_start == start
        assert got[-1].period_end == min(end, date(2025, 1, 1))
        assert all(r.period_start.month == r.paid_on.month for r in got)


# ------------------------------------------------------------------ one computation, split by month
@st.composite
def pictures(draw):
    """A loan with repayments, rate changes and delinquencies, a policy with ratios, a window
    and maybe an LPR cap, and a W0 at or before the first disbursement."""
    first = draw(st.dates(date(2023, 1, 1), date(2024, 6, 1)))
    principal = draw(st.integers(1, 10**9))
    repayments = tuple(
        sorted(
            (first + timedelta(days=d), draw(st.integers(1, principal // 4 + 1)))
            for d in draw(st.lists(st.integers(1, 500), max_size=3, unique=True))
        )
    )
    facts = loan(
        annual_rate_e4=draw(st.sampled_from([36000, 43500, 12345])),
        start_date=first,
        maturity_date=first + timedelta(days=draw(st.integers(30, 1200))),
        disbursements=((first, principal),),
        repayments=repayments,
        rate_changes=tuple(
            (first + timedelta(days=d), draw(st.sampled_from([30000, 41000])), seq)
            for seq, d in enumerate(draw(st.lists(st.integers(-5, 500), max_size=2)))
        ),
        delinquencies=tuple(
            (first + timedelta(days=d), k, None, seq)
            for seq, (d, k) in enumerate(
                draw(
                    st.lists(
                        st.tuples(st.integers(1, 600), st.sampled_from([0, 5, 40])), max_size=2
                    )
                )
            )
        ),
    )
    years = draw(st.integers(1, 3))
    policy = dataclasses.replace(
        DEFAULT_POLICY,
        effective_from=date(2022, 5, 11),
        subsidy_years=years,
        subsidy_ratios=tuple(
            draw(st.sampled_from([Fraction(1), Fraction(1, 2), Fraction(1, 3)]))
            for _ in range(years)
        ),
        rate_cap_spread_bps=draw(st.sampled_from([None, 0, 30])),
        npl_dpd=30,
    )
    w0 = first - timedelta(days=draw(st.sampled_from([0, 0, 200, 700])))
    start = first + timedelta(days=draw(st.integers(0, 400)))
    return facts, policy, w0, start


@settings(max_examples=200, deadline=None)
@given(pictures())
def test_one_computation_split_by_month_is_each_months_own(picture):
    """The forecast computes a loan's assumed months at once and splits the result: each
    month's figure is what compute_record gives that month's record alone (the close's)."""
    facts, policy, w0, start = picture
    filing = FilingFacts("F", 10**12, date(2022, 12, 1), None, False, False)
    enterprise = EnterpriseFacts("U", date(2010, 1, 1), (), "C3879")
    lpr = [(date(2022, 12, 20), 36500), (date(2023, 8, 21), 34500)]
    subsidised = balance_segments(list(facts.disbursements), list(facts.repayments))
    records = assumed_records(facts, None, start, start + timedelta(days=730))
    if not records:
        return

    def computed(record):
        return compute_record(record, facts, filing, enterprise, policy, lpr, subsidised, w0)

    span = InterestRecord(records[0].period_start, records[-1].period_end, start, 10**15, False)
    split = split_by_record(computed(span).segments, records)
    assert split == [computed(r).computed_fen for r in records]


@given(st.integers(-(10**15), 10**15), st.integers(1, 10**12))
def test_integer_rounding_is_round_half_up(numerator, denominator):
    assert _half_up(numerator, denominator) == round_half_up(Fraction(numerator, denominator))
