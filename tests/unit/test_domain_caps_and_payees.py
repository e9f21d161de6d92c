from hypothesis import given
from hypothesis import strategies as st

from loanledger.domain.caps import allocate_annual_cap
from loanledger.domain.payees import PayeeTotal, payee_total


def test_scenario_04():
    assert allocate_annual_cap([1456667, 1419444, 1942222, 1865556], 4_000_000) == [
        (1456667, 0),
        (1419444, 0),
        (1123889, 818333),
        (0, 1865556),
    ]


def test_cap_boundaries():
    assert allocate_annual_cap([100, 100], 200) == [(100, 0), (100, 0)]
    assert allocate_annual_cap([100, 101], 200) == [(100, 0), (100, 1)]
    assert allocate_annual_cap([100], 0) == [(0, 100)]
    assert allocate_annual_cap([0, 50], 10) == [(0, 0), (10, 40)]
    assert allocate_annual_cap([], 10) == []


@given(
    st.lists(st.integers(min_value=0, max_value=10**10)), st.integers(min_value=0, max_value=10**11)
)
def test_cap_is_never_exceeded(computed, cap):
    allocation = allocate_annual_cap(computed, cap)
    assert sum(g for g, _ in allocation) <= cap
    assert all(
        g + c == x and g >= 0 and c >= 0 for (g, c), x in zip(allocation, computed, strict=True)
    )
    # Greedy in order: once a record is capped, every later one gets nothing.
    capped_at = next((i for i, (_, c) in enumerate(allocation) if c), len(allocation))
    assert all(g == 0 for g, _ in allocation[capped_at + 1 :])
    if capped_at == len(allocation):
        assert sum(computed) <= cap
    else:
        assert sum(g for g, _ in allocation) == cap


def test_payee_total():
    assert payee_total([500, -200]) == PayeeTotal(300, 300, 0)
    assert payee_total([-435972, -283889]) == PayeeTotal(-719861, 0, -719861)
    assert payee_total([]) == PayeeTotal(0, 0, 0)


@given(st.lists(st.integers(min_value=-(10**9), max_value=10**9)))
def test_payee_total_splits_into_pays_and_carried(lines):
    t = payee_total(lines)
    assert t.pays_fen >= 0 >= t.carried_out_fen
    assert t.pays_fen + t.carried_out_fen == t.total_fen == sum(lines)
    assert t.pays_fen == 0 or t.carried_out_fen == 0
