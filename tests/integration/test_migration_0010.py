"""Migration 0010 (domain.md §10 v2): a version 1 database's risk balances move to pool SZD in
one appended, balanced entry; no posting is changed; the books still close and reconcile.

Two databases: one written by version 1 itself (tests/integration/data/v1-demo.sqlite.gz, three
months of its demo: deposits, claims, payments and a recovery share left as a receivable; see
scripts/build_v1_fixture.sh), and one whose old-form postings are written here, to have every
kind of risk account with a balance — a payable still owed among them — and one at zero.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from loanledger.persistence import migrate
from loanledger.persistence.db import make_engine
from loanledger.persistence.tables import JournalEntry, Posting
from loanledger.services import pools
from loanledger.services.close import close_period
from loanledger.services.read import reconciliation
from loanledger.services.seed import seed_accounts
from tests.support.v1_database import load_v1_database

RISK_BASES = ("1101", "1202", "2002", "3002", "5002")


def _postings(engine) -> list[tuple[int, int, str, int]]:
    """(posting id, entry id, account, fen) of every posting, in order."""
    with engine.connect() as c:
        return [
            tuple(row)
            for row in c.execute(
                select(Posting.id, Posting.entry_id, Posting.account, Posting.amount_fen).order_by(
                    Posting.id
                )
            )
        ]


def _balances(rows) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for _id, _entry, account, fen in rows:
        out[account] += fen
    return {a: v for a, v in out.items() if v}


def _old_form(account: str) -> bool:
    base, _, rest = account.partition(":")
    if base in ("1101", "3002", "5002"):
        return rest == ""
    return base in ("1202", "2002") and rest != "" and ":" not in rest


def _szd(account: str) -> str:
    base, _, bank = account.partition(":")
    return f"{base}:SZD:{bank}" if bank else f"{base}:SZD"


def _check_moved(before_rows, after_rows, engine) -> dict[str, int]:
    """The one new entry moves each old-form balance to its SZD account, and nothing else
    changed; returns the balances before."""
    before, after = _balances(before_rows), _balances(after_rows)
    assert after_rows[: len(before_rows)] == before_rows  # no posting changed or removed
    added = after_rows[len(before_rows) :]
    moved = {a: v for a, v in before.items() if _old_form(a)}
    assert len(added) == 2 * len(moved) and {e for _i, e, _a, _f in added} == {added[0][1]}
    with engine.connect() as c:
        entry = c.execute(select(JournalEntry).where(JournalEntry.id == added[0][1])).one()
        unbalanced = c.execute(
            select(Posting.entry_id)
            .group_by(Posting.entry_id)
            .having(func.sum(Posting.amount_fen) != 0)
        ).all()
    assert entry.kind == "pool_migration" and "pool SZD" in entry.memo
    assert entry.period is None and entry.batch_id is None
    assert unbalanced == [] and sum(after.values()) == 0 == sum(before.values())
    for account, fen in moved.items():
        assert account not in after, account  # every old-form risk account now at zero
        assert after[_szd(account)] == fen, account  # and its SZD account holds the balance
    targets = {_szd(a) for a in moved}
    assert {a: v for a, v in after.items() if a not in targets} == {
        a: v for a, v in before.items() if a not in moved
    }
    return before


# ---------------------------------------------------------------- a database version 1 wrote
def test_0010_moves_a_version_1_databases_risk_balances_to_pool_szd(empty_database_url, tmp_path):
    load_v1_database(empty_database_url, tmp_path)
    engine = make_engine(empty_database_url, sqlite_wal=False)
    try:
        migrate.upgrade(engine, "0009")
        before_rows = _postings(engine)
        migrate.upgrade(engine, "0010")
        before = _check_moved(before_rows, _postings(engine), engine)
        # the fixture has what the migration is about: the pool's accounts and a receivable
        assert {"1101", "3002", "5002"} <= set(before)
        assert any(a.startswith("1202:") for a in before)
        assert any(a.startswith("2002:") for a in {r[2] for r in before_rows})  # paid: zero now
        migrate.upgrade(engine)
        _close_and_reconcile_after(engine, before)
    finally:
        engine.dispose()


def _close_and_reconcile_after(engine, before: dict[str, int]) -> None:
    """The version 1 books close the next month under version 2 and reconcile; a deposit lands
    in SZD's cash on top of version 1's."""
    with Session(engine) as db:
        last = db.scalar(select(func.max(JournalEntry.period)))
        assert last == "2024-03"
        view = close_period(db, "2024-04", "test", dt.date(2024, 5, 1))
        assert view["status"] == "closed"
        pools.add_deposit(
            db, "SZD", 1_000_00, dt.date(2024, 5, 1), "二期", dt.date(2024, 5, 1), "t"
        )
        db.commit()
        assert pools.pool_cash(db, "SZD") == before["1101"] + 1_000_00
        doc = reconciliation(db, "2024-04")
        assert doc["ok"] is True, doc["discrepancies"]
        owed = {c["name"]: c for c in doc["checks"]}["pool_covers_owed"]["detail"]
        assert owed["pools"]["SZD"]["cash"] != "0.00"


# ---------------------------------------------------------------- old-form postings written here
def _entry(db: Session, postings: list[tuple[str, int]], on: dt.date) -> None:
    entry = JournalEntry(kind="v1", memo="written as version 1 wrote it", posted_on=on)
    db.add(entry)
    db.flush()
    db.execute(
        insert(Posting),
        [
            {"entry_id": entry.id, "account": a, "base_account": a.split(":")[0], "amount_fen": f}
            for a, f in postings
        ],
    )


@pytest.fixture
def v1_ledger(empty_database_url):
    """A database at 0009 with old-form risk postings: cash and capital, a claim partly paid,
    a recovery share owed by another bank, and a third bank's payable settled to zero."""
    migrate.upgrade(empty_database_url, "0009")
    engine = make_engine(empty_database_url, sqlite_wal=False)
    day = dt.date(2023, 5, 31)
    with Session(engine) as db:
        seed_accounts(db)
        db.flush()
        _entry(db, [("1101", 1000_00), ("3002", -1000_00)], day)
        _entry(db, [("5002", 550_00), ("2002:BK1", -600_00), ("1202:BK2", 50_00)], day)
        _entry(db, [("2002:BK1", 200_00), ("1101", -200_00)], day)
        _entry(db, [("5002", 10_00), ("2002:BK3", -10_00)], day)
        _entry(db, [("2002:BK3", 10_00), ("1101", -10_00)], day)
        _entry(db, [("1001", 70_00), ("3001:2023", -70_00)], day)  # the subsidy side stays
        db.commit()
    yield engine
    engine.dispose()


def test_0010_moves_each_old_form_balance_and_leaves_zero_ones_alone(v1_ledger):
    before_rows = _postings(v1_ledger)
    migrate.upgrade(v1_ledger, "0010")
    after_rows = _postings(v1_ledger)
    _check_moved(before_rows, after_rows, v1_ledger)
    assert _balances(after_rows) == {
        "1101:SZD": 790_00,
        "3002:SZD": -1000_00,
        "5002:SZD": 560_00,
        "2002:SZD:BK1": -400_00,
        "1202:SZD:BK2": 50_00,
        "1001": 70_00,
        "3001:2023": -70_00,
    }
    assert "2002:SZD:BK3" not in {r[2] for r in after_rows}  # a zero balance moves nothing
    with Session(v1_ledger) as db:
        assert pools.pool_owed(db, "SZD") == 400_00 and pools.pool_cash(db, "SZD") == 790_00


def test_0010_on_an_empty_ledger_appends_nothing(empty_database_url):
    migrate.upgrade(empty_database_url, "0010")
    engine = make_engine(empty_database_url, sqlite_wal=False)
    try:
        assert _postings(engine) == []
    finally:
        engine.dispose()


def test_0010_downgrade_moves_szd_back_and_refuses_another_pools_money(v1_ledger):
    migrate.upgrade(v1_ledger, "0010")
    _downgrade(v1_ledger, "0009")
    balances = _balances(_postings(v1_ledger))
    assert balances == {
        "1101": 790_00,
        "3002": -1000_00,
        "5002": 560_00,
        "2002:BK1": -400_00,
        "1202:BK2": 50_00,
        "1001": 70_00,
        "3001:2023": -70_00,
    }
    migrate.upgrade(v1_ledger, "0010")
    with Session(v1_ledger) as db:
        _entry(db, [("1101:ZBD", 5_00), ("3002:ZBD", -5_00)], dt.date(2023, 6, 1))
        db.commit()
    with pytest.raises(RuntimeError, match="1101:ZBD"):
        _downgrade(v1_ledger, "0009")


def _downgrade(engine, revision: str) -> None:
    from alembic import command

    config = migrate.alembic_config()
    with engine.connect() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)
        connection.commit()
