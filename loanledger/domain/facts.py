"""The facts one interest computation needs, as plain frozen values.

Services load these from the database; the domain never sees an ORM object.
"""

from __future__ import annotations

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


def filing_lapsed(approved_on: date, first_disbursements: list[date], lapse_days: int) -> bool:
    """True iff no loan of the filing was first disbursed by approved_on + lapse_days."""
    deadline = approved_on + timedelta(days=lapse_days)
    return not any(d <= deadline for d in first_disbursements)
