"""Day rules: `meets` says whether a rule removes a day of a period, as a day-by-day reading does."""

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from loanledger.domain.dates import add_years
from loanledger.domain.eligibility import Removal, subsidy_window

BASE = date(2023, 1, 1)
days = st.integers(0, 15).map(lambda k: BASE + timedelta(days=k))
# Empty and reversed intervals too: a rule built from odd data must still read right.
intervals = st.lists(st.tuples(days, st.none() | days), max_size=3).map(tuple)


@given(intervals, days, days)
def test_meets_iff_some_day_of_the_period_is_covered(spans, start, end):
    rule = Removal("r", spans)
    covered = [
        start + timedelta(days=k)
        for k in range((end - start).days)
        if rule.covers(start + timedelta(days=k))
    ]
    assert rule.meets(start, end) == bool(covered)


@given(st.dates(date(2000, 1, 1), date(2100, 12, 31)), st.integers(0, 10))
def test_subsidy_window_is_the_anniversaries(first, years):
    anniversaries, end = subsidy_window(first, years)
    assert anniversaries == tuple(add_years(first, k) for k in range(1, years))
    assert end == add_years(first, years)


def test_subsidy_window_of_29_february():
    assert subsidy_window(date(2024, 2, 29), 2) == ((date(2025, 2, 28),), date(2026, 2, 28))
