import copy
from datetime import date
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loanledger.domain.errors import DomainError
from loanledger.domain.policy import (
    DEFAULT_POLICY,
    DEFAULT_POLICY_DOC,
    Policy,
    PolicyInvalid,
    default_policy_doc,
    policy_from_doc,
    policy_to_doc,
)


def errors_of(doc, **kwargs):
    with pytest.raises(PolicyInvalid) as info:
        policy_from_doc(doc, **kwargs)
    return info.value.errors


def with_(**changes):
    doc = default_policy_doc()
    doc.update(changes)
    return doc


def test_defaults_match_domain_md():
    p = policy_from_doc(DEFAULT_POLICY_DOC)
    assert p == DEFAULT_POLICY
    assert p.effective_from == date(2022, 5, 11) and p.effective_to is None
    assert p.subsidy_years == 3 and p.subsidy_ratios == (1, 1, 1)
    assert (p.subsidy_window_anchor, p.eligible_industries) == ("enterprise", ("C",))  # v2
    assert p.rate_cap_spread_bps is None
    assert p.annual_cap_per_enterprise_fen == 3_000_000_000
    assert (p.min_enterprise_age_years, p.max_active_filings, p.filing_lapse_days) == (1, 2, 180)
    assert (p.payee, p.publicity_working_days, p.close_day, p.npl_dpd) == ("enterprise", 5, 5, 90)
    assert p.npl_classifications == ("substandard", "doubtful", "loss")
    assert p.compensation_tiers == ((None, Fraction(1, 2)),)
    assert p.claim_cap_per_loan_fen == 500_000_000 and p.pool_leverage == 10


def test_round_trip_is_exact():
    assert policy_to_doc(policy_from_doc(DEFAULT_POLICY_DOC)) == DEFAULT_POLICY_DOC


def test_default_policy_doc_is_a_copy():
    doc = default_policy_doc()
    doc["subsidy_ratios"].append("0.5")
    assert DEFAULT_POLICY_DOC["subsidy_ratios"] == ["1.00", "1.00", "1.00"]


def test_scenario_04_override():
    assert (
        policy_from_doc(with_(annual_cap_per_enterprise="40000.00")).annual_cap_per_enterprise_fen
        == 4_000_000
    )


def test_policy_invalid_is_a_domain_error():
    err = errors_of(with_(payee="nobody"))
    assert err == [("payee", "invalid_format", err[0][2])]
    with pytest.raises(DomainError):
        policy_from_doc(with_(payee="nobody"))


def test_required_and_unknown_fields():
    doc = with_(surprise=1)
    del doc["close_day"]
    assert [(f, c) for f, c, _ in errors_of(doc)] == [
        ("close_day", "required"),
        ("surprise", "unknown_field"),
    ]


def test_ignore_fields_lets_envelope_keys_through():
    assert (
        policy_from_doc(
            with_(version=3, in_force_from="2023-01-01"), ignore_fields=("version", "in_force_from")
        )
        == DEFAULT_POLICY
    )


def test_not_an_object():
    assert errors_of(["nope"])[0][1] == "invalid_format"


@pytest.mark.parametrize(
    "field, value",
    [
        ("annual_cap_per_enterprise", 30000000),  # a JSON number for money
        ("annual_cap_per_enterprise", 30000000.0),
        ("annual_cap_per_enterprise", "-1.00"),
        ("annual_cap_per_enterprise", "1.005"),
        ("claim_cap_per_loan", None),
        ("close_day", 0),
        ("close_day", 29),
        ("close_day", True),
        ("close_day", "5"),
        ("close_day", 5.0),
        ("subsidy_years", 0),
        ("subsidy_years", 11),
        ("pool_leverage", 0),
        ("npl_dpd", 0),
        ("filing_lapse_days", 0),
        ("max_active_filings", 0),
        ("rate_cap_spread_bps", 2401),
        ("rate_cap_spread_bps", False),
        ("rate_cap_spread_bps", "50"),
        ("payee", "Bank"),
        ("payee", None),
        ("effective_from", "2022-5-11"),
        ("effective_from", None),
        ("effective_to", "20230101"),
        ("npl_classifications", ["bad"]),
        ("npl_classifications", ["loss", "loss"]),
        ("npl_classifications", "loss"),
        ("subsidy_window_anchor", "Enterprise"),
        ("subsidy_window_anchor", None),
        ("subsidy_window_anchor", "bank"),
        ("eligible_industries", "C"),
        ("eligible_industries", []),
        ("eligible_industries", ["C", "C"]),
        ("eligible_industries", {"C": 1}),
    ],
)
def test_invalid_values(field, value):
    assert (field, "invalid_format") in [(f, c) for f, c, _ in errors_of(with_(**{field: value}))]


@pytest.mark.parametrize(
    "field, value",
    [
        ("close_day", 1),
        ("close_day", 28),
        ("rate_cap_spread_bps", 0),
        ("rate_cap_spread_bps", -50),
        ("rate_cap_spread_bps", 2400),
        ("annual_cap_per_enterprise", "0.00"),
        ("publicity_working_days", 0),
        ("min_enterprise_age_years", 0),
        ("payee", "bank"),
        ("effective_to", "2022-05-11"),
        ("npl_classifications", []),
        ("subsidy_window_anchor", "loan"),
        ("subsidy_window_anchor", "filing"),
        ("eligible_industries", None),
        ("eligible_industries", ["C", "I65", "M7320", "A"]),
    ],
)
def test_valid_edge_values(field, value):
    assert policy_to_doc(policy_from_doc(with_(**{field: value})))[field] == value


@pytest.mark.parametrize("prefix", ["c", "U", "C12345", "C3a", " C", "C\n", "", 3, None, {}, ["C"]])
def test_an_industry_prefix_is_a_gb_t_4754_code_and_names_its_index(prefix):
    errors = errors_of(with_(eligible_industries=["C", prefix]))
    assert [(f, c) for f, c, _ in errors] == [("eligible_industries[1]", "invalid_format")]


def test_a_document_without_the_v2_keys_takes_the_v2_defaults():
    """A version 1 client's PUT (every v1 key, none of v2's): what it does not say is §3's
    default. Stored version 1 documents got v1's rules written in (migration 0008)."""
    doc = default_policy_doc()
    del doc["subsidy_window_anchor"], doc["eligible_industries"]
    p = policy_from_doc(doc)
    assert (p.subsidy_window_anchor, p.eligible_industries) == ("enterprise", ("C",))
    v1_rules = policy_from_doc(with_(subsidy_window_anchor="loan", eligible_industries=None))
    assert (v1_rules.subsidy_window_anchor, v1_rules.eligible_industries) == ("loan", None)


def test_ratio_count_must_match_years():
    assert errors_of(with_(subsidy_years=2))[0][:2] == ("subsidy_ratios", "invalid_format")
    p = policy_from_doc(with_(subsidy_years=2, subsidy_ratios=["1.00", "0.5"]))
    assert p.subsidy_ratios == (1, Fraction(1, 2))
    assert policy_to_doc(p)["subsidy_ratios"] == ["1.00", "0.50"]


def test_bad_ratio_names_its_index():
    errors = errors_of(with_(subsidy_ratios=["1.00", 1, "1.5"]))
    assert [(f, c) for f, c, _ in errors] == [
        ("subsidy_ratios[1]", "invalid_format"),
        ("subsidy_ratios[2]", "invalid_format"),
    ]


def test_one_year_programme():
    p = policy_from_doc(with_(subsidy_years=1, subsidy_ratios=["0.5"]))
    assert (p.subsidy_years, p.subsidy_ratios) == (1, (Fraction(1, 2),))


def test_effective_to_before_from():
    assert errors_of(with_(effective_to="2022-05-10"))[0][:2] == ("effective_to", "invalid_format")


def test_tiers():
    tiers = [
        {"up_to": "1000000.00", "ratio": "0.60"},
        {"up_to": "5000000.00", "ratio": "0.50"},
        {"up_to": None, "ratio": "0.40"},
    ]
    p = policy_from_doc(with_(compensation_tiers=tiers))
    assert p.compensation_tiers == (
        (100_000_000, Fraction(3, 5)),
        (500_000_000, Fraction(1, 2)),
        (None, Fraction(2, 5)),
    )
    assert policy_to_doc(p)["compensation_tiers"] == tiers


@pytest.mark.parametrize(
    "tiers, field, code",
    [
        ([], "compensation_tiers", "invalid_format"),
        (
            [{"up_to": "100.00", "ratio": "0.5"}],
            "compensation_tiers",
            "invalid_format",
        ),  # no open tier
        (
            [{"up_to": None, "ratio": "0.5"}, {"up_to": None, "ratio": "0.4"}],
            "compensation_tiers",
            "invalid_format",
        ),
        (
            [
                {"up_to": "200.00", "ratio": "0.5"},
                {"up_to": "100.00", "ratio": "0.5"},
                {"up_to": None, "ratio": "0.4"},
            ],
            "compensation_tiers",
            "invalid_format",
        ),
        (
            [{"up_to": "0.00", "ratio": "0.5"}, {"up_to": None, "ratio": "0.4"}],
            "compensation_tiers",
            "invalid_format",
        ),
        ([{"up_to": None}], "compensation_tiers[0].ratio", "required"),
        ([{"up_to": None, "ratio": "0.5", "x": 1}], "compensation_tiers[0].x", "unknown_field"),
        (
            [{"up_to": 100, "ratio": "0.5"}, {"up_to": None, "ratio": "0.5"}],
            "compensation_tiers[0].up_to",
            "invalid_format",
        ),
        (["0.5"], "compensation_tiers[0]", "invalid_format"),
        ({"up_to": None, "ratio": "0.5"}, "compensation_tiers", "invalid_format"),
    ],
)
def test_invalid_tiers(tiers, field, code):
    assert (field, code) in [(f, c) for f, c, _ in errors_of(with_(compensation_tiers=tiers))]


def test_errors_are_sorted_by_field_path():
    errors = errors_of(with_(pool_leverage=0, close_day=0, payee="x"))
    assert [f for f, _, _ in errors] == ["close_day", "payee", "pool_leverage"]


money = st.integers(min_value=0, max_value=10**15 - 1)
ratio = st.integers(min_value=0, max_value=10000).map(lambda n: Fraction(n, 10000))


@st.composite
def policies(draw):
    years = draw(st.integers(min_value=1, max_value=10))
    start = draw(st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 1, 1)))
    bounds = sorted(draw(st.sets(st.integers(min_value=1, max_value=10**15 - 1), max_size=3)))
    return Policy(
        effective_from=start,
        effective_to=draw(st.none() | st.dates(min_value=start, max_value=date(2040, 1, 1))),
        subsidy_years=years,
        subsidy_window_anchor=draw(st.sampled_from(["enterprise", "filing", "loan"])),
        eligible_industries=draw(
            st.none()
            | st.lists(st.from_regex(r"\A[A-T][0-9]{0,4}\Z"), min_size=1, unique=True).map(tuple)
        ),
        subsidy_ratios=tuple(draw(st.lists(ratio, min_size=years, max_size=years))),
        rate_cap_spread_bps=draw(st.none() | st.integers(min_value=-1000, max_value=2400)),
        annual_cap_per_enterprise_fen=draw(money),
        min_enterprise_age_years=draw(st.integers(min_value=0, max_value=100)),
        max_active_filings=draw(st.integers(min_value=1, max_value=100)),
        filing_lapse_days=draw(st.integers(min_value=1, max_value=3650)),
        payee=draw(st.sampled_from(["enterprise", "bank"])),
        publicity_working_days=draw(st.integers(min_value=0, max_value=60)),
        close_day=draw(st.integers(min_value=1, max_value=28)),
        npl_dpd=draw(st.integers(min_value=1, max_value=3650)),
        npl_classifications=tuple(
            draw(
                st.lists(
                    st.sampled_from(["special_mention", "substandard", "doubtful", "loss"]),
                    unique=True,
                )
            )
        ),
        compensation_tiers=(*tuple((b, draw(ratio)) for b in bounds), (None, draw(ratio))),
        claim_cap_per_loan_fen=draw(money),
        pool_leverage=draw(st.integers(min_value=1, max_value=100)),
    )


@given(policies())
def test_any_valid_policy_round_trips(p):
    doc = policy_to_doc(p)
    assert policy_from_doc(copy.deepcopy(doc)) == p
    assert policy_to_doc(policy_from_doc(doc)) == doc
