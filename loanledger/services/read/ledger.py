"""The ledger: the trial balance and one account's postings."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Row, case, func, select
from sqlalchemy.orm import Session

from loanledger.domain.ledger import ACCOUNT_NAMES, base_code
from loanledger.persistence.tables import JournalEntry, Posting
from loanledger.services.read.paging import Page, keyset_page


@dataclass(frozen=True)
class AccountTotal:
    code: str
    name: str
    debit_fen: int
    credit_fen: int

    @property
    def balance_fen(self) -> int:
        return self.debit_fen - self.credit_fen


@dataclass(frozen=True)
class TrialBalance:
    as_of: dt.date | None  # None: every posting
    accounts: list[AccountTotal]

    @property
    def total_debit_fen(self) -> int:
        return sum(a.debit_fen for a in self.accounts)

    @property
    def total_credit_fen(self) -> int:
        return sum(a.credit_fen for a in self.accounts)


def trial_balance(db: Session, as_of: dt.date | None = None, level: str = "full") -> TrialBalance:
    """Debit and credit totals of the postings up to `as_of`, per full account code
    (`2001:{payee}`) or per base code (`level="base"`), in code order."""
    column = Posting.base_account if level == "base" else Posting.account
    debit = func.sum(case((Posting.amount_fen > 0, Posting.amount_fen), else_=0))
    stmt = (
        select(column, func.coalesce(func.sum(Posting.amount_fen), 0), debit)
        .join(JournalEntry, JournalEntry.id == Posting.entry_id)
        .group_by(column)
        .order_by(column)
    )
    if as_of is not None:
        stmt = stmt.where(JournalEntry.posted_on <= as_of)
    accounts = []
    for code, balance_fen, debit_fen in db.execute(stmt):
        debit_fen = int(debit_fen or 0)
        accounts.append(
            AccountTotal(
                code,
                ACCOUNT_NAMES.get(base_code(code), code),
                debit_fen,
                debit_fen - int(balance_fen),
            )
        )
    return TrialBalance(as_of, accounts)


@dataclass(frozen=True)
class AccountEntry:
    entry_id: int
    posted_on: dt.date
    kind: str
    memo: str
    account: str
    amount_fen: int  # debit > 0, credit < 0


def account_entries(db: Session, code: str, *, limit: int, cursor: str | None) -> Page:
    """A page of the postings of one account, each with its journal entry, in posting order."""
    page = keyset_page(
        db,
        select(Posting.__table__).where(Posting.account == code),
        [Posting.id],
        limit=limit,
        cursor=cursor,
    )
    ids = sorted({p.entry_id for p in page.items})
    entries: dict[int, Row] = {}
    if ids:
        rows = db.execute(select(JournalEntry.__table__).where(JournalEntry.id.in_(ids)))
        entries = {e.id: e for e in rows}
    items = [
        AccountEntry(
            p.entry_id,
            entries[p.entry_id].posted_on,
            entries[p.entry_id].kind,
            entries[p.entry_id].memo,
            p.account,
            p.amount_fen,
        )
        for p in page.items
    ]
    return Page(items, page.next_cursor)
