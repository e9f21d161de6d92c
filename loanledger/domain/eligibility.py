"""Which days of a loan are eligible (domain.md §4.2), as interval sets per reason.

Each day rule is expressed as the half-open date intervals on which it removes days,
so callers can cut a period at the interval ends and test one day per piece.
"""

from __future__ import annotations

import functools
from datetime import date, timedelta
from typing import NamedTuple

from .dates import add_years
from .facts import EnterpriseFacts, FilingFacts, LoanFacts
from .industry import industry_eligible
from .policy import Policy
from .timeline import npl_date, overdue_intervals

REASON_CODES = (
    "no_filing",
    "ambiguous_filing",
    "filing_after_disbursement",
    "filing_lapsed",
    "filing_revoked",
    "enterprise_too_young",
    "outside_window",
    "outside_policy",
    "product_not_eligible",  # v2
    "industry_not_eligible",  # v2
    "after_maturity",
    "overdue",
    "npl",
    "blacklisted",
    "investment_cap",
    "rate_cap",
    "interest_paid_limit",
    "annual_cap",
    "adjustment",
    "clawback",
    "voided",
    "no_disbursement",
)
_RANK = {code: i for i, code in enumerate(REASON_CODES)}

Interval = tuple[date, date | None]  # [start, end); None = forever


def sort_reasons(reasons: set[str] | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """§8 order, unknown codes last, so lines read the same every time."""
    if len(reasons) < 2:
        return tuple(reasons)  # most records: nothing to order
    return tuple(sorted(set(reasons), key=lambda r: (_RANK.get(r, len(_RANK)), r)))


class Removal(NamedTuple):
    """A day rule: the days in any of `intervals` are removed with `reason`.

    A NamedTuple, not a frozen dataclass: every record builds up to seven of them.
    """

    reason: str
    intervals: tuple[Interval, ...]

    def covers(self, d: date) -> bool:
        return any(start <= d and (end is None or d < end) for start, end in self.intervals)

    def meets(self, start: date, end: date) -> bool:
        """Whether it removes any day of [start, end)."""
        for a, b in self.intervals:
            stop = end if b is None or end < b else b  # min(b, end), None being forever
            if a < stop and start < stop:  # max(a, start) < min(b, end): a day in both
                return True
        return False

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
    """Conditions of the whole loan (§4.2 items 0-2): each failing one removes every day."""
    reasons = []
    first = loan.first_disbursement
    f = linked_filing(loan, filing)
    if not loan.subsidy_eligible:
        reasons.append("product_not_eligible")
    elif f is None:
        # A loan of a product that is not subsidy_eligible is never linked (§6): its missing
        # filing is not a problem anyone could fix, so only the product is reported.
        reasons.append(loan.link_problem or "no_filing")
    if not industry_eligible(enterprise.industry_code, policy.eligible_industries):
        reasons.append("industry_not_eligible")
    if first is None:
        reasons.append("no_disbursement")
    if f is not None and first is not None and f.approved_on > first:
        reasons.append("filing_after_disbursement")
    if f is not None and f.lapsed:
        reasons.append("filing_lapsed")
    if (
        first is not None
        and add_years(enterprise.established_on, policy.min_enterprise_age_years) > first
    ):
        reasons.append("enterprise_too_young")
    return sort_reasons(reasons)


def day_removals(
    loan: LoanFacts,
    filing: FilingFacts,
    enterprise: EnterpriseFacts,
    policy: Policy,
    window_start: date,
) -> list[Removal]:
    """The day rules (§4.2 items 1, 3-6) of a loan that passed the whole-loan conditions.
    Its window runs from its own first disbursement to `window_start` (W0, domain.window) +
    subsidy_years."""
    first = loan.first_disbursement
    assert first is not None  # whole_loan_reasons: no_disbursement
    _anniversaries, window_end = subsidy_window(window_start, policy.subsidy_years)
    policy_gaps: list[Interval] = [(date.min, policy.effective_from)]
    if policy.effective_to is not None:
        policy_gaps.append((policy.effective_to + timedelta(days=1), None))
    dq = loan.delinquencies
    # Most loans never report a delinquency nor sit on the blacklist: skip that work for them.
    npl_on = npl_date(list(dq), policy.npl_dpd, policy.npl_classifications) if dq else None
    rules = (
        ("filing_revoked", () if filing.revoked_on is None else ((filing.revoked_on, None),)),
        ("outside_window", ((date.min, first), (window_end, None))),
        ("outside_policy", tuple(policy_gaps)),
        ("after_maturity", ((loan.maturity_date, None),)),
        ("overdue", tuple(overdue_intervals([(a, k, s) for a, k, _c, s in dq])) if dq else ()),
        ("npl", () if npl_on is None else ((npl_on, None),)),
        ("blacklisted", _blacklist_intervals(enterprise) if enterprise.blacklist else ()),
    )
    # A Removal only for a rule that removes something: most of them are empty.
    return [Removal(reason, intervals) for reason, intervals in rules if intervals]


@functools.lru_cache(maxsize=1024)
def subsidy_window(window_start: date, years: int) -> tuple[tuple[date, ...], date]:
    """(the ends of window years 1 .. years-1, the window's end) from W0: the year index and
    the end count whole anniversaries of W0 (29 February falls on 28 February).

    Cached: a close asks once per record, and many loans share a first disbursement date.
    """
    return tuple(add_years(window_start, k) for k in range(1, years)), add_years(
        window_start, years
    )


def _blacklist_intervals(enterprise: EnterpriseFacts) -> tuple[Interval, ...]:
    # Entries are inclusive at both ends; the interval form is half-open.
    return tuple(
        (start, None if end is None else end + timedelta(days=1))
        for start, end in enterprise.blacklist
    )


def eligibility_on(
    loan: LoanFacts,
    filing: FilingFacts | None,
    enterprise: EnterpriseFacts,
    policy: Policy,
    d: date,
    window_start: date | None = None,
) -> tuple[bool, tuple[str, ...]]:
    """(eligible, reasons) of one day: the loan view's eligibility as of the business date.
    `window_start` is W0 (domain.window); None: the loan's own first disbursement."""
    if is_clawed_back(loan, filing):
        return False, ("clawback",)
    whole = whole_loan_reasons(loan, filing, enterprise, policy)
    if whole:
        return False, whole
    assert filing is not None and loan.first_disbursement is not None
    removals = day_removals(
        loan, filing, enterprise, policy, window_start or loan.first_disbursement
    )
    reasons = sort_reasons([r.reason for r in removals if r.covers(d)])
    return not reasons, reasons
