"""Each eligibility rule of domain.md §4.2-4.4 at its boundaries.

The base loan earns exactly 360 fen a day: 3,600,000 fen at 3.6000 % / 360.
"""

import dataclasses
import time
from datetime import date, timedelta
from fractions import Fraction

import pytest

from loanledger.domain.eligibility import eligibility_on
from loanledger.domain.money import round_half_up
from loanledger.domain.policy import DEFAULT_POLICY, default_policy_doc, policy_from_doc
from loanledger.domain.subsidy import (
    EnterpriseFacts,
    FilingFacts,
    InterestRecord,
    LoanFacts,
    compute_record,
    filing_lapsed,
    subsidised_balances,
)
from loanledger.domain.timeline import balance_segments

D = date
PER_DAY = 360
FIRST = D(2023, 3, 10)
LOAN = LoanFacts(
    bank_code="BOC-ZS",
    contract_no="C1",
    annual_rate_e4=36000,
    start_date=FIRST,
    maturity_date=D(2027, 3, 10),
    disbursements=((FIRST, 3_600_000),),
    repayments=(),
    rate_changes=(),
    delinquencies=(),
    link_problem=None,
    subsidy_eligible=True,
)
FILING = FilingFacts("F1", 10**12, D(2023, 3, 1), None, False, False)
ENTERPRISE = EnterpriseFacts("914420006FA300000G", D(2015, 6, 1), (), "C3879")


def policy(**changes):
    doc = default_policy_doc()
    doc.update(changes)
    return policy_from_doc(doc)


def run(
    start,
    end,
    *,
    loan=LOAN,
    filing=FILING,
    enterprise=ENTERPRISE,
    pol=DEFAULT_POLICY,
    lpr=(),
    interest_fen=10**12,
    voided=False,
    subsidised=None,
):
    if subsidised is None:
        own = balance_segments(list(loan.disbursements), list(loan.repayments))
        subsidised = subsidised_balances(
            [("me", own)], filing.eligible_investment_fen if filing else 0
        )["me"]
    record = InterestRecord(start, end, end, interest_fen, voided)
    return compute_record(record, loan, filing, enterprise, pol, list(lpr), subsidised)


def test_plain_period():
    r = run(D(2023, 3, 10), D(2023, 3, 21))
    assert (r.computed_fen, r.exact, r.reasons, r.removed_days) == (
        11 * PER_DAY,
        11 * PER_DAY,
        (),
        {},
    )
    [seg] = r.segments
    assert (
        seg.start,
        seg.end,
        seg.days,
        seg.balance_fen,
        seg.subsidised_fen,
        seg.rate_e4,
        seg.ratio,
    ) == (D(2023, 3, 10), D(2023, 3, 21), 11, 3_600_000, 3_600_000, 36000, 1)


def test_window_first_day():
    r = run(D(2023, 3, 8), D(2023, 3, 12))
    assert r.computed_fen == 2 * PER_DAY
    assert r.reasons == ("outside_window",) and r.removed_days == {"outside_window": 2}


def test_window_last_day():
    # Three years from 2023-03-10: 2026-03-09 is the last subsidised day.
    r = run(D(2026, 3, 8), D(2026, 3, 12))
    assert r.computed_fen == 2 * PER_DAY and r.removed_days == {"outside_window": 2}


def test_anniversary_switches_ratio():
    r = run(D(2024, 3, 8), D(2024, 3, 12), pol=policy(subsidy_ratios=["1.00", "0.50", "0.25"]))
    assert r.computed_fen == 2 * PER_DAY + 2 * PER_DAY // 2 and r.reasons == ()
    assert [(s.start, s.ratio) for s in r.segments] == [
        (D(2024, 3, 8), 1),
        (D(2024, 3, 10), Fraction(1, 2)),
    ]
    r = run(D(2025, 3, 9), D(2025, 3, 11), pol=policy(subsidy_ratios=["1.00", "0.50", "0.25"]))
    assert r.computed_fen == PER_DAY // 2 + PER_DAY // 4


def test_anniversary_of_29_february():
    leap = dataclasses.replace(
        LOAN, start_date=D(2024, 2, 29), disbursements=((D(2024, 2, 29), 3_600_000),)
    )
    two_years = policy(subsidy_years=2, subsidy_ratios=["1.00", "0.50"])
    r = run(D(2025, 2, 27), D(2025, 3, 2), loan=leap, pol=two_years)
    assert r.computed_fen == PER_DAY + PER_DAY // 2 * 2  # 02-28 already in year 2
    one_year = policy(subsidy_years=1, subsidy_ratios=["1.00"])
    r = run(D(2025, 2, 27), D(2025, 3, 2), loan=leap, pol=one_year)
    assert r.computed_fen == PER_DAY and r.removed_days == {"outside_window": 2}


def test_repayment_on_day_d_reduces_from_d():
    loan = dataclasses.replace(LOAN, repayments=((D(2023, 4, 1), 1_800_000),))
    r = run(D(2023, 3, 30), D(2023, 4, 3), loan=loan)
    assert r.computed_fen == 2 * PER_DAY + 2 * PER_DAY // 2


def test_maturity_day_excluded():
    loan = dataclasses.replace(LOAN, maturity_date=D(2023, 4, 10))
    r = run(D(2023, 4, 8), D(2023, 4, 12), loan=loan)
    assert r.computed_fen == 2 * PER_DAY and r.removed_days == {"after_maturity": 2}


def test_overdue_interval_is_start_to_as_of_exclusive():
    loan = dataclasses.replace(
        LOAN, delinquencies=((D(2023, 4, 30), 9, None, 1), (D(2023, 5, 6), 0, None, 2))
    )
    assert (
        run(D(2023, 4, 21), D(2023, 4, 23), loan=loan).computed_fen == PER_DAY
    )  # 04-22 is overdue
    r = run(D(2023, 5, 5), D(2023, 5, 7), loan=loan)  # 05-06 is not
    assert (r.computed_fen, r.reasons, r.removed_days) == (PER_DAY, ("overdue",), {"overdue": 1})


def test_open_overdue_interval_has_no_end():
    loan = dataclasses.replace(LOAN, delinquencies=((D(2023, 4, 30), 9, None, 1),))
    assert run(D(2023, 4, 21), D(2023, 12, 1), loan=loan).computed_fen == PER_DAY


def test_npl_date_and_after_removed():
    loan = dataclasses.replace(LOAN, delinquencies=((D(2023, 6, 15), 0, "loss", 1),))
    r = run(D(2023, 6, 14), D(2023, 6, 17), loan=loan)
    assert (r.computed_fen, r.reasons, r.removed_days) == (PER_DAY, ("npl",), {"npl": 2})
    loan = dataclasses.replace(LOAN, delinquencies=((D(2023, 6, 15), 0, "special_mention", 1),))
    assert run(D(2023, 6, 14), D(2023, 6, 17), loan=loan).computed_fen == 3 * PER_DAY


def test_blacklist_both_ends_inclusive():
    ent = dataclasses.replace(ENTERPRISE, blacklist=((D(2023, 5, 2), D(2023, 5, 3)),))
    r = run(D(2023, 5, 1), D(2023, 5, 5), enterprise=ent)
    assert (r.computed_fen, r.removed_days) == (2 * PER_DAY, {"blacklisted": 2})
    ent = dataclasses.replace(
        ENTERPRISE, blacklist=((D(2023, 5, 3), None), (D(2023, 5, 1), D(2023, 5, 1)))
    )
    assert run(D(2023, 5, 1), D(2023, 5, 10), enterprise=ent).computed_fen == PER_DAY


def test_revoked_from_effective_on():
    filing = dataclasses.replace(FILING, revoked_on=D(2023, 5, 3))
    r = run(D(2023, 5, 1), D(2023, 5, 5), filing=filing)
    assert (r.computed_fen, r.reasons, r.removed_days) == (
        2 * PER_DAY,
        ("filing_revoked",),
        {"filing_revoked": 2},
    )


def test_clawback_zeroes_everything_from_the_start():
    filing = dataclasses.replace(FILING, revoked_on=D(2023, 5, 3), clawback=True)
    r = run(D(2023, 3, 10), D(2023, 3, 20), filing=filing)
    assert (r.computed_fen, r.exact, r.reasons, r.segments) == (0, 0, ("clawback",), ())


def test_voided():
    r = run(D(2023, 3, 10), D(2023, 3, 20), voided=True)
    assert (r.computed_fen, r.reasons) == (0, ("voided",))


def test_filing_approved_on_disbursement_day_is_ok():
    ok = dataclasses.replace(FILING, approved_on=FIRST)
    assert run(D(2023, 3, 10), D(2023, 3, 12), filing=ok).computed_fen == 2 * PER_DAY
    late = dataclasses.replace(FILING, approved_on=FIRST + timedelta(days=1))
    r = run(D(2023, 3, 10), D(2023, 3, 12), filing=late)
    assert (r.computed_fen, r.reasons, r.removed_days) == (
        0,
        ("filing_after_disbursement",),
        {"filing_after_disbursement": 2},
    )


def test_enterprise_age_exactly_one_year_is_ok():
    ok = dataclasses.replace(ENTERPRISE, established_on=D(2022, 3, 10))
    assert run(D(2023, 3, 10), D(2023, 3, 12), enterprise=ok).computed_fen == 2 * PER_DAY
    young = dataclasses.replace(ENTERPRISE, established_on=D(2022, 3, 11))
    r = run(D(2023, 3, 10), D(2023, 3, 12), enterprise=young)
    assert (r.computed_fen, r.reasons) == (0, ("enterprise_too_young",))
    assert (
        run(
            D(2023, 3, 10), D(2023, 3, 12), enterprise=young, pol=policy(min_enterprise_age_years=0)
        ).computed_fen
        == 720
    )


@pytest.mark.parametrize("link_problem", ["no_filing", "ambiguous_filing"])
def test_unlinked_loan(link_problem):
    r = run(
        D(2023, 3, 10),
        D(2023, 3, 12),
        loan=dataclasses.replace(LOAN, link_problem=link_problem),
        filing=None,
    )
    assert (r.computed_fen, r.reasons, r.removed_days) == (0, (link_problem,), {link_problem: 2})
    assert run(D(2023, 3, 10), D(2023, 3, 12), filing=None).reasons == ("no_filing",)


def test_lapsed_filing():
    r = run(D(2023, 3, 10), D(2023, 3, 12), filing=dataclasses.replace(FILING, lapsed=True))
    assert (r.computed_fen, r.reasons) == (0, ("filing_lapsed",))


def test_filing_lapsed_rule():
    approved = D(2023, 1, 1)
    assert not filing_lapsed(approved, [approved + timedelta(days=180)], 180)
    assert filing_lapsed(approved, [approved + timedelta(days=181)], 180)
    assert not filing_lapsed(approved, [approved + timedelta(days=300), approved], 180)
    assert filing_lapsed(approved, [], 180)


def test_no_disbursement():
    r = run(D(2023, 3, 10), D(2023, 3, 12), loan=dataclasses.replace(LOAN, disbursements=()))
    assert (r.computed_fen, r.reasons) == (0, ("no_disbursement",))


def test_several_whole_loan_failures_are_all_listed():
    young = dataclasses.replace(ENTERPRISE, established_on=D(2023, 1, 1))
    r = run(
        D(2023, 3, 10),
        D(2023, 3, 12),
        filing=dataclasses.replace(FILING, lapsed=True),
        enterprise=young,
    )
    assert r.reasons == ("filing_lapsed", "enterprise_too_young")


def test_outside_policy_both_ends_inclusive():
    pol = policy(effective_from="2023-03-12", effective_to="2023-03-15")
    r = run(D(2023, 3, 10), D(2023, 3, 20), pol=pol)
    assert (r.computed_fen, r.removed_days) == (4 * PER_DAY, {"outside_policy": 6})


def test_investment_cap_shared_by_two_loans_in_order():
    filing = dataclasses.replace(FILING, eligible_investment_fen=5_000_000)
    a = dataclasses.replace(
        LOAN,
        contract_no="A",
        repayments=((D(2023, 4, 1), 1_000_000),),
        delinquencies=((D(2023, 3, 31), 20, None, 1),),
    )  # A's days are overdue
    b = dataclasses.replace(LOAN, contract_no="B", disbursements=((D(2023, 3, 15), 3_600_000),))
    shared = subsidised_balances(
        [
            ("A", balance_segments(list(a.disbursements), list(a.repayments))),
            ("B", balance_segments(list(b.disbursements), list(b.repayments))),
        ],
        filing.eligible_investment_fen,
    )
    # A takes its balance even on its ineligible (overdue) days; B gets what is left.
    r = run(D(2023, 3, 30), D(2023, 4, 2), loan=b, filing=filing, subsidised=shared["B"])
    assert r.computed_fen == 2 * 140 + 240
    assert r.reasons == ("investment_cap",)
    assert [(s.subsidised_fen, s.days) for s in r.segments] == [(1_400_000, 2), (2_400_000, 1)]
    assert (
        run(
            D(2023, 3, 30), D(2023, 4, 2), loan=a, filing=filing, subsidised=shared["A"]
        ).computed_fen
        == 0
    )


def test_rate_cap_with_lpr():
    lpr = [(D(2022, 8, 22), 36500), (D(2023, 6, 20), 35500), (D(2023, 8, 21), 34500)]
    r = run(D(2023, 6, 19), D(2023, 6, 21), pol=policy(rate_cap_spread_bps=0), lpr=lpr)
    assert r.computed_fen == PER_DAY + 355 and r.reasons == ("rate_cap",)
    assert [s.subsidised_rate_e4 for s in r.segments] == [36000, 35500]
    assert (
        run(D(2023, 6, 19), D(2023, 6, 21), pol=policy(rate_cap_spread_bps=50), lpr=lpr).reasons
        == ()
    )
    assert (
        run(
            D(2023, 6, 19), D(2023, 6, 21), pol=policy(rate_cap_spread_bps=-10), lpr=lpr
        ).computed_fen
        == 355 + 345
    )
    assert (
        run(D(2023, 6, 19), D(2023, 6, 21), lpr=lpr).computed_fen == 2 * PER_DAY
    )  # no spread set: no cap


def test_rate_change_inside_period():
    loan = dataclasses.replace(LOAN, rate_changes=((D(2023, 3, 12), 18000, 1),))
    assert (
        run(D(2023, 3, 10), D(2023, 3, 14), loan=loan).computed_fen
        == 2 * PER_DAY + 2 * PER_DAY // 2
    )


def test_interest_paid_limit():
    r = run(D(2023, 3, 10), D(2023, 3, 12), interest_fen=700)
    assert (r.computed_fen, r.exact, r.reasons) == (700, 720, ("interest_paid_limit",))
    assert run(D(2023, 3, 10), D(2023, 3, 12), interest_fen=720).reasons == ()


def test_one_rounding_per_record():
    # 0.36 fen on the first day, 0.40 on the second: rounding each would give 0.
    loan = dataclasses.replace(
        LOAN, disbursements=((FIRST, 3_600), (FIRST + timedelta(days=1), 400))
    )
    r = run(D(2023, 3, 10), D(2023, 3, 12), loan=loan)
    assert r.exact == Fraction(76, 100) and r.computed_fen == 1 == round_half_up(r.exact)


def test_empty_period():
    r = run(D(2023, 3, 12), D(2023, 3, 12))
    assert (r.computed_fen, r.reasons, r.segments) == (0, (), ())


def test_day_counted_under_every_rule_that_removes_it():
    loan = dataclasses.replace(LOAN, maturity_date=D(2023, 3, 15))
    ent = dataclasses.replace(ENTERPRISE, blacklist=((D(2023, 3, 14), None),))
    r = run(D(2023, 3, 10), D(2023, 3, 17), loan=loan, enterprise=ent)
    assert r.computed_fen == 4 * PER_DAY
    assert r.removed_days == {"blacklisted": 3, "after_maturity": 2}
    assert r.reasons == ("after_maturity", "blacklisted")


def test_no_per_day_loop():
    # Seven thousand years in one record: only segments are visited.
    loan = dataclasses.replace(
        LOAN,
        maturity_date=D(9000, 1, 1),
        rate_changes=tuple((D(2023 + k, 1, 1), 30000 + k, k) for k in range(40)),
    )
    began = time.perf_counter()
    r = run(D(1900, 1, 1), D(9000, 1, 1), loan=loan, pol=policy(effective_to=None))
    assert time.perf_counter() - began < 0.2
    assert (
        r.removed_days["outside_window"]
        == (D(9000, 1, 1) - D(1900, 1, 1)).days - (D(2026, 3, 10) - FIRST).days
    )


def test_eligibility_on_a_day():
    assert eligibility_on(LOAN, FILING, ENTERPRISE, DEFAULT_POLICY, D(2023, 3, 10)) == (True, ())
    assert eligibility_on(LOAN, FILING, ENTERPRISE, DEFAULT_POLICY, D(2023, 3, 9)) == (
        False,
        ("outside_window",),
    )
    assert eligibility_on(LOAN, None, ENTERPRISE, DEFAULT_POLICY, D(2023, 3, 10)) == (
        False,
        ("no_filing",),
    )
