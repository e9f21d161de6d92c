"""domain.md v2's subsidy rules, each against the plain formula of §4.4:
Σ Bs × r / 100 / 360 × ratio over the eligible days, rounded once.

W0 under each anchor (§4.2 item 3), a backdated disbursement moving it, loans that open no
window, 29 February, the year index counted from W0, the industry rule and the subsidy
product (item 0), and the lapse by contract start_date (item 1)."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from fractions import Fraction

import pytest

from loanledger.domain.eligibility import REASON_CODES, eligibility_on, whole_loan_reasons
from loanledger.domain.facts import (
    EnterpriseFacts,
    FilingFacts,
    InterestRecord,
    LoanFacts,
    filing_lapsed,
)
from loanledger.domain.industry import industry_eligible
from loanledger.domain.money import round_half_up
from loanledger.domain.policy import default_policy_doc, policy_from_doc
from loanledger.domain.subsidy import compute_record
from loanledger.domain.timeline import balance_segments
from loanledger.domain.window import WindowLoan, Windows, opens_window

D = date
PRINCIPAL_FEN = 100_000_000  # 1,000,000.00 yuan
RATE_E4 = 36_000  # 3.6000 %
ENTERPRISE = EnterpriseFacts("914420006FA300000G", D(2010, 1, 1), (), "C3879")
F1 = FilingFacts("F1", 10**12, D(2023, 1, 1), None, False, False)
F2 = FilingFacts("F2", 10**12, D(2023, 6, 1), None, False, False)


def policy(**changes):
    """§3's defaults (anchor enterprise, industries ["C"]) with ratios that show the year."""
    doc = default_policy_doc()
    doc.update({"subsidy_ratios": ["1.00", "0.50", "0.25"], **changes})
    return policy_from_doc(doc)


def loan(contract, *disbursed, start=None, eligible=True, link_problem=None) -> LoanFacts:
    tranches = tuple((d, PRINCIPAL_FEN) for d in disbursed)
    return LoanFacts(
        bank_code="BK1",
        contract_no=contract,
        annual_rate_e4=RATE_E4,
        start_date=start or min(disbursed, default=D(2023, 1, 1)),
        maturity_date=D(2031, 1, 1),
        disbursements=tranches,
        repayments=(),
        rate_changes=(),
        delinquencies=(),
        link_problem=link_problem,
        subsidy_eligible=eligible,
    )


def w0(members, target, pol, enterprise=ENTERPRISE):
    return Windows(members, enterprise, pol).start(target)


def plain_fen(balance_fen: int, days_by_ratio: dict[Fraction, int]) -> int:
    """§4.4 by hand: the balance is constant, so Σ over days is balance × rate × days."""
    exact = sum(
        Fraction(balance_fen * RATE_E4 * days, 100 * 10_000 * 360) * ratio
        for ratio, days in days_by_ratio.items()
    )
    return round_half_up(exact)


def subsidy(member: WindowLoan, start, end, pol, window_start, enterprise=ENTERPRISE):
    facts, filing = member
    balance = balance_segments(list(facts.disbursements), [])
    record = InterestRecord(start, end, end, 10**12, False)
    return compute_record(
        record, facts, filing, enterprise, pol, [], balance, window_start=window_start
    )


# ---------------------------------------------------------------- W0 per anchor
A = WindowLoan(loan("A", D(2023, 3, 1)), F1)
B = WindowLoan(loan("B", D(2024, 6, 1)), F2)
B2 = WindowLoan(loan("B2", D(2024, 9, 1)), F2)


@pytest.mark.parametrize(
    "anchor, expected",
    [
        ("enterprise", {"A": D(2023, 3, 1), "B": D(2023, 3, 1), "B2": D(2023, 3, 1)}),
        ("filing", {"A": D(2023, 3, 1), "B": D(2024, 6, 1), "B2": D(2024, 6, 1)}),
        ("loan", {"A": D(2023, 3, 1), "B": D(2024, 6, 1), "B2": D(2024, 9, 1)}),
    ],
)
def test_w0_is_the_earliest_first_disbursement_of_the_anchor(anchor, expected):
    pol = policy(subsidy_window_anchor=anchor)
    members = [A, B, B2]
    assert {m.loan.contract_no: w0(members, m, pol) for m in members} == expected


def test_the_window_runs_from_the_loans_own_first_disbursement_to_w0_plus_the_years():
    """B (first disbursed 2024-06-01) under the enterprise anchor: W0 = 2023-03-01, so its
    window is [2024-06-01, 2026-03-01) and it starts in year 2 (ratio 0.50)."""
    pol = policy()
    start = w0([A, B], B, pol)
    assert start == D(2023, 3, 1)
    # its first days: before its own first disbursement nothing, then year 2 at 0.50
    r = subsidy(B, D(2024, 5, 25), D(2024, 6, 11), pol, start)
    assert r.removed_days == {"outside_window": 7}
    assert r.computed_fen == plain_fen(PRINCIPAL_FEN, {Fraction(1, 2): 10})
    # the window ends at W0 + 3 years, not at B's own third anniversary
    r = subsidy(B, D(2026, 2, 20), D(2026, 3, 10), pol, start)
    assert r.removed_days == {"outside_window": 9}
    assert r.computed_fen == plain_fen(PRINCIPAL_FEN, {Fraction(1, 4): 9})
    assert r.reasons == ("outside_window",)
    # version 1's rule (anchor loan): B's own window, year 1 at 1.00
    v1 = policy(subsidy_window_anchor="loan")
    r = subsidy(B, D(2024, 6, 1), D(2024, 6, 11), v1, w0([A, B], B, v1))
    assert r.computed_fen == plain_fen(PRINCIPAL_FEN, {Fraction(1): 10})


def test_the_year_index_counts_anniversaries_of_w0():
    """A record of B across W0's second anniversary (2025-03-01) switches from 0.50 to 0.25."""
    pol = policy()
    r = subsidy(B, D(2025, 2, 20), D(2025, 3, 10), pol, w0([A, B], B, pol))
    assert r.computed_fen == plain_fen(PRINCIPAL_FEN, {Fraction(1, 2): 9, Fraction(1, 4): 9})
    assert [(s.start, s.end, s.ratio) for s in r.segments] == [
        (D(2025, 2, 20), D(2025, 3, 1), Fraction(1, 2)),
        (D(2025, 3, 1), D(2025, 3, 10), Fraction(1, 4)),
    ]


def test_a_backdated_disbursement_moves_w0_for_the_other_loans():
    """A tranche of A reported late, dated 2023-02-01: W0 moves a month back, and B's window
    now ends on 2026-02-01 instead of 2026-03-01."""
    pol = policy()
    before = w0([A, B], B, pol)
    backdated = A._replace(loan=loan("A", D(2023, 3, 1), D(2023, 2, 1), start=D(2023, 2, 1)))
    after = w0([backdated, B], B, pol)
    assert (before, after) == (D(2023, 3, 1), D(2023, 2, 1))
    period = (D(2026, 1, 15), D(2026, 2, 15))
    assert subsidy(B, *period, pol, before).computed_fen == plain_fen(
        PRINCIPAL_FEN, {Fraction(1, 4): 31}
    )
    moved = subsidy(B, *period, pol, after)
    assert moved.removed_days == {"outside_window": 14}
    assert moved.computed_fen == plain_fen(PRINCIPAL_FEN, {Fraction(1, 4): 17})


# ---------------------------------------------------------------- loans that open no window
def _no_window_cases():
    early = D(2022, 12, 1)  # before F1's approval and A's first disbursement
    revoked_clawback = dataclasses.replace(F1, revoked_on=D(2023, 5, 1), clawback=True)
    return {
        "filing approved after its first disbursement": WindowLoan(loan("X", early), F1),
        "not linked": WindowLoan(loan("X", early, link_problem="no_filing"), None),
        "product not subsidy_eligible": WindowLoan(loan("X", early, eligible=False), None),
        "filing lapsed": WindowLoan(loan("X", D(2023, 2, 1)), dataclasses.replace(F1, lapsed=True)),
        "revoked with clawback": WindowLoan(
            loan("X", D(2023, 2, 1)), dataclasses.replace(revoked_clawback, filing_no="F3")
        ),
        "never disbursed": WindowLoan(loan("X"), F1),
    }


@pytest.mark.parametrize("case", list(_no_window_cases()))
def test_a_loan_that_opens_no_window_neither_moves_w0_nor_takes_it(case):
    x = _no_window_cases()[case]
    pol = policy()
    assert not opens_window(x, ENTERPRISE, pol)
    assert w0([x, A, B], A, pol) == D(2023, 3, 1)
    assert w0([x, A, B], B, pol) == D(2023, 3, 1)
    assert w0([x, A, B], x, pol) == x.loan.first_disbursement  # its own, and it earns nothing
    r = subsidy(x, D(2023, 3, 1), D(2023, 3, 11), pol, w0([x, A, B], x, pol))
    assert r.computed_fen == 0 and r.reasons


def test_a_filing_revoked_without_clawback_still_opens_the_window():
    revoked = WindowLoan(
        loan("X", D(2023, 2, 1)), dataclasses.replace(F1, revoked_on=D(2023, 3, 1))
    )
    pol = policy()
    assert opens_window(revoked, ENTERPRISE, pol)
    assert w0([revoked, A, B], B, pol) == D(2023, 2, 1)


def test_enterprise_age_is_read_at_each_loans_first_disbursement():
    """Established 2022-06-01: at A's first disbursement (2023-03-01) it is under a year old,
    so A opens no window and B's W0 is its own first disbursement."""
    young = dataclasses.replace(ENTERPRISE, established_on=D(2022, 6, 1))
    pol = policy()
    assert not opens_window(A, young, pol) and opens_window(B, young, pol)
    assert w0([A, B], B, pol, young) == D(2024, 6, 1)


def test_the_window_of_a_29_february_w0_ends_on_28_february():
    """W0 2024-02-29 (loan A2): anniversaries 2025-02-28 and 2026-02-28, end 2027-02-28."""
    a2 = WindowLoan(loan("A2", D(2024, 2, 29)), F1)
    b = WindowLoan(loan("B", D(2026, 6, 1)), F2)
    pol = policy()
    start = w0([a2, b], b, pol)
    assert start == D(2024, 2, 29)
    r = subsidy(b, D(2027, 2, 20), D(2027, 3, 5), pol, start)
    assert r.removed_days == {"outside_window": 5}
    assert r.computed_fen == plain_fen(PRINCIPAL_FEN, {Fraction(1, 4): 8})
    r = subsidy(a2, D(2025, 2, 27), D(2025, 3, 1), pol, w0([a2, b], a2, pol))
    assert [(s.start, s.ratio) for s in r.segments] == [
        (D(2025, 2, 27), Fraction(1)),
        (D(2025, 2, 28), Fraction(1, 2)),
    ]


def test_the_loan_view_reads_the_same_window():
    pol = policy()
    start = w0([A, B], B, pol)
    assert eligibility_on(B.loan, F2, ENTERPRISE, pol, D(2026, 2, 28), start) == (True, ())
    assert eligibility_on(B.loan, F2, ENTERPRISE, pol, D(2026, 3, 1), start) == (
        False,
        ("outside_window",),
    )
    # without W0 it would still be inside B's own window
    assert eligibility_on(B.loan, F2, ENTERPRISE, pol, D(2026, 3, 1)) == (True, ())


# ---------------------------------------------------------------- item 0: industry and product
@pytest.mark.parametrize(
    "code, prefixes, eligible",
    [
        ("C3879", ("C",), True),
        ("C", ("C",), True),
        ("C3879", ("C38",), True),
        ("C3911", ("C38",), False),
        ("I6510", ("C", "I65"), True),
        ("I6410", ("C", "I65"), False),
        ("A0111", ("C",), False),
        (None, ("C",), False),  # no code while the rule is on
        (None, None, True),  # no industry rule
        ("F5123", None, True),
    ],
)
def test_industry_prefixes(code, prefixes, eligible):
    assert industry_eligible(code, prefixes) is eligible
    enterprise = dataclasses.replace(ENTERPRISE, industry_code=code)
    pol = policy(eligible_industries=None if prefixes is None else list(prefixes))
    r = subsidy(A, D(2023, 3, 1), D(2023, 3, 11), pol, None, enterprise)
    if eligible:
        assert (r.computed_fen, r.reasons) == (plain_fen(PRINCIPAL_FEN, {Fraction(1): 10}), ())
    else:  # a whole-loan reason: every day removed
        assert (r.computed_fen, r.reasons, r.removed_days) == (
            0,
            ("industry_not_eligible",),
            {"industry_not_eligible": 10},
        )


def test_a_product_not_subsidy_eligible_earns_nothing_and_says_so_alone():
    """Never linked (§6), so no_filing is not reported beside it."""
    unlinked = loan("P", D(2023, 3, 1), eligible=False, link_problem="no_filing")
    pol = policy()
    assert whole_loan_reasons(unlinked, None, ENTERPRISE, pol) == ("product_not_eligible",)
    r = subsidy(WindowLoan(unlinked, None), D(2023, 3, 1), D(2023, 3, 11), pol, None)
    assert (r.computed_fen, r.reasons, r.removed_days) == (
        0,
        ("product_not_eligible",),
        {"product_not_eligible": 10},
    )
    nowhere = dataclasses.replace(ENTERPRISE, industry_code=None)
    assert whole_loan_reasons(unlinked, None, nowhere, pol) == (
        "product_not_eligible",
        "industry_not_eligible",
    )


def test_the_new_reasons_stand_after_outside_policy_in_section_8_order():
    i = REASON_CODES.index
    assert i("outside_policy") + 1 == i("product_not_eligible")
    assert i("product_not_eligible") + 1 == i("industry_not_eligible")
    assert i("industry_not_eligible") + 1 == i("after_maturity")


# ---------------------------------------------------------------- item 1: lapse by start_date
def test_a_filing_lapses_when_no_loan_contract_starts_within_the_days():
    approved = D(2023, 1, 1)
    deadline = approved + timedelta(days=180)
    assert not filing_lapsed(approved, [deadline], 180)
    assert filing_lapsed(approved, [deadline + timedelta(days=1)], 180)
    assert not filing_lapsed(approved, [deadline + timedelta(days=99), approved], 180)
    assert not filing_lapsed(approved, [approved - timedelta(days=3)], 180)
    assert filing_lapsed(approved, [], 180)
    # as of a date: nothing has lapsed before the deadline has passed
    assert not filing_lapsed(approved, [], 180, on=deadline)
    assert filing_lapsed(approved, [], 180, on=deadline + timedelta(days=1))
    assert not filing_lapsed(approved, [deadline], 180, on=deadline + timedelta(days=1))
