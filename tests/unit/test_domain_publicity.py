"""The pure parts of the public 公示 list: the masked USCC and the first day of 公示."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from loanledger.domain.uscc import ALPHABET, masked_uscc, uscc_with_check
from loanledger.domain.workdays import publicity_end, publicity_start, weekday_rule


def test_the_middle_ten_characters_are_masked():
    assert masked_uscc("91442000MA4UJX9X1A") == "9144**********9X1A"


@given(st.text(alphabet=ALPHABET, min_size=17, max_size=17))
def test_a_masked_uscc_keeps_four_and_four(body):
    uscc = uscc_with_check(body)
    shown = masked_uscc(uscc)
    assert len(shown) == 18 and shown[4:14] == "*" * 10
    assert shown[:4] == uscc[:4] and shown[14:] == uscc[14:]


def test_a_short_code_is_hidden_whole():
    assert masked_uscc("ABC") == "***"


def test_publicity_starts_the_working_day_after_the_close():
    friday = dt.date(2026, 12, 4)
    ends_on = publicity_end(friday, 5)
    assert publicity_start(friday, ends_on) == dt.date(2026, 12, 7)  # Monday
    assert ends_on == dt.date(2026, 12, 11)


def test_a_make_up_working_day_starts_it():
    """A holiday rule with a Saturday that is worked (调休)."""
    saturday = dt.date(2025, 2, 8)
    holidays = {dt.date(2025, 2, 3), dt.date(2025, 2, 4)}

    def is_workday(day: dt.date) -> bool:
        return day == saturday or (weekday_rule(day) and day not in holidays)

    closed_on = dt.date(2025, 2, 2)  # a Sunday: Mon and Tue are holidays
    ends_on = publicity_end(closed_on, 3, is_workday)
    assert publicity_start(closed_on, ends_on, is_workday) == dt.date(2025, 2, 5)
    assert ends_on == dt.date(2025, 2, 7)
    friday = dt.date(2025, 2, 7)
    assert publicity_start(friday, publicity_end(friday, 2, is_workday), is_workday) == saturday


def test_a_publicity_of_no_days_starts_and_ends_on_the_close():
    day = dt.date(2026, 12, 4)
    assert publicity_start(day, publicity_end(day, 0)) == day
