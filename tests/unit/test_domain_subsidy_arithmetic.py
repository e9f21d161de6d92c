"""compute_record's exact sum and its breakdown pieces, as the close reads them.

The exact fen is summed as integers over a common denominator and made a Fraction once;
it must equal the per-piece Fraction sum it replaced, for any mix of ratios.
"""

import dataclasses
from datetime import date, timedelta
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from loanledger.domain.policy import DEFAULT_POLICY
from loanledger.domain.subsidy import (
    EnterpriseFacts,
    FilingFacts,
    InterestRecord,
    LoanFacts,
    RecordResult,
    SegmentDetail,
    _exact_fen,
    compute_record,
)
from loanledger.domain.timeline import balance_segments

D = date
FIRST = D(2023, 3, 10)
LOAN = LoanFacts(
    bank_code="B",
    contract_no="C1",
    annual_rate_e4=36000,
    start_date=FIRST,
    maturity_date=D(2027, 3, 10),
    disbursements=((FIRST, 3_600_000),),
    repayments=(),
    rate_changes=(),
    delinquencies=(),
    link_problem=None,
    subsidy_eligible=True,
)
FILING = FilingFacts("F1", 10**12, D(2023, 3, 1), None, False, False)
ENTERPRISE = EnterpriseFacts("U", D(2015, 6, 1), (), "C3879")

ratios = st.sampled_from(
    [0, 1, Fraction(1, 2), Fraction(1, 3), Fraction(7, 10), Fraction(1234, 10_000)]
)
details = st.lists(
    st.builds(
        lambda bs, rs, days, ratio: SegmentDetail(FIRST, FIRST, bs, bs, rs, rs, ratio, days),
        st.integers(0, 10**11),
        st.integers(0, 240_000),
        st.integers(1, 400),
        ratios,
    ),
    max_size=6,
)


@given(details)
def test_exact_equals_the_per_piece_fraction_sum(pieces):
    expected = sum(
        (
            Fraction(d.subsidised_fen * d.subsidised_rate_e4 * d.days, 100 * 10_000 * 360) * d.ratio
            for d in pieces
        ),
        Fraction(0),
    )
    exact = _exact_fen(pieces)
    assert type(exact) is Fraction and exact == expected


def run(start, end, policy=DEFAULT_POLICY):
    own = balance_segments(list(LOAN.disbursements), [])
    return compute_record(
        InterestRecord(start, end, end, 10**12, False), LOAN, FILING, ENTERPRISE, policy, [], own
    )


def test_result_fields_read_by_name_and_segments_are_a_tuple():
    r = run(D(2023, 3, 10), D(2023, 3, 21))
    assert isinstance(r, RecordResult) and type(r.segments) is tuple and type(r.exact) is Fraction
    [s] = r.segments
    assert (
        s.start,
        s.end,
        s.balance_fen,
        s.subsidised_fen,
        s.rate_e4,
        s.subsidised_rate_e4,
        s.ratio,
        s.days,
    ) == (D(2023, 3, 10), D(2023, 3, 21), 3_600_000, 3_600_000, 36000, 36000, 1, 11)


def test_integer_ratios_still_give_a_fraction():
    r = run(
        D(2023, 3, 10),
        D(2023, 3, 21),
        dataclasses.replace(DEFAULT_POLICY, subsidy_ratios=(1, 1, 1)),
    )
    assert type(r.exact) is Fraction and r.exact == 11 * 360


def test_an_anniversary_with_the_same_ratio_leaves_one_piece():
    # The period is cut at 2024-03-10, but both years pay 1.00: one line, every day.
    r = run(D(2024, 3, 1), D(2024, 3, 20))
    assert [(s.start, s.end, s.days) for s in r.segments] == [(D(2024, 3, 1), D(2024, 3, 20), 19)]
    assert r.exact == 19 * 360


def test_pieces_on_either_side_of_a_removed_day_stay_apart():
    blacklisted = dataclasses.replace(ENTERPRISE, blacklist=((D(2023, 4, 5), D(2023, 4, 5)),))
    own = balance_segments(list(LOAN.disbursements), [])
    r = compute_record(
        InterestRecord(D(2023, 4, 1), D(2023, 4, 10), D(2023, 4, 10), 10**12, False),
        LOAN,
        FILING,
        blacklisted,
        DEFAULT_POLICY,
        [],
        own,
    )
    assert [(s.start, s.days) for s in r.segments] == [(D(2023, 4, 1), 4), (D(2023, 4, 6), 4)]
    assert r.removed_days == {"blacklisted": 1} and r.exact == 8 * 360
    assert r.segments[0].end == D(2023, 4, 5) and r.segments[1].start - r.segments[
        0
    ].end == timedelta(days=1)
