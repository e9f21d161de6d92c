from datetime import date

import pytest

from loanledger.domain.dates import (
    add_years,
    next_period,
    parse_date,
    parse_period,
    period_bounds,
    period_of,
    prev_period,
)


@pytest.mark.parametrize(
    "d, n, expected",
    [
        (date(2024, 2, 29), 1, date(2025, 2, 28)),
        (date(2024, 2, 29), 4, date(2028, 2, 29)),
        (date(2024, 2, 29), 3, date(2027, 2, 28)),
        (date(2023, 3, 10), 3, date(2026, 3, 10)),
        (date(2023, 3, 10), -1, date(2022, 3, 10)),
        (date(2023, 3, 10), 0, date(2023, 3, 10)),
    ],
)
def test_add_years(d, n, expected):
    assert add_years(d, n) == expected


@pytest.mark.parametrize(
    "text, bounds",
    [
        ("2023-03", (date(2023, 3, 1), date(2023, 3, 31))),
        ("2023-02", (date(2023, 2, 1), date(2023, 2, 28))),
        ("2024-02", (date(2024, 2, 1), date(2024, 2, 29))),
        ("2023-12", (date(2023, 12, 1), date(2023, 12, 31))),
    ],
)
def test_period_bounds(text, bounds):
    assert period_bounds(text) == bounds


@pytest.mark.parametrize(
    "bad",
    [
        "2023-13",
        "2023-00",
        "2023-3",
        "23-03",
        "2023/03",
        "2023-03-01",
        " 2023-03",
        "2023-03\n",
        None,
        202303,
    ],
)
def test_parse_period_refuses(bad):
    with pytest.raises(ValueError):
        parse_period(bad)


def test_parse_period():
    assert parse_period("2023-03") == (2023, 3)


@pytest.mark.parametrize(
    "p, nxt", [("2023-12", "2024-01"), ("2023-01", "2023-02"), ("2023-09", "2023-10")]
)
def test_next_and_prev_period(p, nxt):
    assert next_period(p) == nxt
    assert prev_period(nxt) == p


def test_period_of():
    assert period_of(date(2023, 3, 31)) == "2023-03"
    assert period_of(date(2024, 1, 1)) == "2024-01"


def test_parse_date_is_strict():
    assert parse_date("2023-03-10") == date(2023, 3, 10)
    for bad in ["20230310", "2023-3-10", "2023-02-30", "2023-03-10T00:00", None]:
        with pytest.raises(ValueError):
            parse_date(bad)


def test_there_is_no_period_in_year_zero():
    import pytest

    from loanledger.domain.dates import parse_period

    with pytest.raises(ValueError):
        parse_period("0000-01")
    assert parse_period("0001-01") == (1, 1)
