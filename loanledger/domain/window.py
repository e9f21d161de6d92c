"""W0, the day a loan's subsidy window opens (domain.md §4.2 item 3, v2).

The window belongs to the loan's *anchor*: its enterprise (细则: 「单个企业…贴息期限最长不超过3
年」), its filing, or the loan alone (version 1's rule), as the policy's
`subsidy_window_anchor` says. W0 is the earliest first disbursement among the loans of the
anchor that open a window; the loan's eligible days are [its own first disbursement,
W0 + subsidy_years), and its year index counts anniversaries of W0.

A loan opens a window when it passes the whole-loan conditions (items 0, 2 and the first three
parts of item 1, at its first disbursement) and its filing was not revoked with clawback:
exactly when `whole_loan_reasons` is empty and `is_clawed_back` false, so a loan that opens no
window earns nothing, and its W0 (its own first disbursement) is never used for money.

The close, the loan view and the tests ask `Windows` the same question: one answer.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from typing import NamedTuple

from .eligibility import is_clawed_back, whole_loan_reasons
from .facts import EnterpriseFacts, FilingFacts, LoanFacts
from .policy import Policy
from .vocabulary import WindowAnchor


class WindowLoan(NamedTuple):
    """A loan of the enterprise with the filing it is linked to (None when it is not)."""

    loan: LoanFacts
    filing: FilingFacts | None


def opens_window(member: WindowLoan, enterprise: EnterpriseFacts, policy: Policy) -> bool:
    loan, filing = member
    return (
        loan.first_disbursement is not None
        and not is_clawed_back(loan, filing)
        and not whole_loan_reasons(loan, filing, enterprise, policy)
    )


def anchor_key(member: WindowLoan, anchor: str) -> tuple[str, ...]:
    """The group, within one enterprise, whose loans share a window under `anchor`. A loan
    without a filing has no filing group: alone (it opens no window anyway)."""
    loan, filing = member
    own = ("loan", loan.bank_code, loan.contract_no)
    if anchor == WindowAnchor.LOAN:
        return own
    if anchor == WindowAnchor.ENTERPRISE:
        return ("enterprise",)
    linked = filing is not None and loan.link_problem is None
    if anchor == WindowAnchor.FILING and linked and filing is not None:
        return ("filing", filing.filing_no)
    return own


def window_opening(
    group: Iterable[WindowLoan], enterprise: EnterpriseFacts, policy: Policy
) -> date | None:
    """The earliest first disbursement among the loans of `group` that open a window."""
    firsts = [m.loan.first_disbursement for m in group if opens_window(m, enterprise, policy)]
    return min((d for d in firsts if d is not None), default=None)


class Windows:
    """W0 of each loan of one enterprise under one policy version. Built from every loan of
    the enterprise (a group's opening depends on loans no new data touched); each group's
    opening is computed once, when first asked."""

    def __init__(self, loans: Iterable[WindowLoan], enterprise: EnterpriseFacts, policy: Policy):
        self.enterprise, self.policy = enterprise, policy
        self._groups: dict[tuple[str, ...], list[WindowLoan]] = defaultdict(list)
        for member in loans:
            self._groups[anchor_key(member, policy.subsidy_window_anchor)].append(member)
        self._openings: dict[tuple[str, ...], date | None] = {}

    def start(self, member: WindowLoan) -> date | None:
        """W0 of `member`'s loan (one of the loans this was built from); its own first
        disbursement when it opens no window, or when it is alone in its group (then W0 is
        that date either way)."""
        first = member.loan.first_disbursement
        key = anchor_key(member, self.policy.subsidy_window_anchor)
        group = self._groups.get(key, ())
        if first is None or len(group) < 2:
            return first  # the usual loan: no group to look at
        if not opens_window(member, self.enterprise, self.policy):
            return first
        if key not in self._openings:
            self._openings[key] = window_opening(group, self.enterprise, self.policy)
        opening = self._openings[key]
        return first if opening is None else min(first, opening)
