import dataclasses
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loanledger.domain.compensation import (
    claim_compensation,
    pool_grant,
    recovery_shares,
    tier_ratio,
)
from loanledger.domain.policy import DEFAULT_POLICY

TIERS = ((1_000_000_00, Fraction(6, 10)), (5_000_000_00, Fraction(5, 10)), (None, Fraction(4, 10)))


@pytest.mark.parametrize(
    "principal, ratio",
    [
        (1, Fraction(6, 10)),
        (1_000_000_00, Fraction(6, 10)),
        (1_000_000_01, Fraction(5, 10)),
        (5_000_000_00, Fraction(5, 10)),
        (5_000_000_01, Fraction(4, 10)),
        (10**15, Fraction(4, 10)),
    ],
)
def test_tier_ratio_first_tier_whose_up_to_is_at_least_principal(principal, ratio):
    assert tier_ratio(principal, TIERS) == ratio


def test_tier_ratio_without_open_tier_is_a_programmer_error():
    with pytest.raises(ValueError):
        tier_ratio(101, ((100, Fraction(1, 2)),))


def test_claim_scenario_03_and_cap():
    assert claim_compensation(3_000_000_00, 3_000_000_00, DEFAULT_POLICY) == (
        Fraction(1, 2),
        1_500_000_00,
    )
    # Half of 12,000,000.00 is above the 5,000,000.00 cap per loan.
    assert claim_compensation(12_000_000_00, 12_000_000_00, DEFAULT_POLICY) == (
        Fraction(1, 2),
        5_000_000_00,
    )
    assert claim_compensation(10_000_000_00, 12_000_000_00, DEFAULT_POLICY)[1] == 5_000_000_00
    assert claim_compensation(3, 3, DEFAULT_POLICY)[1] == 2  # 1.5 fen rounds half up


def test_claim_uses_tier_of_principal_not_loss_base():
    policy = dataclasses.replace(DEFAULT_POLICY, compensation_tiers=TIERS)
    assert claim_compensation(500_000_00, 6_000_000_00, policy) == (Fraction(4, 10), 200_000_00)


def test_recovery_shares():
    assert recovery_shares([800_000_00], 1_500_000_00, 3_000_000_00) == [400_000_00]
    assert recovery_shares([1, 1, 1], 1, 2) == [
        1,
        0,
        0,
    ]  # 0.5 rounds up once, then the claim is used up
    assert recovery_shares([3_000_000_00, 1_000_00], 1_500_000_00, 3_000_000_00) == [
        1_500_000_00,
        0,
    ]
    assert recovery_shares([], 10, 20) == []


@given(
    st.lists(st.integers(min_value=1, max_value=10**10), max_size=8),
    st.integers(min_value=0, max_value=10**10),
    st.integers(min_value=1, max_value=10**10),
)
def test_recovery_shares_never_exceed_compensation(recoveries, compensation, loss_base):
    shares = recovery_shares(recoveries, compensation, loss_base)
    assert all(s >= 0 for s in shares)
    assert sum(shares) <= compensation
    # Prefix-stable: a later recovery never changes earlier shares.
    assert recovery_shares(recoveries[:-1], compensation, loss_base) == shares[:-1]


def test_pool_grant_examples():
    assert pool_grant(1_500_000_00, 20_000_000_00, {}, "ABC") == 1_500_000_00
    assert pool_grant(100, 60, {"A": 50}, "B") == 10
    assert pool_grant(100, 60, {"A": 50, "B": -30}, "B") == 40  # B's own negative owing frees room
    assert pool_grant(100, 60, {"A": 50, "C": -30}, "B") == 10  # another bank's negative does not
    assert pool_grant(100, 40, {"A": 50}, "B") == 0  # already over-committed
    assert pool_grant(0, 100, {}, "A") == 0


owed = st.dictionaries(
    st.sampled_from(["A", "B", "C"]), st.integers(min_value=-(10**6), max_value=10**6), max_size=3
)


@given(
    st.integers(min_value=0, max_value=10**6),
    st.integers(min_value=0, max_value=2 * 10**6),
    owed,
    st.sampled_from(["A", "B", "C"]),
)
def test_pool_grant_never_lets_the_pool_owe_more_than_cash(wanted, cash, owed_by_bank, bank):
    def owed_total(x):
        return sum(
            max(0, o + (x if b == bank else 0)) for b, o in {**{bank: 0}, **owed_by_bank}.items()
        )

    x = pool_grant(wanted, cash, owed_by_bank, bank)
    assert 0 <= x <= wanted
    if owed_total(0) <= cash:
        assert owed_total(x) <= cash
        assert x == wanted or owed_total(x + 1) > cash  # the largest such x
    else:
        assert x == 0
