"""Writing and reading the double-entry ledger.

Entries come from the domain (`domain.ledger.JournalEntry`, balanced by construction);
this module only stores them and sums postings.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from loanledger.domain.ledger import (
    JournalEntry as Entry,
)
from loanledger.domain.ledger import (
    Posting as DomainPosting,
)
from loanledger.domain.ledger import (
    UnbalancedEntry,
    base_code,
)
from loanledger.persistence.db import write_rows
from loanledger.persistence.tables import JournalEntry, Posting


def post(
    db: Session,
    entry: Entry,
    posted_on: dt.date,
    *,
    period: str | None = None,
    batch_id: int | None = None,
) -> int:
    return post_many(db, [entry], posted_on, period=period, batch_id=batch_id)[0]


def post_many(
    db: Session,
    entries: Iterable[Entry],
    posted_on: dt.date,
    *,
    period: str | None = None,
    batch_id: int | None = None,
) -> list[int]:
    """One INSERT per entry header, one executemany for all their postings."""
    ids: list[int] = []
    rows: list[dict] = []
    for entry in entries:
        header = JournalEntry(
            kind=entry.kind, memo=entry.memo, posted_on=posted_on, period=period, batch_id=batch_id
        )
        db.add(header)
        db.flush()
        ids.append(header.id)
        rows.extend(
            {
                "entry_id": header.id,
                "account": p.account,
                "base_account": base_code(p.account),
                "amount_fen": p.amount_fen,
            }
            for p in entry.postings
        )
    if rows:
        db.execute(insert(Posting), rows)
    return ids


def post_stream(
    db: Session,
    kind: str,
    memo: str,
    postings: Iterable[DomainPosting],
    posted_on: dt.date,
    *,
    period: str | None = None,
    batch_id: int | None = None,
    rows_at_once: int = 20_000,
) -> int | None:
    """One entry with postings too many to hold at once (a close's batch): written as they
    come (COPY on PostgreSQL), checked as `JournalEntry` checks them, nothing written when
    there are none. An unbalanced entry raises before the caller can commit it."""
    header_id: int | None = None
    total_fen = 0
    rows: list[tuple] = []

    def flush() -> None:
        nonlocal header_id
        if header_id is None:
            header = JournalEntry(
                kind=kind, memo=memo, posted_on=posted_on, period=period, batch_id=batch_id
            )
            db.add(header)
            db.flush()
            header_id = header.id
        out = [(header_id, account, base, amount) for account, base, amount in rows]
        write_rows(
            db, Posting.__table__, ("entry_id", "account", "base_account", "amount_fen"), out
        )
        rows.clear()

    for p in postings:
        if type(p.amount_fen) is not int or p.amount_fen == 0:
            raise UnbalancedEntry(
                f"{kind}: posting to {p.account} must be a non-zero integer of fen"
            )
        total_fen += p.amount_fen
        rows.append((p.account, base_code(p.account), p.amount_fen))
        if len(rows) >= rows_at_once:
            flush()
    if total_fen != 0:
        raise UnbalancedEntry(f"{kind}: postings sum to {total_fen} fen, not 0")
    if rows:
        flush()
    return header_id


def balance(db: Session, account: str, as_of: dt.date | None = None) -> int:
    query = select(func.coalesce(func.sum(Posting.amount_fen), 0)).where(Posting.account == account)
    if as_of is not None:
        query = query.join(JournalEntry, JournalEntry.id == Posting.entry_id).where(
            JournalEntry.posted_on <= as_of
        )
    return int(db.execute(query).scalar_one())  # an aggregate: always one row


def balances_like(db: Session, base: str) -> dict[str, int]:
    """Balances of every payee-level account under one base code ('2002' → {'2002:BOC-ZS': …})."""
    rows = db.execute(
        select(Posting.account, func.sum(Posting.amount_fen))
        .where(Posting.base_account == base)
        .group_by(Posting.account)
    ).all()
    return {account: int(total) for account, total in rows}
