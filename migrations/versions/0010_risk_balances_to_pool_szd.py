"""risk balances of version 1 move to pool SZD (domain.md §10 v2)

Version 1 kept one risk pool in accounts 1101, 3002 and 5002 and per bank in 1202:{bank} and
2002:{bank}; version 2 names the pool in every risk account (1101:SZD, 1202:SZD:{bank}, …).
The ledger is append-only (PostgreSQL refuses an UPDATE of a posting), so nothing is renamed:
one journal entry moves each old-form account's balance to its SZD account — a credit to the
old account and a debit to the new for a debit balance, the other way for a credit one. The
entry sums to zero, every older entry keeps its postings and total, and the trial balance is
unchanged. Old-form accounts with a zero balance get no posting.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 03:00:00
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

POOL = "SZD"
WHOLE = ("1101", "3002", "5002")  # the pool's own accounts: '1101' -> '1101:SZD'
PER_BANK = ("1202", "2002")  # '2002:{bank}' -> '2002:SZD:{bank}'
KIND = "pool_migration"

journal_entries = sa.table(
    "journal_entries",
    sa.column("id", sa.BigInteger),
    sa.column("kind", sa.String),
    sa.column("memo", sa.String),
    sa.column("posted_on", sa.Date),
    sa.column("period", sa.String),
    sa.column("batch_id", sa.BigInteger),
    sa.column("created_at", sa.DateTime(timezone=True)),
)
postings = sa.table(
    "postings",
    sa.column("entry_id", sa.BigInteger),
    sa.column("account", sa.String),
    sa.column("base_account", sa.String),
    sa.column("amount_fen", sa.BigInteger),
)


def _new_form(account: str, base: str) -> str | None:
    """The SZD account of a version 1 risk account; None when `account` is not of the old form."""
    if base in WHOLE:
        return f"{base}:{POOL}" if account == base else None
    _base, _, bank = account.partition(":")
    return f"{base}:{POOL}:{bank}" if bank and ":" not in bank else None


def _old_form(account: str, base: str) -> str | None:
    """The version 1 account of an SZD account (the downgrade); None for any other account."""
    parts = account.split(":", 2)
    if len(parts) < 2 or parts[1] != POOL:
        return None
    if base in WHOLE:
        return base if len(parts) == 2 else None
    return f"{base}:{parts[2]}" if len(parts) == 3 else None


def _risk_balances(connection) -> list[tuple[str, str, int]]:
    rows = connection.execute(
        sa.select(postings.c.account, postings.c.base_account, sa.func.sum(postings.c.amount_fen))
        .where(postings.c.base_account.in_(WHOLE + PER_BANK))
        .group_by(postings.c.account, postings.c.base_account)
        .order_by(postings.c.account)
    )
    return [(account, base, int(total)) for account, base, total in rows if int(total) != 0]


def _posted_on(connection) -> dt.date:
    """The business date when there is one (it is never before a posting), else the last
    posting's date, else the wall clock's (an empty ledger has nothing to move anyway)."""
    today = connection.execute(sa.text("SELECT today FROM business_date WHERE id = 1")).scalar()
    last = connection.execute(sa.select(sa.func.max(journal_entries.c.posted_on))).scalar()
    days = [_as_date(d) for d in (today, last) if d is not None]
    return max(days) if days else dt.date.today()


def _as_date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def _move(connection, moves: list[tuple[str, str, str, int]], memo: str) -> None:
    """One entry: each (base, source, target, balance) moves the balance from source to target."""
    if not moves:
        return
    entry_id = connection.execute(
        sa.insert(journal_entries)
        .values(
            kind=KIND,
            memo=memo,
            posted_on=_posted_on(connection),
            period=None,
            batch_id=None,
            created_at=dt.datetime.now(dt.UTC),
        )
        .returning(journal_entries.c.id)
    ).scalar_one()
    rows = []
    for base, source, target, balance_fen in moves:
        rows.append(
            {
                "entry_id": entry_id,
                "account": source,
                "base_account": base,
                "amount_fen": -balance_fen,
            }
        )
        rows.append(
            {
                "entry_id": entry_id,
                "account": target,
                "base_account": base,
                "amount_fen": balance_fen,
            }
        )
    connection.execute(sa.insert(postings), rows)


def upgrade() -> None:
    connection = op.get_bind()
    moves = []
    for account, base, balance_fen in _risk_balances(connection):
        target = _new_form(account, base)
        if target is not None:
            moves.append((base, account, target, balance_fen))
    _move(
        connection,
        moves,
        "version 2: risk accounts name their pool; version 1's risk balances move to pool SZD "
        "(migration 0010)",
    )


def downgrade() -> None:
    """Back to version 1's accounts, which know one pool: refused while another pool holds a
    balance (it has no version 1 account to go to)."""
    connection = op.get_bind()
    moves = []
    for account, base, balance_fen in _risk_balances(connection):
        source_form = _old_form(account, base)
        if source_form is not None:
            moves.append((base, account, source_form, balance_fen))
        elif _new_form(account, base) is None:
            raise RuntimeError(
                f"cannot downgrade below 0010: {account} holds {balance_fen} fen of a pool "
                "other than SZD, which version 1 cannot book"
            )
    _move(connection, moves, "downgrade of migration 0010: pool SZD's balances back to version 1")
