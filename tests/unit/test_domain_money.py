from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loanledger.domain.money import (
    format_fen,
    format_rate,
    format_ratio,
    parse_rate,
    parse_ratio,
    parse_yuan,
    round_half_up,
)


@pytest.mark.parametrize(
    "text, fen",
    [
        ("12", 1200),
        ("0.5", 50),
        ("-3.07", -307),
        ("0", 0),
        ("0.01", 1),
        ("9999999999999.99", 999999999999999),
        ("30000000.00", 3000000000),
    ],
)
def test_parse_yuan(text, fen):
    assert parse_yuan(text, allow_negative=True) == fen


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "1.",
        ".5",
        "1.005",
        "1e3",
        " 1",
        "1 ",
        "1\n",
        "+1",
        "--1",
        "1,000",
        "12345678901234",
        "١٢",
        "１２",
        "NaN",
        "inf",
    ],
)
def test_parse_yuan_refuses_malformed(bad):
    with pytest.raises(ValueError):
        parse_yuan(bad, allow_negative=True)


@pytest.mark.parametrize("not_text", [12, 12.5, Decimal("1"), None, b"12"])
def test_parse_yuan_refuses_non_strings(not_text):
    with pytest.raises(ValueError):
        parse_yuan(not_text)


def test_parse_yuan_negative_only_when_allowed():
    with pytest.raises(ValueError):
        parse_yuan("-3.07")
    with pytest.raises(ValueError):
        parse_yuan("-0.00")
    assert parse_yuan("-0.00", allow_negative=True) == 0


@pytest.mark.parametrize(
    "fen, text", [(123456, "1234.56"), (-5, "-0.05"), (0, "0.00"), (100, "1.00"), (-100, "-1.00")]
)
def test_format_fen(fen, text):
    assert format_fen(fen) == text


@given(st.integers(min_value=-999999999999999, max_value=999999999999999))
def test_format_then_parse_round_trips(fen):
    assert parse_yuan(format_fen(fen), allow_negative=True) == fen


@pytest.mark.parametrize(
    "x, n",
    [
        (Fraction(5, 2), 3),
        (Fraction(-5, 2), -3),
        (Fraction(3, 2), 2),
        (Fraction(-3, 2), -2),
        (Fraction(249, 100), 2),
        (Fraction(-251, 100), -3),
        (Decimal("2.665") * 100, 267),
        (7, 7),
        (Fraction(0), 0),
    ],
)
def test_round_half_up(x, n):
    assert round_half_up(x) == n


def test_round_half_up_refuses_float():
    with pytest.raises(TypeError):
        round_half_up(2.5)


@given(
    st.decimals(
        min_value=-(10**12), max_value=10**12, places=4, allow_nan=False, allow_infinity=False
    )
)
def test_round_half_up_matches_decimal(x):
    assert round_half_up(x) == int(x.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@given(st.fractions(max_denominator=1000).filter(lambda f: abs(f) < 10**9))
def test_round_half_up_fraction_matches_decimal(x):
    # Any Fraction lies within 1/2 of the result; exact halves go away from zero.
    n = round_half_up(x)
    assert abs(x - n) <= Fraction(1, 2)
    if abs(x - n) == Fraction(1, 2):
        assert abs(n) > abs(x)


@pytest.mark.parametrize(
    "text, rate_e4",
    [("3.4500", 34500), ("24", 240000), ("0.0001", 1), ("3.45", 34500), ("24.0000", 240000)],
)
def test_parse_rate(text, rate_e4):
    assert parse_rate(text) == rate_e4


@pytest.mark.parametrize(
    "bad", ["0", "0.0000", "24.0001", "25", "-1", "3.45001", "100", "3.", "", 3.45]
)
def test_parse_rate_refuses(bad):
    with pytest.raises(ValueError):
        parse_rate(bad)


@given(st.integers(min_value=1, max_value=240000))
def test_rate_round_trip(rate_e4):
    text = format_rate(rate_e4)
    assert len(text.partition(".")[2]) == 4
    assert parse_rate(text) == rate_e4


@pytest.mark.parametrize(
    "text, ratio",
    [
        ("0.50", Fraction(1, 2)),
        ("1.00", Fraction(1)),
        ("0", Fraction(0)),
        ("1", Fraction(1)),
        ("0.3333", Fraction(3333, 10000)),
    ],
)
def test_parse_ratio(text, ratio):
    assert parse_ratio(text) == ratio


@pytest.mark.parametrize("bad", ["1.0001", "2", "-0.5", "0.12345", ".5", "", 0.5, None])
def test_parse_ratio_refuses(bad):
    with pytest.raises(ValueError):
        parse_ratio(bad)


@pytest.mark.parametrize(
    "ratio, text",
    [
        (Fraction(1, 2), "0.50"),
        (Fraction(1), "1.00"),
        (Fraction(0), "0.00"),
        (Fraction(1, 3), "0.3333"),
        (Fraction(1, 8), "0.125"),
    ],
)
def test_format_ratio(ratio, text):
    assert format_ratio(ratio) == text


@given(st.integers(min_value=0, max_value=10000))
def test_ratio_round_trip(scaled):
    ratio = Fraction(scaled, 10000)
    assert parse_ratio(format_ratio(ratio)) == ratio
