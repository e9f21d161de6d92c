"""The facts a loan's subsidy is computed from, for whole enterprises, loaded in sets.

The close (services/close_subsidy.py) computes its records with them and the loan view
(services/read/views.py) its eligibility: one reading of filings, lapse, W0 and the rules for
both. Built from *every* loan of each enterprise involved: a filing's lapse and investment
cap couple its loans, and W0 (domain.window) couples the loans of an anchor.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from loanledger.domain.eligibility import eligibility_on
from loanledger.domain.facts import EnterpriseFacts, FilingFacts, InterestRecord, filing_lapsed
from loanledger.domain.policy import Policy
from loanledger.domain.subsidy import RecordResult, compute_record, subsidised_balances
from loanledger.domain.timeline import Segment, balance_segments
from loanledger.domain.window import WindowLoan, Windows
from loanledger.persistence.tables import BlacklistEntry, Enterprise, Filing
from loanledger.services.facts import Among, LoanData
from loanledger.services.policy_book import PolicyBook


class SubsidyFacts:
    """Filings, enterprises, subsidised balances and windows of a set of whole enterprises.

    `as_of`: the loan view asks as of the business date, when a filing whose lapse deadline is
    still ahead has not lapsed yet; a close asks of the data as it stands (None), which is the
    same for every record it computes (a record is paid after a disbursement, made on or after
    its loan's start_date, so after any deadline that start_date passed)."""

    def __init__(
        self,
        db: Session,
        loans: dict[int, LoanData],
        book: PolicyBook,
        as_of: dt.date | None = None,
    ):
        self.loans, self.book, self.as_of = loans, book, as_of
        filing_nos = sorted({d.loan.filing_no for d in loans.values() if d.loan.filing_no})
        usccs = sorted({d.loan.uscc for d in loans.values()})
        self.filings = {f.filing_no: f for f in _FILINGS.rows(db, filing_nos)}
        self.enterprises = _enterprises(db, usccs)
        self.members: dict[str, list[LoanData]] = defaultdict(list)
        self.of_enterprise: dict[str, list[LoanData]] = defaultdict(list)
        for data in loans.values():
            self.of_enterprise[data.loan.uscc].append(data)
            if data.loan.filing_no:
                self.members[data.loan.filing_no].append(data)
        self._subsidised: dict[int, list[Segment]] | None = None
        self._filing_facts: dict[tuple[str, int], FilingFacts] = {}
        self._windows: dict[tuple[str, int], Windows] = {}
        self._starts: dict[tuple[int, int], dt.date | None] = {}  # (loan id, version) → W0

    # ---------------------------------------------------------------- filings and windows
    def filing(self, filing_no: str | None, lapse_days: int) -> FilingFacts | None:
        if filing_no is None or filing_no not in self.filings:
            return None
        key = (filing_no, lapse_days)
        if key not in self._filing_facts:
            f = self.filings[filing_no]
            starts = [d.loan.start_date for d in self.members[filing_no]]
            self._filing_facts[key] = FilingFacts(
                f.filing_no,
                f.eligible_investment_fen,
                f.approved_on,
                f.revoked_on,
                bool(f.clawback),
                filing_lapsed(f.approved_on, starts, lapse_days, self.as_of),
            )
        return self._filing_facts[key]

    def member(self, data: LoanData, policy: Policy) -> WindowLoan:
        return WindowLoan(data.facts(), self.filing(data.loan.filing_no, policy.filing_lapse_days))

    def window_start(self, data: LoanData, version: int) -> dt.date | None:
        """W0 of the loan under policy `version` (its anchor and rules), from every loan of
        its enterprise. Asked once per record: kept per loan and version."""
        if len(self.of_enterprise[data.loan.uscc]) == 1:
            # Alone in its enterprise, so alone in any anchor group: W0 is its own first
            # disbursement (Windows.start's first case), the usual loan, asked without a Windows.
            return data.facts().first_disbursement
        key = (data.loan.id, version)
        if key not in self._starts:
            self._starts[key] = self._windows_of(data.loan.uscc, version).start(
                self.member(data, self.book.version(version))
            )
        return self._starts[key]

    def _windows_of(self, uscc: str, version: int) -> Windows:
        windows = self._windows.get((uscc, version))
        if windows is None:
            policy = self.book.version(version)
            members = [self.member(d, policy) for d in self.of_enterprise[uscc]]
            windows = self._windows[(uscc, version)] = Windows(
                members, self.enterprises[uscc], policy
            )
        return windows

    # ---------------------------------------------------------------- the questions
    def compute(self, data: LoanData, event: Any, lpr_table) -> tuple[RecordResult, int]:
        """One interest record: `event` is its loan_events row as load_loans reads it (Core)."""
        record = InterestRecord(
            event.period_start,
            event.period_end,
            event.on_date,
            event.interest_fen,
            event.event_id in data.voided_ids,
        )
        return self.compute_record(data, record, lpr_table)

    def compute_record(
        self, data: LoanData, record: InterestRecord, lpr_table
    ) -> tuple[RecordResult, int]:
        """One interest record of the loan, reported or (the forecast's) assumed, under the
        version in force on its paid_on: the close's computation."""
        version, policy = self.book.on(record.paid_on)
        result = compute_record(
            record,
            data.facts(),
            self.filing(data.loan.filing_no, policy.filing_lapse_days),
            self.enterprises[data.loan.uscc],
            policy,
            lpr_table,
            self.subsidised[data.loan.id],
            window_start=self.window_start(data, version),
        )
        return result, version

    def eligibility(self, data: LoanData, today: dt.date) -> tuple[bool, tuple[str, ...]]:
        """The loan view's eligibility on `today`, under the policy in force then."""
        version, policy = self.book.on(today)
        return eligibility_on(
            data.facts(),
            self.filing(data.loan.filing_no, policy.filing_lapse_days),
            self.enterprises[data.loan.uscc],
            policy,
            today,
            self.window_start(data, version),
        )

    # ---------------------------------------------------------------- subsidised balances
    @property
    def subsidised(self) -> dict[int, list[Segment]]:
        """Bs per loan (§4.3), made when the first record asks (the loan view never does)."""
        if self._subsidised is None:
            self._subsidised = self._make_subsidised()
        return self._subsidised

    def _make_subsidised(self) -> dict[int, list[Segment]]:
        out = {
            data.loan.id: balance_segments(data.disbursements(), data.repayments())
            for data in self.loans.values()
            if data.loan.filing_no not in self.filings
        }
        for filing_no, members in self.members.items():
            if len(members) > 1:
                members = sorted(
                    members,
                    key=lambda d: (
                        d.first_disbursement() or dt.date.max,
                        d.loan.bank_code,
                        d.loan.contract_no,
                    ),
                )
            ordered = [
                (d.loan.id, balance_segments(d.disbursements(), d.repayments())) for d in members
            ]
            out.update(
                subsidised_balances(ordered, self.filings[filing_no].eligible_investment_fen)
            )
        return out


def _enterprises(db: Session, usccs: list[str]) -> dict[str, EnterpriseFacts]:
    """One query per set: each enterprise with its blacklist entries (a row per entry, or one
    row of NULLs when it has none)."""
    found: dict[str, tuple[dt.date, str | None]] = {}
    blacklist: dict[str, list] = {}
    for uscc, established_on, industry_code, effective_from, effective_to in _ENTERPRISES.rows(
        db, usccs
    ):
        found[uscc] = (established_on, industry_code)
        if effective_from is not None:
            blacklist.setdefault(uscc, []).append((effective_from, effective_to))
    return {
        u: EnterpriseFacts(u, established_on, tuple(sorted(blacklist.get(u, ()))), industry_code)
        for u, (established_on, industry_code) in found.items()
    }


# Built once: the loan view reads its enterprise's filings and facts on every request.
_FILINGS = Among(Filing.filing_no, lambda among: select(Filing.__table__).where(among))
_ENTERPRISES = Among(
    Enterprise.uscc,
    lambda among: (
        select(
            Enterprise.uscc,
            Enterprise.established_on,
            Enterprise.industry_code,
            BlacklistEntry.effective_from,
            BlacklistEntry.effective_to,
        )
        .outerjoin(BlacklistEntry, BlacklistEntry.uscc == Enterprise.uscc)
        .where(among)
    ),
)
