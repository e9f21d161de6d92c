"""Every interest line of shared/spec/scenarios, computed by the domain alone."""

from datetime import date
from fractions import Fraction

import pytest

from loanledger.domain.caps import allocate_annual_cap
from loanledger.domain.compensation import claim_compensation, recovery_shares
from loanledger.domain.money import parse_rate, parse_yuan
from loanledger.domain.policy import DEFAULT_POLICY
from loanledger.domain.subsidy import (
    EnterpriseFacts,
    FilingFacts,
    InterestRecord,
    LoanFacts,
    compute_record,
    subsidised_balances,
)
from loanledger.domain.timeline import balance_segments, npl_date

D = date.fromisoformat


def loan(
    contract_no,
    rate,
    start,
    maturity,
    disbursements,
    repayments=(),
    rate_changes=(),
    delinquencies=(),
):
    return LoanFacts(
        bank_code="B",
        contract_no=contract_no,
        annual_rate_e4=parse_rate(rate),
        start_date=D(start),
        maturity_date=D(maturity),
        disbursements=tuple((D(d), parse_yuan(a)) for d, a in disbursements),
        repayments=tuple((D(d), parse_yuan(a)) for d, a in repayments),
        rate_changes=tuple((D(d), parse_rate(r), seq) for d, r, seq in rate_changes),
        delinquencies=tuple((D(d), k, c, seq) for d, k, c, seq in delinquencies),
        link_problem=None,
        subsidy_eligible=True,
    )


def filing(investment, approved_on, revoked_on=None, clawback=False):
    return FilingFacts(
        "F", parse_yuan(investment), D(approved_on), revoked_on and D(revoked_on), clawback, False
    )


def compute(l, f, established_on, period_start, period_end, paid_on, interest, voided=False):
    own = balance_segments(list(l.disbursements), list(l.repayments))
    subsidised = subsidised_balances([(l.contract_no, own)], f.eligible_investment_fen)[
        l.contract_no
    ]
    record = InterestRecord(
        D(period_start), D(period_end), D(paid_on), parse_yuan(interest), voided
    )
    enterprise = EnterpriseFacts("U", D(established_on), (), "C3879")
    return compute_record(record, l, f, enterprise, DEFAULT_POLICY, [], subsidised)


S01 = loan("BOC-2023-001", "3.4500", "2023-03-10", "2025-03-10", [("2023-03-10", "5000000.00")])
S02 = loan(
    "BOC-2023-002",
    "3.6500",
    "2023-01-10",
    "2026-01-10",
    [("2023-01-16", "4000000.00"), ("2023-02-06", "2000000.00")],
    repayments=[("2023-05-15", "1500000.00")],
    rate_changes=[("2023-08-21", "3.5500", 9)],
)
S03_DQ = [
    ("2023-04-30", 9, None, 1),
    ("2023-05-06", 0, None, 2),
    ("2023-10-25", 96, "substandard", 3),
]
S03 = loan(
    "ABC-2023-017",
    "4.0000",
    "2023-02-01",
    "2025-02-01",
    [("2023-02-01", "3000000.00")],
    delinquencies=S03_DQ,
)
S04_BOC = loan("BOC-2023-031", "3.6500", "2023-01-05", "2024-12-31", [("2023-01-10", "2000000.00")])
S04_ABC = loan("ABC-2023-044", "3.8000", "2023-01-05", "2024-12-31", [("2023-01-10", "2000000.00")])
S05 = loan("BOC-2023-050", "3.6500", "2023-01-09", "2025-01-09", [("2023-01-09", "1000000.00")])

CASES = [
    # scenario, loan, filing, established_on, (start, end, paid_on, interest), computed, exact fen, reasons
    (
        "01 I1",
        S01,
        filing("8000000.00", "2023-02-01"),
        "2015-06-01",
        ("2023-03-10", "2023-03-21", "2023-03-21", "5270.83"),
        527083,
        None,
        (),
    ),
    (
        "01 I2",
        S01,
        filing("8000000.00", "2023-02-01"),
        "2015-06-01",
        ("2023-03-21", "2023-06-21", "2023-06-21", "44083.33"),
        4408333,
        None,
        (),
    ),
    (
        "02 I1",
        S02,
        filing("8000000.00", "2023-01-05"),
        "2015-06-01",
        ("2023-01-16", "2023-03-21", "2023-03-21", "34675.00"),
        3467500,
        3467500,
        (),
    ),
    (
        "02 I2",
        S02,
        filing("8000000.00", "2023-01-05"),
        "2015-06-01",
        ("2023-03-21", "2023-06-21", "2023-06-21", "50339.58"),
        5033958,
        None,
        (),
    ),
    (
        "02 I3",
        S02,
        filing("8000000.00", "2023-01-05"),
        "2015-06-01",
        ("2023-06-21", "2023-09-21", "2023-09-21", "41000.00"),
        4100000,
        4158750,
        ("interest_paid_limit",),
    ),
    (
        "03 I1",
        S03,
        filing("3000000.00", "2023-01-20"),
        "2010-04-12",
        ("2023-02-01", "2023-02-21", "2023-02-21", "6666.67"),
        666667,
        None,
        (),
    ),
    (
        "03 I2",
        S03,
        filing("3000000.00", "2023-01-20"),
        "2010-04-12",
        ("2023-02-21", "2023-03-21", "2023-03-21", "9333.33"),
        933333,
        None,
        (),
    ),
    (
        "03 I3",
        S03,
        filing("3000000.00", "2023-01-20"),
        "2010-04-12",
        ("2023-03-21", "2023-04-21", "2023-05-06", "10333.33"),
        1033333,
        None,
        (),
    ),
    (
        "03 I4",
        S03,
        filing("3000000.00", "2023-01-20"),
        "2010-04-12",
        ("2023-04-21", "2023-05-21", "2023-05-21", "10000.00"),
        533333,
        None,
        ("overdue",),
    ),
    (
        "03 I5",
        S03,
        filing("3000000.00", "2023-01-20"),
        "2010-04-12",
        ("2023-05-21", "2023-06-21", "2023-06-21", "10333.33"),
        1033333,
        None,
        (),
    ),
    (
        "04 ABC I1",
        S04_ABC,
        filing("5000000.00", "2023-01-03"),
        "2012-09-01",
        ("2023-01-10", "2023-03-20", "2023-03-20", "14566.67"),
        1456667,
        None,
        (),
    ),
    (
        "04 BOC I1",
        S04_BOC,
        filing("5000000.00", "2023-01-03"),
        "2012-09-01",
        ("2023-01-10", "2023-03-21", "2023-03-21", "14194.44"),
        1419444,
        None,
        (),
    ),
    (
        "04 ABC I2",
        S04_ABC,
        filing("5000000.00", "2023-01-03"),
        "2012-09-01",
        ("2023-03-20", "2023-06-20", "2023-06-20", "19422.22"),
        1942222,
        None,
        (),
    ),
    (
        "04 BOC I2",
        S04_BOC,
        filing("5000000.00", "2023-01-03"),
        "2012-09-01",
        ("2023-03-21", "2023-06-21", "2023-06-21", "18655.56"),
        1865556,
        None,
        (),
    ),
    (
        "05 I1B before revoke",
        S05,
        filing("1000000.00", "2023-01-06"),
        "2016-03-15",
        ("2023-01-09", "2023-02-21", "2023-02-21", "4359.72"),
        435972,
        None,
        (),
    ),
    (
        "05 I2 before revoke",
        S05,
        filing("1000000.00", "2023-01-06"),
        "2016-03-15",
        ("2023-02-21", "2023-03-21", "2023-03-21", "2838.89"),
        283889,
        None,
        (),
    ),
    (
        "05 I3 before revoke",
        S05,
        filing("1000000.00", "2023-01-06"),
        "2016-03-15",
        ("2023-03-21", "2023-04-21", "2023-04-21", "3143.06"),
        314306,
        None,
        (),
    ),
]


@pytest.mark.parametrize(
    "name, l, f, established_on, record, computed_fen, exact_fen, reasons",
    CASES,
    ids=[c[0] for c in CASES],
)
def test_scenario_interest_lines(
    name, l, f, established_on, record, computed_fen, exact_fen, reasons
):
    result = compute(l, f, established_on, *record)
    assert result.computed_fen == computed_fen
    assert result.reasons == reasons
    if exact_fen is not None:
        assert result.exact == exact_fen


def test_scenario_03_i4_removes_the_overdue_days():
    result = compute(
        S03,
        filing("3000000.00", "2023-01-20"),
        "2010-04-12",
        "2023-04-21",
        "2023-05-21",
        "2023-05-21",
        "10000.00",
    )
    assert result.removed_days == {"overdue": 14}
    assert sum(s.days for s in result.segments) == 16


def test_scenario_05_void_and_clawback():
    f = filing("1000000.00", "2023-01-06")
    voided = compute(
        S05, f, "2016-03-15", "2023-01-09", "2023-02-21", "2023-02-21", "4359.72", voided=True
    )
    assert (voided.computed_fen, voided.reasons) == (0, ("voided",))
    clawed = filing("1000000.00", "2023-01-06", revoked_on="2023-04-25", clawback=True)
    for record in [
        ("2023-01-09", "2023-02-21", "2023-02-21", "4359.72"),
        ("2023-02-21", "2023-03-21", "2023-03-21", "2838.89"),
        ("2023-03-21", "2023-04-21", "2023-04-21", "3143.06"),
        ("2023-04-21", "2023-05-21", "2023-05-22", "3041.67"),
    ]:
        result = compute(S05, clawed, "2016-03-15", *record)
        assert (result.computed_fen, result.reasons) == (0, ("clawback",))


def test_scenario_04_annual_cap():
    # Order (paid_on, bank_code, contract_no, period_start): ABC I1, BOC I1, ABC I2, BOC I2.
    allocation = allocate_annual_cap([1456667, 1419444, 1942222, 1865556], parse_yuan("40000.00"))
    assert allocation == [(1456667, 0), (1419444, 0), (1123889, 818333), (0, 1865556)]


def test_scenario_03_claim_and_recovery():
    assert npl_date(list(S03.delinquencies), 90, DEFAULT_POLICY.npl_classifications) == D(
        "2023-10-19"
    )
    loss_base = parse_yuan("3000000.00")
    ratio, compensation = claim_compensation(loss_base, parse_yuan("3000000.00"), DEFAULT_POLICY)
    assert (ratio, compensation) == (Fraction(1, 2), parse_yuan("1500000.00"))
    assert recovery_shares([parse_yuan("800000.00")], compensation, loss_base) == [
        parse_yuan("400000.00")
    ]
