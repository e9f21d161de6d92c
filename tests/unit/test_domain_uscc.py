import pytest
from hypothesis import given
from hypothesis import strategies as st

from loanledger.domain.uscc import ALPHABET, uscc_valid, uscc_with_check

SCENARIO_USCCS = [
    "914420006FA300000G",
    "91442000LNJ300000F",
    "914420003YT300000G",
    "91442000H644000008",
]


@pytest.mark.parametrize("uscc", [*SCENARIO_USCCS, uscc_with_check("91442000MA4UJX9X3")])
def test_valid_codes(uscc):
    assert uscc_valid(uscc)


@pytest.mark.parametrize(
    "bad",
    [
        "914420006FA300000H",  # wrong check character
        "914420006FA300000",  # 17 characters
        "914420006FA300000GG",  # 19 characters
        "914420006fa300000G",  # lower case
        "91442000IOSZV00000",  # I, O, S, Z, V are not in the alphabet
        "",
        None,
        914420006,
    ],
)
def test_invalid_codes(bad):
    assert not uscc_valid(bad)


def test_check_value_31_means_zero():
    # Find a body whose weighted sum is a multiple of 31: its check character is '0'.
    body = "91442000H64400000"
    assert uscc_with_check(body) == "91442000H644000008"
    zero = next(b for b in (body[:-1] + c for c in ALPHABET) if uscc_with_check(b).endswith("0"))
    assert uscc_valid(uscc_with_check(zero))


@given(st.text(alphabet=ALPHABET, min_size=17, max_size=17), st.sampled_from(ALPHABET))
def test_exactly_one_check_character_is_valid(body, other):
    code = uscc_with_check(body)
    assert uscc_valid(code)
    assert uscc_valid(body + other) == (other == code[-1])


def test_uscc_with_check_refuses_bad_body():
    with pytest.raises(ValueError):
        uscc_with_check("91442000IOSZV0000")
