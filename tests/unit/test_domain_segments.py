"""Segment lists: the one-pass canonical form and the keyed lookups equal the plain definitions."""

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from loanledger.domain.timeline import Segment, change_points, segments_from_points, value_on

D = date
BASE = D(2023, 1, 1)


def reference_segments(points):
    """The definition spelled out in two passes: a later point on a date wins, then repeats go."""
    changes = []
    for d, value in points:
        if changes and changes[-1][0] == d:
            changes.pop()
        changes.append((d, value))
    kept = []
    for d, value in changes:
        if value != (kept[-1][1] if kept else 0):
            kept.append((d, value))
    ends = [d for d, _ in kept[1:]] + [None]  # one more than kept when nothing was kept
    return [Segment(d, end, value) for (d, value), end in zip(kept, ends, strict=False)]


days = st.integers(0, 12).map(lambda k: BASE + timedelta(days=k))
point_lists = st.lists(st.tuples(days, st.integers(-1, 2)), max_size=8).map(sorted)


@given(point_lists)
def test_one_pass_equals_the_two_pass_definition(points):
    assert segments_from_points(points) == reference_segments(points)


@given(point_lists, days, days)
def test_lookups_equal_a_scan(points, a, b):
    segments = segments_from_points(points)
    in_force = [s.value for s in segments if s.start <= a]
    assert value_on(segments, a) == (in_force[-1] if in_force else 0)
    assert change_points(segments, a, b) == [s.start for s in segments if a < s.start < b]


def test_segment_reads_by_name_and_compares_as_before():
    s = Segment(D(2023, 1, 1), None, 5)
    assert (s.start, s.end, s.value) == (D(2023, 1, 1), None, 5)
    assert [s] == [Segment(D(2023, 1, 1), None, 5)] and s != Segment(D(2023, 1, 1), None, 6)
