"""The O(log n) interest-overlap check agrees with checking every live record."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from loanledger.services.facts import LoanData

DAY0 = dt.date(2023, 1, 1)


def _event(i, start, end, kind="interest", target=None):
    return SimpleNamespace(
        id=i,
        event_id=f"E{i}",
        type=kind,
        period_start=start,
        period_end=end,
        target_event_id=target,
    )


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 300), st.integers(1, 40)), max_size=25),
    st.lists(st.integers(0, 24), max_size=5),
    st.integers(0, 330),
    st.integers(1, 60),
)
def test_bisect_matches_brute_force(spans, voids, new_start, new_days):
    data = LoanData(loan=None)
    for i, (offset, days) in enumerate(spans):  # accept only what does not overlap, as intake does
        start, end = DAY0 + dt.timedelta(offset), DAY0 + dt.timedelta(offset + days)
        if data.interest_overlapping(start, end) is None:
            data.append(_event(i, start, end))
    for j, target in enumerate(voids):
        data.append(_event(1000 + j, None, None, kind="void", target=f"E{target}"))
    start = DAY0 + dt.timedelta(new_start)
    end = start + dt.timedelta(new_days)
    brute = [e for e in data.live("interest") if e.period_start < end and start < e.period_end]
    found = data.interest_overlapping(start, end)
    assert (found is None) == (not brute)
    if found is not None:
        assert found[2] in {e.event_id for e in brute}
