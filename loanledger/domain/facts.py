"""The facts one interest computation needs, as plain frozen values.

Services load these from the database; the domain never sees an ORM object.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from operator import itemgetter
from typing import NamedTuple

_date_of = itemgetter(0)


@dataclass(frozen=True)
class FilingFacts:
    filing_no: str
    eligible_investment_fen: int
    approved_on: date
    revoked_on: date | None
    clawback: bool
    lapsed: bool


@dataclass(frozen=True)
class EnterpriseFacts:
    uscc: str
    established_on: date
    blacklist: tuple[
        tuple[date, date | None], ...
    ]  # (effective_from, effective_to), both inclusive
    industry_code: str | None  # v2: GB/T 4754-2017; None until a clerk records it


@dataclass(frozen=True)
class LoanFacts:
    bank_code: str
    contract_no: str
    annual_rate_e4: int
    start_date: date
    maturity_date: date  # the ORIGINAL maturity: 展期 days are never subsidised
    disbursements: tuple[tuple[date, int], ...]
    repayments: tuple[tuple[date, int], ...]
    rate_changes: tuple[tuple[date, int, int], ...]  # (effective_on, rate_e4, received_seq)
    delinquencies: tuple[tuple[date, int, str | None, int], ...]  # (as_of, dpd, class, seq)
    link_problem: str | None  # None when linked, else "no_filing" | "ambiguous_filing"
    subsidy_eligible: bool  # v2: its product's flag (domain.md §2)

    @property
    def first_disbursement(self) -> date | None:
        # Read several times per record in a close: a C key, not a generator.
        return min(self.disbursements, key=_date_of)[0] if self.disbursements else None


class InterestRecord(NamedTuple):
    # A NamedTuple, not a frozen dataclass: a close builds one per record (a million), and a
    # frozen dataclass costs about four times as much to construct. Read by name as before.
    period_start: date
    period_end: date  # exclusive
    paid_on: date
    interest_fen: int
    voided: bool


def filing_lapsed(
    approved_on: date, start_dates: Iterable[date], lapse_days: int, on: date | None = None
) -> bool:
    """domain.md §3, §4.2 item 1 (v2): no loan of the filing has a contract `start_date` at
    most `lapse_days` after `approved_on` (「备案后半年未提出贷款申请的，该项目备案作废」).

    `start_dates` are those of the filing's loans as the data stands (a loan registered later
    with an early enough start undoes a lapse). With `on`, as of that date: before the deadline
    has passed nothing has lapsed yet (a loan may still come). The one rule for the close, the
    loan view, the filing's status, matching and the scheduler."""
    deadline = approved_on + timedelta(days=lapse_days)
    if on is not None and on <= deadline:
        return False
    return not any(d <= deadline for d in start_dates)
