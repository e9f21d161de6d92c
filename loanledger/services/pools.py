"""Risk pools (domain.md §2, §5, §10, v2): creating one, its deposits, and the figures the
rules read from the ledger — its cash, what it owes the banks, the principal it covers.

A pool's money never mixes with another's: each figure is of one pool, from its own
accounts (`1101:{pool}`, `2002:{pool}:{bank}`, `1202:{pool}:{bank}`) and its own loans.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, aliased

from loanledger.domain import ledger as ledger_rules
from loanledger.domain.errors import DomainError
from loanledger.domain.money import format_fen
from loanledger.domain.pools import POOL_CODE_PATTERN, SZD, pool_code_valid
from loanledger.domain.vocabulary import BatchKind, Coverage, PoolEligibility
from loanledger.persistence.tables import (
    Claim,
    EnterpriseList,
    Loan,
    LoanEvent,
    PoolDeposit,
    RiskPool,
)
from loanledger.services import audit, ledger
from loanledger.services.errors import Conflict


# ====================================================================== the pools
def pool_doc(p: RiskPool | Any) -> dict[str, Any]:
    return {
        "pool_code": p.pool_code,
        "name": p.name,
        "operator": p.operator,
        "eligibility": p.eligibility,
        "list_code": p.list_code,
    }


def get_pool(db: Session, pool_code: str | None, field: str = "pool_code") -> RiskPool:
    """The pool a request names; 422 unknown_pool when there is none (a reference, not a path)."""
    pool = db.get(RiskPool, pool_code) if isinstance(pool_code, str) else None
    if pool is None:
        raise DomainError("unknown_pool", f"no risk pool {pool_code}", field)
    return pool


def pool_codes(db: Session) -> list[str]:
    """Every pool, in pool_code order (the order of the close, domain.md §5)."""
    return list(db.scalars(select(RiskPool.pool_code).order_by(RiskPool.pool_code)))


def create_pool(db: Session, data: dict[str, Any], actor: str) -> tuple[RiskPool, bool]:
    """(pool, created). A repeat with the same content is a no-op; other content → 409."""
    wanted = {**data, "list_code": data.get("list_code")}
    _check_pool(db, wanted)
    existing = db.get(RiskPool, wanted["pool_code"])
    if existing is not None:
        if pool_doc(existing) == wanted:
            return existing, False
        raise Conflict(
            "invalid_state", f"pool {wanted['pool_code']} exists with other content", "pool_code"
        )
    pool = RiskPool(**wanted)
    db.add(pool)
    db.flush()
    audit.record(db, actor, "risk_pool.create", "risk_pool", pool.pool_code, None, wanted)
    return pool, True


def _check_pool(db: Session, wanted: dict[str, Any]) -> None:
    """The code fits the ledger's accounts; list_code exactly when the eligibility is a list."""
    if not pool_code_valid(wanted["pool_code"]):
        raise DomainError("invalid_format", f"a pool code is {POOL_CODE_PATTERN}", "pool_code")
    listed = wanted["eligibility"] == PoolEligibility.ENTERPRISE_LIST
    if listed and wanted["list_code"] is None:
        raise DomainError("required", "eligibility enterprise_list names its list", "list_code")
    if not listed and wanted["list_code"] is not None:
        raise DomainError(
            "invalid_format",
            f"list_code is for eligibility enterprise_list, not {wanted['eligibility']}",
            "list_code",
        )
    if listed and db.get(EnterpriseList, wanted["list_code"]) is None:
        raise DomainError("unknown_list", f"no enterprise list {wanted['list_code']}", "list_code")


# ====================================================================== figures
def pool_cash(db: Session, pool_code: str, as_of: dt.date | None = None) -> int:
    """Balance of account 1101:{pool} (the pool's cash), in fen."""
    return ledger.balance(db, ledger_rules.pool_cash(pool_code), as_of)


def owed_by_bank(db: Session, pool_code: str) -> dict[str, int]:
    """What the pool owes each bank: its compensation lines so far net of its recovery shares,
    less what was paid — the credit balance of 2002:{pool}:{bank} less the debit balance of
    1202:{pool}:{bank} (negative when the bank owes the pool)."""
    owed: dict[str, int] = defaultdict(int)
    for kind_base in (ledger_rules.COMPENSATION_PAYABLE, ledger_rules.RECOVERY_RECEIVABLE):
        for account, balance_fen in ledger.balances_like(db, kind_base).items():
            if ledger_rules.pool_of(account) == pool_code:
                owed[ledger_rules.payee_of(account) or ""] -= balance_fen
    return dict(owed)


def pool_owed(db: Session, pool_code: str) -> int:
    """Σ over banks of max(0, what the pool owes the bank): a bank that owes the pool does
    not lessen what is owed to the others."""
    return sum(max(0, owed) for owed in owed_by_bank(db, pool_code).values())


def covered_principal(db: Session, pool_code: str) -> int:
    """Σ contract principal of the pool's covered loans with no live settlement and no claim."""
    void = aliased(LoanEvent)
    settled = exists().where(
        LoanEvent.loan_id == Loan.id,
        LoanEvent.type == "settlement",
        ~exists().where(
            void.type == "void",
            void.bank_code == LoanEvent.bank_code,
            void.target_event_id == LoanEvent.event_id,
        ),
    )
    claimed = exists().where(Claim.loan_id == Loan.id)
    total = db.execute(
        select(func.coalesce(func.sum(Loan.principal_fen), 0)).where(
            Loan.risk_pool == pool_code, Loan.coverage == Coverage.COVERED, ~settled, ~claimed
        )
    ).scalar_one()
    return int(total)


# ====================================================================== deposits
def add_deposit(
    db: Session,
    pool_code: str,
    amount_fen: int,
    deposited_on: dt.date,
    reference: str,
    today: dt.date,
    actor: str,
) -> tuple[PoolDeposit, int]:
    """Cash into a pool: stored and posted Dr 1101:{pool} / Cr 3002:{pool} on deposited_on
    (≤ today)."""
    get_pool(db, pool_code)
    if deposited_on > today:
        raise DomainError(
            "future_date", f"{deposited_on} is after the business date {today}", "deposited_on"
        )
    deposit = PoolDeposit(
        pool_code=pool_code, amount_fen=amount_fen, deposited_on=deposited_on, reference=reference
    )
    db.add(deposit)
    db.flush()
    entry = ledger_rules.pool_deposit_entry(
        pool_code, amount_fen, f"risk pool {pool_code} deposit: {reference}"
    )
    entry_id = ledger.post(db, entry, posted_on=deposited_on)
    audit.record(
        db,
        actor,
        "pool_deposit.create",
        "pool_deposit",
        str(deposit.id),
        None,
        {
            "pool_code": pool_code,
            "amount": format_fen(amount_fen),
            "deposited_on": deposited_on.isoformat(),
            "reference": reference,
            "entry_id": entry_id,
        },
    )
    return deposit, entry_id


def receivable_pool(db: Session, kind: str, pool_code: str | None) -> str | None:
    """The pool a receivable of `kind` is kept in: a compensation receivable names its pool
    (default SZD, version 1's one pool), a subsidy receivable none."""
    if kind == BatchKind.SUBSIDY:
        if pool_code is not None:
            raise DomainError(
                "invalid_format", "a subsidy receivable belongs to no risk pool", "pool_code"
            )
        return None
    return get_pool(db, pool_code or SZD).pool_code
