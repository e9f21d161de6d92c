"""Chinese financial capitals (大写金额): a table from the PBOC's filling-in rules and bank
practice, and a property test that an independent parser reads every amount back."""

import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from loanledger.domain.capitals import yuan_in_capitals


@pytest.mark.parametrize(
    "fen, capitals",
    [
        # the web contract's examples
        (1234567, "壹万贰仟叁佰肆拾伍元陆角柒分"),
        (100, "壹元整"),
        (0, "零元整"),
        (10, "壹角"),
        # the brief's section and zero examples
        (100000100, "壹佰万零壹元整"),
        (100005, "壹仟元零伍分"),
        # the examples of 《正确填写票据和结算凭证的基本规定》
        (140950, "壹仟肆佰零玖元伍角"),
        (600714, "陆仟零柒元壹角肆分"),
        (168032, "壹仟陆佰捌拾元零叁角贰分"),
        (10700053, "壹拾万柒仟元零伍角叁分"),
        (1640902, "壹万陆仟肆佰零玖元零贰分"),
        (32504, "叁佰贰拾伍元零肆分"),
        # under one yuan: no 元 written
        (1, "壹分"),
        (5, "伍分"),
        (50, "伍角"),
        (15, "壹角伍分"),
        (99, "玖角玖分"),
        # 壹拾, never a bare 拾
        (1000, "壹拾元整"),
        (1100, "壹拾壹元整"),
        (11000, "壹佰壹拾元整"),
        (10000000, "壹拾万元整"),
        (1001000, "壹万零壹拾元整"),
        # zero runs and sections
        (100100, "壹仟零壹元整"),
        (1000100, "壹万零壹元整"),
        (1010000, "壹万零壹佰元整"),
        (1000000, "壹万元整"),
        (10000000000, "壹亿元整"),
        (10000010000, "壹亿零壹佰元整"),
        (10001000000, "壹亿零壹万元整"),
        (11000000000, "壹亿壹仟万元整"),
        (10100000000, "壹亿零壹佰万元整"),
        (12345678900, "壹亿贰仟叁佰肆拾伍万陆仟柒佰捌拾玖元整"),
        (100000000000000, "壹万亿元整"),
        (100000000000000 + 100, "壹万亿零壹元整"),
        (120000300000000, "壹万贰仟亿零叁佰万元整"),
        # the largest amount the API accepts (money.MONEY_PATTERN: 13 digits of yuan)
        (999999999999999, "玖万玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"),
        (1000000000000000, "壹拾万亿元整"),
        # negative amounts (a clawback)
        (-100, "负壹元整"),
        (-5, "负伍分"),
        (-1234567, "负壹万贰仟叁佰肆拾伍元陆角柒分"),
    ],
)
def test_known_amounts(fen, capitals):
    assert yuan_in_capitals(fen) == capitals


@pytest.mark.parametrize("not_int", [1.0, "100", None, True])
def test_refuses_what_is_not_an_int(not_int):
    with pytest.raises(TypeError):
        yuan_in_capitals(not_int)


# ---------------------------------------------------------------- an independent reader
_DIGIT = {c: i for i, c in enumerate("零壹贰叁肆伍陆柒捌玖")}
_SMALL = {"拾": 10, "佰": 100, "仟": 1000}


def _read_integer(text: str) -> int:
    total = section = number = 0
    for char in text:
        if char in _DIGIT:
            number = _DIGIT[char]
        elif char in _SMALL:
            assert number, f"bare {char} in {text}"
            section += number * _SMALL[char]
            number = 0
        elif char == "万":
            section = (section + number) * 10_000
            number = 0
        elif char == "亿":
            total = (total + section + number) * 100_000_000
            section = number = 0
        else:
            raise AssertionError(f"unexpected {char!r} in {text}")
    return total + section + number


def read_capitals(text: str) -> int:
    """Capitals back to fen; accepts either form the rules allow (整/正, 零 or not before 角)."""
    sign = -1 if text.startswith("负") else 1
    text = text.removeprefix("负")
    if text in ("零元整", "零元正"):
        return 0
    text = text.removesuffix("整").removesuffix("正")
    whole, sep, rest = text.partition("元")
    if not sep:
        whole, rest = "", text
    fen = _read_integer(whole) * 100 if whole else 0
    rest = rest.removeprefix("零")
    match = re.fullmatch(r"(?:([壹贰叁肆伍陆柒捌玖])角)?(?:([壹贰叁肆伍陆柒捌玖])分)?", rest)
    assert match, f"bad fraction {rest!r}"
    fen += 10 * _DIGIT.get(match.group(1) or "零") + _DIGIT.get(match.group(2) or "零")
    return sign * fen


_SHAPE = re.compile(
    r"负?(?:零元整|(?:[零壹贰叁肆伍陆柒捌玖拾佰仟万亿]+元(?:整|零?[壹-玖]角(?:[壹-玖]分)?|零[壹-玖]分))"
    r"|[壹-玖]角(?:[壹-玖]分)?|[壹-玖]分)".replace("壹-玖", "壹贰叁肆伍陆柒捌玖")
)


@given(st.integers(min_value=-(10**15), max_value=10**15))
@example(0)
@example(10**15)
@example(-(10**15))
@example(1)
@example(10**8 * 100)
@example(10**12 * 100)
def test_reads_back_for_every_amount(fen):
    text = yuan_in_capitals(fen)
    assert read_capitals(text) == fen, text
    assert _SHAPE.fullmatch(text), text
    assert "零零" not in text
    assert fen == 0 or not re.search(r"零[元万亿]", text), (
        text
    )  # a zero is never read before a unit
    assert not text.startswith(("拾", "零壹", "负拾")), text
    assert re.search(r"(?<![壹贰叁肆伍陆柒捌玖])拾", text) is None, text  # always 壹拾, 贰拾, ...


@given(st.integers(min_value=0, max_value=10**15))
def test_whole_yuan_end_in_zheng_and_only_they(fen):
    assert yuan_in_capitals(fen).endswith("整") == (fen % 100 == 0)


@given(st.integers(min_value=0, max_value=10**13), st.integers(min_value=1, max_value=99))
def test_the_fraction_does_not_change_the_yuan(yuan, cents):
    whole = yuan_in_capitals(yuan * 100).removesuffix("整")
    assert yuan_in_capitals(yuan * 100 + cents).startswith("" if yuan == 0 else whole)
