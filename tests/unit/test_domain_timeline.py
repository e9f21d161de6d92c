from datetime import date, timedelta
from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from loanledger.domain.timeline import (
    Segment,
    balance_on,
    balance_segments,
    change_points,
    lpr_lookup,
    lpr_segments,
    min_balance_violation,
    npl_date,
    overdue_intervals,
    rate_segments,
    value_on,
)

D = date


def test_balance_scenario_02():
    segments = balance_segments(
        [(D(2023, 1, 16), 400), (D(2023, 2, 6), 200)], [(D(2023, 5, 15), 150)]
    )
    assert segments == [
        Segment(D(2023, 1, 16), D(2023, 2, 6), 400),
        Segment(D(2023, 2, 6), D(2023, 5, 15), 600),
        Segment(D(2023, 5, 15), None, 450),
    ]


def test_repayment_on_day_d_reduces_from_d():
    segments = balance_segments([(D(2023, 1, 1), 100)], [(D(2023, 1, 10), 100)])
    assert balance_on(segments, D(2023, 1, 9)) == 100
    assert balance_on(segments, D(2023, 1, 10)) == 0
    assert balance_on(segments, D(2022, 12, 31)) == 0


def test_equal_dates_merge_and_no_change_leaves_no_segment():
    segments = balance_segments(
        [(D(2023, 1, 1), 100), (D(2023, 1, 1), 50), (D(2023, 2, 1), 30)], [(D(2023, 2, 1), 30)]
    )
    assert segments == [Segment(D(2023, 1, 1), None, 150)]
    assert balance_segments([(D(2023, 1, 1), 100)], [(D(2023, 1, 1), 100)]) == []
    assert balance_segments([], []) == []


def test_min_balance_violation():
    assert min_balance_violation([(D(2023, 1, 1), 100)], [(D(2023, 1, 5), 100)]) is None
    assert min_balance_violation([(D(2023, 1, 1), 100)], [(D(2023, 1, 5), 101)]) == D(2023, 1, 5)
    # Same-day disbursement and repayment net out: the balance is defined per day.
    assert min_balance_violation([(D(2023, 1, 5), 100)], [(D(2023, 1, 5), 100)]) is None
    assert min_balance_violation([(D(2023, 1, 6), 100)], [(D(2023, 1, 5), 100)]) == D(2023, 1, 5)


events = st.lists(
    st.tuples(st.dates(D(2023, 1, 1), D(2023, 3, 1)), st.integers(1, 1000)), max_size=6
)


@given(events, events, st.dates(D(2022, 12, 25), D(2023, 3, 10)))
def test_balance_matches_direct_sum(disbursements, repayments, d):
    expected = sum(a for day, a in disbursements if day <= d) - sum(
        a for day, a in repayments if day <= d
    )
    segments = balance_segments(disbursements, repayments)
    assert balance_on(segments, d) == expected
    assert all(a.end == b.start and a.value != b.value for a, b in pairwise(segments))
    assert all(s.start < s.end for s in segments[:-1]) and (
        not segments or segments[-1].end is None
    )


def test_rate_segments_latest_wins_and_ties_go_to_later_received():
    changes = [(D(2023, 8, 21), 35500, 7), (D(2023, 8, 21), 35000, 9), (D(2023, 6, 1), 36000, 8)]
    segments = rate_segments(36500, D(2023, 1, 10), changes)
    assert value_on(segments, D(2023, 1, 10)) == 36500
    assert value_on(segments, D(2023, 5, 31)) == 36500
    assert value_on(segments, D(2023, 6, 1)) == 36000
    assert value_on(segments, D(2023, 8, 20)) == 36000
    assert value_on(segments, D(2023, 8, 21)) == 35000
    assert value_on(segments, D(2023, 1, 9)) == 0


def test_rate_change_before_start_applies_from_start():
    segments = rate_segments(36500, D(2023, 1, 10), [(D(2023, 1, 1), 30000, 1)])
    assert segments == [Segment(D(2023, 1, 10), None, 30000)]


def test_lpr_lookup():
    table = [(D(2023, 6, 20), 35500), (D(2022, 8, 22), 36500), (D(2023, 8, 21), 34500)]
    lookup = lpr_lookup(table)
    assert lookup(D(2022, 8, 21)) is None
    assert lookup(D(2022, 8, 22)) == 36500
    assert lookup(D(2023, 6, 19)) == 36500
    assert lookup(D(2023, 6, 20)) == 35500
    assert lookup(D(2030, 1, 1)) == 34500
    assert len(lpr_segments(table)) == 3
    assert lpr_lookup([])(D(2023, 1, 1)) is None


def test_change_points_are_strictly_inside():
    segments = balance_segments([(D(2023, 1, 1), 1), (D(2023, 1, 5), 1), (D(2023, 1, 9), 1)], [])
    assert change_points(segments, D(2023, 1, 1), D(2023, 1, 9)) == [D(2023, 1, 5)]
    assert change_points(segments, D(2022, 12, 1), D(2023, 1, 10)) == [
        D(2023, 1, 1),
        D(2023, 1, 5),
        D(2023, 1, 9),
    ]


def test_overdue_intervals_scenario_03():
    dq = [(D(2023, 4, 30), 9, 1), (D(2023, 5, 6), 0, 2), (D(2023, 10, 25), 96, 3)]
    assert overdue_intervals(dq) == [(D(2023, 4, 22), D(2023, 5, 6)), (D(2023, 7, 22), None)]


def test_overdue_reads_in_as_of_order_and_ignores_repeats_while_open():
    dq = [(D(2023, 5, 10), 19, 3), (D(2023, 5, 1), 10, 5), (D(2023, 5, 20), 0, 1)]
    # 05-01 opens at 04-22; 05-10 (later as_of, earlier seq) does not move the start.
    assert overdue_intervals(dq) == [(D(2023, 4, 22), D(2023, 5, 20))]


def test_overdue_same_as_of_ties_by_seq():
    assert overdue_intervals([(D(2023, 5, 1), 0, 2), (D(2023, 5, 1), 3, 1)]) == [
        (D(2023, 4, 29), D(2023, 5, 1))
    ]
    assert overdue_intervals([(D(2023, 5, 1), 0, 1), (D(2023, 5, 1), 3, 2)]) == [
        (D(2023, 4, 29), None)
    ]


def test_overdue_close_without_open_and_one_day():
    assert overdue_intervals([(D(2023, 5, 1), 0, 1)]) == []
    assert overdue_intervals([(D(2023, 5, 1), 1, 1), (D(2023, 5, 2), 0, 2)]) == [
        (D(2023, 5, 1), D(2023, 5, 2))
    ]


NPL_CLASSES = ("substandard", "doubtful", "loss")


def test_npl_date_scenario_03():
    dq = [
        (D(2023, 4, 30), 9, None, 1),
        (D(2023, 5, 6), 0, None, 2),
        (D(2023, 10, 25), 96, "substandard", 3),
    ]
    assert npl_date(dq, 90, NPL_CLASSES) == D(2023, 10, 19)


def test_npl_date_boundaries():
    assert npl_date([(D(2023, 10, 25), 89, None, 1)], 90, NPL_CLASSES) is None
    assert npl_date([(D(2023, 10, 25), 90, None, 1)], 90, NPL_CLASSES) == D(2023, 10, 25)
    assert npl_date([(D(2023, 10, 25), 0, "doubtful", 1)], 90, NPL_CLASSES) == D(2023, 10, 25)
    assert npl_date([(D(2023, 10, 25), 0, "special_mention", 1)], 90, NPL_CLASSES) is None
    assert npl_date([], 90, NPL_CLASSES) is None
    # Earliest wins: a classification before the dpd threshold date.
    dq = [(D(2023, 9, 1), 10, "loss", 1), (D(2023, 12, 31), 120, None, 2)]
    assert npl_date(dq, 90, NPL_CLASSES) == D(2023, 9, 1)
    assert npl_date([(D(2023, 12, 31), 120, None, 1)], 90, NPL_CLASSES) == D(
        2023, 12, 31
    ) - timedelta(days=30)
