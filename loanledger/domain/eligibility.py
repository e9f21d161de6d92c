"""Which days of a loan are eligible (domain.md §4.2), as interval sets per reason.

Each day rule is expressed as the half-open date intervals on which it removes days,
so callers can cut a period at the interval ends and test one day per piece.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from .dates import add_years
from .facts import EnterpriseFacts, FilingFacts, LoanFacts
from .policy import Policy
from .timeline import npl_date, overdue_intervals

REASON_CODES = (
    "no_filing", "ambiguous_filing", "filing_after_disbursement", "filing_lapsed",
    "filing_revoked", "enterprise_too_young", "outside_window", "outside_policy",
    "after_maturity", "overdue", "npl", "blacklisted", "investment_cap", "rate_cap",
    "interest_paid_limit", "annual_cap", "adjustment", "clawback", "voided", "no_disbursement",
)
_RANK = {code: i for i, code in enumerate(REASON_CODES)}

Interval = tuple[date, date | None]  # [start, end); None = forever


def sort_reasons(reasons: set[str] | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """§8 order, unknown codes last, so lines read the same every time."""
    return tuple(sorted(set(reasons), key=lambda r: (_RANK.get(r, len(_RANK)), r)))


@dataclass(frozen=True)
class Removal:
    """A day rule: the days in any of `intervals` are removed with `reason`."""

    reason: str
    intervals: tuple[Interval, ...]

    def covers(self, d: date) -> bool:
        return any(start <= d and (end is None or d < end) for start, end in self.intervals)

    def bounds(self) -> list[date]:
        return [b for start, end in self.intervals for b in (start, end) if b is not None]


def linked_filing(loan: LoanFacts, filing: FilingFacts | None) -> FilingFacts | None:
    """The filing to use, or None when the loan is not (unambiguously) linked."""
    return filing if loan.link_problem is None else None


def is_clawed_back(loan: LoanFacts, filing: FilingFacts | None) -> bool:
    f = linked_filing(loan, filing)
    return f is not None and f.clawback and f.revoked_on is not None


def whole_loan_reasons(
    loan: LoanFacts, filing: FilingFacts | None, enterprise: EnterpriseFacts, policy: Policy
) -> tuple[str, ...]:
    """Conditions of the whole loan (§4.2 items 1-2): each failing one removes every day."""
    reasons = []
    first = loan.first_disbursement
    f = linked_filing(loan, filing)
    if f is None:
        reasons.append(loan.link_problem or "no_filing")
    if first is None:
        reasons.append("no_disbursement")
    if f is not None and first is not None and f.approved_on > first:
        reasons.append("filing_after_disbursement")
    if f is not None and f.lapsed:
        reasons.append("filing_lapsed")
    if first is not None and add_years(enterprise.established_on, policy.min_enterprise_age_years) > first:
        reasons.append("enterprise_too_young")
    return sort_reasons(reasons)


def day_removals(
    loan: LoanFacts, filing: FilingFacts, enterprise: EnterpriseFacts, policy: Policy, first: date
) -> list[Removal]:
    """The day rules (§4.2 items 1, 3-6) of a loan that passed the whole-loan conditions."""
    window_end = add_years(first, policy.subsidy_years)
    policy_gaps: list[Interval] = [(date.min, policy.effective_from)]
    if policy.effective_to is not None:
        policy_gaps.append((policy.effective_to + timedelta(days=1), None))
    dq = loan.delinquencies
    npl_on = npl_date(list(dq), policy.npl_dpd, policy.npl_classifications)
    rules = [
        Removal("filing_revoked", () if filing.revoked_on is None else ((filing.revoked_on, None),)),
        Removal("outside_window", ((date.min, first), (window_end, None))),
        Removal("outside_policy", tuple(policy_gaps)),
        Removal("after_maturity", ((loan.maturity_date, None),)),
        Removal("overdue", tuple(overdue_intervals([(a, k, s) for a, k, _c, s in dq]))),
        Removal("npl", () if npl_on is None else ((npl_on, None),)),
        Removal("blacklisted", tuple(_blacklist_intervals(enterprise))),
    ]
    return [rule for rule in rules if rule.intervals]


def _blacklist_intervals(enterprise: EnterpriseFacts) -> list[Interval]:
    # Entries are inclusive at both ends; the interval form is half-open.
    return [
        (start, None if end is None else end + timedelta(days=1))
        for start, end in enterprise.blacklist
    ]


def eligibility_on(
    loan: LoanFacts, filing: FilingFacts | None, enterprise: EnterpriseFacts, policy: Policy, d: date
) -> tuple[bool, tuple[str, ...]]:
    """(eligible, reasons) of one day: the loan view's eligibility as of the business date."""
    if is_clawed_back(loan, filing):
        return False, ("clawback",)
    whole = whole_loan_reasons(loan, filing, enterprise, policy)
    if whole:
        return False, whole
    assert filing is not None and loan.first_disbursement is not None
    removals = day_removals(loan, filing, enterprise, policy, loan.first_disbursement)
    reasons = sort_reasons([r.reason for r in removals if r.covers(d)])
    return not reasons, reasons
