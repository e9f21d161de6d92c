"""compute_record over segments equals a naive day-by-day reading of domain.md §4.

The oracle below walks every day and re-reads the raw facts for each; it exists
only here, to check the segment arithmetic on random small loans.
"""

import dataclasses
from datetime import date, timedelta
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from loanledger.domain.dates import add_years
from loanledger.domain.money import round_half_up
from loanledger.domain.policy import DEFAULT_POLICY
from loanledger.domain.subsidy import (
    EnterpriseFacts,
    FilingFacts,
    InterestRecord,
    LoanFacts,
    compute_record,
    subsidised_balances,
)
from loanledger.domain.timeline import balance_segments

# ---------------------------------------------------------------- the oracle


def o_balance(loan, d):
    return sum(a for x, a in loan.disbursements if x <= d) - sum(
        a for x, a in loan.repayments if x <= d
    )


def o_rate(loan, d):
    in_force = [c for c in loan.rate_changes if c[0] <= d]
    return max(in_force, key=lambda c: (c[0], c[2]))[1] if in_force else loan.annual_rate_e4


def o_overdue_days(loan):
    days, open_start = set(), None
    for as_of, k, _c, _s in sorted(loan.delinquencies, key=lambda e: (e[0], e[3])):
        if k > 0 and open_start is None:
            open_start = as_of - timedelta(days=k - 1)
        elif k == 0 and open_start is not None:
            days.update(open_start + timedelta(days=i) for i in range((as_of - open_start).days))
            open_start = None
    return days, open_start


def o_npl(loan, policy):
    dates = [
        a - timedelta(days=k) + timedelta(days=policy.npl_dpd)
        for a, k, _c, _s in loan.delinquencies
        if k >= policy.npl_dpd
    ]
    dates += [a for a, _k, c, _s in loan.delinquencies if c in policy.npl_classifications]
    return min(dates, default=None)


def o_lpr(table, d):
    published = [row for row in table if row[0] <= d]
    return max(published)[1] if published else None


def o_whole_loan(loan, filing, enterprise, policy, first):
    reasons = set()
    if not loan.subsidy_eligible:
        reasons.add("product_not_eligible")
    code, prefixes = enterprise.industry_code, policy.eligible_industries
    if prefixes is not None and not any(code and code.startswith(p) for p in prefixes):
        reasons.add("industry_not_eligible")
    if first is None:
        reasons.add("no_disbursement")
    else:
        if filing.approved_on > first:
            reasons.add("filing_after_disbursement")
        if add_years(enterprise.established_on, policy.min_enterprise_age_years) > first:
            reasons.add("enterprise_too_young")
    if filing.lapsed:
        reasons.add("filing_lapsed")
    return reasons


def o_removals(d, loan, filing, enterprise, policy, first, w0, overdue, npl_on):
    out = []
    if filing.revoked_on is not None and d >= filing.revoked_on:
        out.append("filing_revoked")
    if not first <= d < add_years(w0, policy.subsidy_years):
        out.append("outside_window")
    if d < policy.effective_from or (policy.effective_to is not None and d > policy.effective_to):
        out.append("outside_policy")
    if d >= loan.maturity_date:
        out.append("after_maturity")
    days, open_start = overdue
    if d in days or (open_start is not None and d >= open_start):
        out.append("overdue")
    if npl_on is not None and d >= npl_on:
        out.append("npl")
    if any(a <= d and (b is None or d <= b) for a, b in enterprise.blacklist):
        out.append("blacklisted")
    return out


def o_subsidised(loans, target, investment_fen, d):
    left = investment_fen
    for i, loan in enumerate(loans):
        taken = max(0, min(o_balance(loan, d), left))
        left -= taken
        if i == target:
            return taken
    raise AssertionError


def oracle(record, loans, target, filing, enterprise, policy, lpr, w0):
    """(computed, exact, reasons, removed_days, eligible_days) by walking every day; the
    window runs from the loan's own first disbursement to w0 + years, its years from w0."""
    loan = loans[target]
    first = min((x for x, _ in loan.disbursements), default=None)
    n_days = max(0, (record.period_end - record.period_start).days)
    if record.voided:
        return 0, 0, {"voided"}, {}, 0
    if filing.revoked_on is not None and filing.clawback:
        return 0, 0, {"clawback"}, {}, 0
    whole = o_whole_loan(loan, filing, enterprise, policy, first)
    if whole:
        return 0, 0, whole, (dict.fromkeys(whole, n_days) if n_days else {}), 0
    overdue, npl_on = o_overdue_days(loan), o_npl(loan, policy)
    exact, flags, removed, kept = Fraction(0), set(), {}, 0
    for i in range(n_days):
        d = record.period_start + timedelta(days=i)
        gone = o_removals(d, loan, filing, enterprise, policy, first, w0, overdue, npl_on)
        for reason in gone:
            removed[reason] = removed.get(reason, 0) + 1
        if gone:
            continue
        kept += 1
        balance = o_balance(loan, d)
        subsidised = o_subsidised(loans, target, filing.eligible_investment_fen, d)
        rate = o_rate(loan, d)
        lpr_now = o_lpr(lpr, d)
        capped = rate
        if policy.rate_cap_spread_bps is not None and lpr_now is not None:
            capped = max(0, min(rate, lpr_now + policy.rate_cap_spread_bps * 100))
        year = sum(1 for k in range(1, policy.subsidy_years) if add_years(w0, k) <= d)
        exact += Fraction(subsidised * capped, 100 * 10_000 * 360) * policy.subsidy_ratios[year]
        if subsidised < balance:
            flags.add("investment_cap")
        if capped < rate and subsidised > 0:
            flags.add("rate_cap")
    if round_half_up(exact) > record.interest_fen:
        flags.add("interest_paid_limit")
    return (
        min(round_half_up(exact), record.interest_fen),
        exact,
        set(removed) | flags,
        removed,
        kept,
    )


# ---------------------------------------------------------------- random facts


@st.composite
def loan_facts(draw, name, base):
    n = draw(st.integers(min_value=1, max_value=3))
    disb = sorted(
        (
            base + timedelta(days=draw(st.integers(0, 90))),
            draw(st.sampled_from([3_600_000, 2_000_000]) | st.integers(1, 5_000_000)),
        )
        for _ in range(n)
    )
    repayments = []  # each at most the balance outstanding on its date
    for when in sorted(draw(st.lists(st.integers(0, 400), max_size=2))):
        d = base + timedelta(days=when)
        outstanding = sum(a for x, a in disb if x <= d) - sum(a for _, a in repayments)
        if outstanding > 0:
            repayments.append((d, draw(st.integers(1, outstanding))))
    rate_changes = tuple(
        (
            base + timedelta(days=draw(st.integers(-10, 400))),
            draw(st.sampled_from([30000, 36500, 42000, 1])),
            seq,
        )
        for seq in draw(st.lists(st.integers(0, 20), max_size=3, unique=True))
    )
    delinquencies = tuple(
        (
            base + timedelta(days=draw(st.integers(0, 400))),
            draw(st.sampled_from([0, 0, 1, 3, 10, 40])),
            draw(st.sampled_from([None, None, None, "normal", "loss"])),
            seq,
        )
        for seq in draw(st.lists(st.integers(0, 20), max_size=3, unique=True) | st.just([]))
    )
    return LoanFacts(
        bank_code="B",
        contract_no=name,
        annual_rate_e4=draw(st.sampled_from([36500, 40000, 12345])),
        start_date=disb[0][0] - timedelta(days=draw(st.integers(0, 3))),
        maturity_date=base + timedelta(days=draw(st.integers(30, 800) | st.just(900))),
        disbursements=tuple(disb),
        repayments=tuple(repayments),
        rate_changes=rate_changes,
        delinquencies=delinquencies,
        link_problem=None,
        subsidy_eligible=draw(st.sampled_from([True, True, True, False])),
    )


def sometimes(draw, value, usual):
    """`value` about one time in four, else `usual`: keeps most cases subsidisable."""
    return value if draw(st.integers(0, 3)) == 3 else usual


@st.composite
def cases(draw):
    # Bases around 29 February 2024 exercise the leap-day anniversary.
    base = draw(st.sampled_from([date(2023, 1, 1), date(2024, 2, 29), date(2023, 11, 15)]))
    loans = [
        draw(loan_facts("L0", base)),
        draw(loan_facts("L1", base + timedelta(days=draw(st.integers(0, 60))))),
    ]
    loans = loans[: draw(st.integers(1, 2))]
    target = draw(st.integers(0, len(loans) - 1))
    first = min(x for x, _ in loans[target].disbursements)
    years = draw(st.integers(1, 2))
    eff_from = base + timedelta(days=sometimes(draw, draw(st.integers(-30, 60)), -30))
    policy = dataclasses.replace(
        DEFAULT_POLICY,
        effective_from=eff_from,
        effective_to=sometimes(draw, eff_from + timedelta(days=draw(st.integers(0, 500))), None),
        subsidy_years=years,
        subsidy_ratios=tuple(
            draw(st.sampled_from([Fraction(1), Fraction(1, 2), Fraction(1, 3)]))
            for _ in range(years)
        ),
        rate_cap_spread_bps=sometimes(draw, draw(st.sampled_from([-50, 0, 30])), None),
        npl_dpd=draw(st.sampled_from([5, 30, 90])),
        eligible_industries=sometimes(
            draw, draw(st.sampled_from([None, ("C38",), ("I", "C39")])), ("C",)
        ),
    )
    revoked = sometimes(draw, first + timedelta(days=draw(st.integers(-5, 300))), None)
    filing = FilingFacts(
        "F",
        draw(st.sampled_from([10**10, 3_000_000, 500_000])),
        first + timedelta(days=sometimes(draw, draw(st.sampled_from([-5, 1])), 0)),
        revoked,
        revoked is not None and draw(st.booleans()),
        sometimes(draw, draw(st.booleans()), False),
    )
    blacklist = tuple(
        (a, None if length is None else a + timedelta(days=length))
        for a, length in sometimes(
            draw,
            draw(
                st.lists(
                    st.tuples(
                        st.dates(base, base + timedelta(days=400)), st.none() | st.integers(0, 20)
                    ),
                    max_size=2,
                )
            ),
            [],
        )
    )
    established = add_years(first, -1) + timedelta(
        days=sometimes(draw, draw(st.sampled_from([-3, 1])), 0)
    )
    code = sometimes(draw, draw(st.sampled_from([None, "C", "I6510", "A0111"])), "C3879")
    enterprise = EnterpriseFacts("U", established, blacklist, code)
    # W0 (v2): the loan's own first disbursement, or an earlier one of its anchor, at times
    # more than a window before it (a 29 February among them).
    w0 = first - timedelta(days=draw(st.sampled_from([0, 0, 1, 200, 366, 800])))
    lpr = [
        (
            base + timedelta(days=draw(st.integers(-40, 400))),
            draw(st.sampled_from([34500, 36500, 38000])),
        )
        for _ in range(draw(st.integers(0, 3)))
    ]
    lpr = list({row[0]: row for row in lpr}.values())  # one publication per date
    # often close to the first disbursement: the window's start is the loan's own, not W0
    start = first + timedelta(
        days=sometimes(draw, draw(st.integers(-20, 3)), draw(st.integers(-20, 500)))
    )
    length = sometimes(draw, draw(st.sampled_from([0, 1])), draw(st.integers(2, 200)))
    interest_fen = sometimes(draw, draw(st.sampled_from([0, 1000])), 10**12)
    record = InterestRecord(
        start,
        start + timedelta(days=length),
        start,
        interest_fen,
        sometimes(draw, draw(st.booleans()), False),
    )
    return record, loans, target, filing, enterprise, policy, lpr, w0


@settings(max_examples=300, deadline=None)
@given(cases())
def test_segments_equal_naive_day_loop(case):
    record, loans, target, filing, enterprise, policy, lpr, w0 = case
    shared = subsidised_balances(
        [
            (l.contract_no, balance_segments(list(l.disbursements), list(l.repayments)))
            for l in loans
        ],
        filing.eligible_investment_fen,
    )
    result = compute_record(
        record,
        loans[target],
        filing,
        enterprise,
        policy,
        lpr,
        shared[loans[target].contract_no],
        window_start=w0,
    )
    computed, exact, reasons, removed, kept = oracle(
        record, loans, target, filing, enterprise, policy, lpr, w0
    )
    assert (result.computed_fen, result.exact) == (computed, exact)
    assert set(result.reasons) == reasons
    assert result.removed_days == removed
    assert 0 <= result.computed_fen <= record.interest_fen
    assert sum(s.days for s in result.segments) == kept
