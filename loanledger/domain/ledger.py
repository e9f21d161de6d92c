"""Double-entry postings (domain.md §10): accounts, balanced entries, builders.

Amounts are signed fen: debit positive, credit negative, so an entry balances when
its postings sum to zero.

Risk accounts carry their pool (v2): `1101:{pool}`, `1202:{pool}:{bank}`, `2002:{pool}:{bank}`,
`3002:{pool}`, `5002:{pool}`. The subsidy side has no pool. So a builder for a batch kind takes
`pool=`: required for compensation (a pool never pays from another's cash), refused for subsidy.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeAlias

from .vocabulary import AccountKind, BatchKind

# A batch's kind picks its expense, payable, receivable and cash accounts: a BatchKind, or
# the plain string a batch row holds (a BatchKind member is that string).
Kind: TypeAlias = str

TREASURY_CASH = "1001"
POOL_CASH = "1101"
CLAWBACK_RECEIVABLE = "1201"
RECOVERY_RECEIVABLE = "1202"
SUBSIDY_PAYABLE = "2001"
COMPENSATION_PAYABLE = "2002"
APPROPRIATION = "3001"
POOL_CAPITAL = "3002"
SUBSIDY_EXPENSE = "5001"
COMPENSATION_EXPENSE = "5002"

ACCOUNT_NAMES = {
    TREASURY_CASH: "treasury cash (subsidy payments)",
    POOL_CASH: "risk pool cash",
    CLAWBACK_RECEIVABLE: "clawback receivable",
    RECOVERY_RECEIVABLE: "recovery share receivable",
    SUBSIDY_PAYABLE: "subsidy payable",
    COMPENSATION_PAYABLE: "compensation payable",
    APPROPRIATION: "subsidy appropriation",
    POOL_CAPITAL: "risk pool capital",
    SUBSIDY_EXPENSE: "interest subsidy expense",
    COMPENSATION_EXPENSE: "risk compensation expense",
}
ACCOUNT_NAMES_ZH = {
    TREASURY_CASH: "国库资金（贴息支付）",
    POOL_CASH: "风险补偿资金池存款",
    CLAWBACK_RECEIVABLE: "应收追回贴息",
    RECOVERY_RECEIVABLE: "应收追偿分成",
    SUBSIDY_PAYABLE: "应付贴息",
    COMPENSATION_PAYABLE: "应付风险补偿",
    APPROPRIATION: "贴息预算拨款",
    POOL_CAPITAL: "风险补偿资金池本金",
    SUBSIDY_EXPENSE: "贴息支出",
    COMPENSATION_EXPENSE: "风险补偿支出",
}
ACCOUNT_KINDS = {
    TREASURY_CASH: AccountKind.ASSET,
    POOL_CASH: AccountKind.ASSET,
    CLAWBACK_RECEIVABLE: AccountKind.ASSET,
    RECOVERY_RECEIVABLE: AccountKind.ASSET,
    SUBSIDY_PAYABLE: AccountKind.LIABILITY,
    COMPENSATION_PAYABLE: AccountKind.LIABILITY,
    APPROPRIATION: AccountKind.NET_ASSETS,
    POOL_CAPITAL: AccountKind.NET_ASSETS,
    SUBSIDY_EXPENSE: AccountKind.EXPENSE,
    COMPENSATION_EXPENSE: AccountKind.EXPENSE,
}
# Base codes by batch kind: where its payees' lines are owed, and where a negative total waits.
PAYABLE_BASE: dict[Kind, str] = {
    BatchKind.SUBSIDY: SUBSIDY_PAYABLE,
    BatchKind.COMPENSATION: COMPENSATION_PAYABLE,
}
RECEIVABLE_BASE: dict[Kind, str] = {
    BatchKind.SUBSIDY: CLAWBACK_RECEIVABLE,
    BatchKind.COMPENSATION: RECOVERY_RECEIVABLE,
}


# Base codes whose accounts name a pool (v2): the pool is the segment after the base code.
POOL_BASES = frozenset(
    {POOL_CASH, RECOVERY_RECEIVABLE, COMPENSATION_PAYABLE, POOL_CAPITAL, COMPENSATION_EXPENSE}
)


def base_code(code: str) -> str:
    """'2001:914420006FA300000G' -> '2001'."""
    return code.split(":", 1)[0]


def payee_of(code: str) -> str | None:
    """The payee (or bank) an account is kept for: '2001:{payee}' and '2002:{pool}:{bank}' ->
    the last part; None for an account of no payee ('1001', '1101:SZD', '3001:2023')."""
    base, _, rest = code.partition(":")
    if base not in PAYABLE_BASE.values() and base not in RECEIVABLE_BASE.values():
        return None
    if base in POOL_BASES:
        _pool, _, rest = rest.partition(":")
    return rest or None


def pool_of(code: str) -> str | None:
    """'2002:ZBD:BOC-ZS' -> 'ZBD'; None for an account that names no pool."""
    base, _, rest = code.partition(":")
    if base not in POOL_BASES:
        return None
    return rest.partition(":")[0] or None


def subsidy_payable(payee: str) -> str:
    return f"{SUBSIDY_PAYABLE}:{payee}"


def clawback_receivable(payee: str) -> str:
    return f"{CLAWBACK_RECEIVABLE}:{payee}"


def pool_cash(pool: str) -> str:
    return f"{POOL_CASH}:{pool}"


def pool_capital(pool: str) -> str:
    return f"{POOL_CAPITAL}:{pool}"


def compensation_expense(pool: str) -> str:
    return f"{COMPENSATION_EXPENSE}:{pool}"


def compensation_payable(pool: str, bank: str) -> str:
    return f"{COMPENSATION_PAYABLE}:{pool}:{bank}"


def recovery_receivable(pool: str, bank: str) -> str:
    return f"{RECOVERY_RECEIVABLE}:{pool}:{bank}"


def appropriation(year: int) -> str:
    return f"{APPROPRIATION}:{year}"


class UnbalancedEntry(ValueError):
    """A journal entry that does not sum to zero, or has fewer than two or a zero posting."""


@dataclass(frozen=True)
class Posting:
    account: str
    amount_fen: int  # debit > 0, credit < 0


@dataclass(frozen=True)
class JournalEntry:
    kind: str
    memo: str
    postings: tuple[Posting, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "postings", tuple(self.postings))
        if len(self.postings) < 2:
            raise UnbalancedEntry(f"{self.kind}: an entry needs at least two postings")
        for p in self.postings:
            if type(p.amount_fen) is not int or p.amount_fen == 0:
                raise UnbalancedEntry(f"{self.kind}: posting to {p.account} must be a non-zero int")
        total_fen = sum(p.amount_fen for p in self.postings)
        if total_fen != 0:
            raise UnbalancedEntry(f"{self.kind}: postings sum to {total_fen} fen, not 0")


def _transfer(debit: str, credit: str, amount_fen: int) -> list[Posting]:
    """Dr debit / Cr credit by amount; a negative amount flips the sides."""
    if amount_fen == 0:
        return []
    return [Posting(debit, amount_fen), Posting(credit, -amount_fen)]


def _accounts(kind: Kind, payee_id: str, pool: str | None) -> tuple[str, str, str, str]:
    """(expense, payable, receivable, cash) for a batch kind (and a compensation batch's pool)."""
    if kind == BatchKind.SUBSIDY:
        if pool is not None:
            raise ValueError(f"a subsidy account names no pool, got {pool!r}")
        return (
            SUBSIDY_EXPENSE,
            subsidy_payable(payee_id),
            clawback_receivable(payee_id),
            TREASURY_CASH,
        )
    if kind == BatchKind.COMPENSATION:
        if not pool:
            raise ValueError("a compensation account names its pool")
        return (
            compensation_expense(pool),
            compensation_payable(pool, payee_id),
            recovery_receivable(pool, payee_id),
            pool_cash(pool),
        )
    raise ValueError(f"unknown batch kind {kind!r}")


def payable_account(kind: Kind, payee_id: str, *, pool: str | None = None) -> str:
    """'2001:{payee}', or '2002:{pool}:{bank}' for a compensation batch of that pool."""
    return _accounts(kind, payee_id, pool)[1]


def receivable_account(kind: Kind, payee_id: str, *, pool: str | None = None) -> str:
    """'1201:{payee}', or '1202:{pool}:{bank}' for a compensation batch of that pool."""
    return _accounts(kind, payee_id, pool)[2]


def appropriation_entry(year: int, amount_fen: int, memo: str = "") -> JournalEntry:
    return JournalEntry(
        "appropriation",
        memo or f"appropriation {year}",
        tuple(_transfer(TREASURY_CASH, appropriation(year), amount_fen)),
    )


def pool_deposit_entry(pool: str, amount_fen: int, memo: str = "") -> JournalEntry:
    return JournalEntry(
        "pool_deposit",
        memo or f"risk pool {pool} deposit",
        tuple(_transfer(pool_cash(pool), pool_capital(pool), amount_fen)),
    )


def batch_line_postings(
    kind: Kind, payee_id: str, amount_fen: int, *, pool: str | None = None
) -> list[Posting]:
    """A batch line: Dr expense / Cr payable; a negative line posts the other way."""
    expense, payable, _receivable, _cash = _accounts(kind, payee_id, pool)
    return _transfer(expense, payable, amount_fen)


def receivable_move_postings(
    kind: Kind, payee_id: str, excess_fen: int, *, pool: str | None = None
) -> list[Posting]:
    """A negative payee total: Dr receivable / Cr payable by its size (the sign is ignored)."""
    _expense, payable, receivable, _cash = _accounts(kind, payee_id, pool)
    return _transfer(receivable, payable, abs(excess_fen))


def carried_in_postings(
    kind: Kind, payee_id: str, amount_fen: int, *, pool: str | None = None
) -> list[Posting]:
    """A carried line in the next batch.

    Negative (a receivable carried in): Dr payable / Cr receivable, netting it back.
    Positive (a failed payment carried in): nothing, the payable was never cleared.
    """
    if amount_fen >= 0:
        return []
    _expense, payable, receivable, _cash = _accounts(kind, payee_id, pool)
    return _transfer(payable, receivable, -amount_fen)


def payment_entry(
    kind: Kind, payee_id: str, amount_fen: int, memo: str = "", *, pool: str | None = None
) -> JournalEntry:
    """Dr payable / Cr cash (1001 for subsidies, 1101:{pool} for compensation)."""
    _expense, payable, _receivable, cash = _accounts(kind, payee_id, pool)
    return JournalEntry(
        "payment",
        memo or f"{kind} payment to {payee_id}",
        tuple(_transfer(payable, cash, amount_fen)),
    )


def receivable_settlement_entry(
    kind: Kind, payee_id: str, amount_fen: int, memo: str = "", *, pool: str | None = None
) -> JournalEntry:
    """A receivable paid back in cash: Dr cash / Cr receivable."""
    _expense, _payable, receivable, cash = _accounts(kind, payee_id, pool)
    return JournalEntry(
        "receivable_settlement",
        memo or f"{kind} receivable settled by {payee_id}",
        tuple(_transfer(cash, receivable, amount_fen)),
    )


def merge_postings(postings: Iterable[Posting]) -> tuple[Posting, ...]:
    """One posting per account (first-seen order), summed, zeros dropped."""
    totals: dict[str, int] = {}
    for p in postings:
        totals[p.account] = totals.get(p.account, 0) + p.amount_fen
    return tuple(Posting(account, amount) for account, amount in totals.items() if amount != 0)


def hold_entry(
    kind: Kind,
    payee_id: str,
    line_amount_fen: int,
    carried_out_before_fen: int,
    carried_out_after_fen: int,
    memo: str = "",
    *,
    pool: str | None = None,
) -> JournalEntry:
    """A line held back after an upheld objection: the line's close postings reversed, and
    the payee's receivable move adjusted to its new batch total (carried_out is ≤ 0).

    Holding a positive line can push the payee's total below zero (more to the receivable);
    holding a negative one can lift it back (less to the receivable)."""
    expense, payable, receivable, _cash = _accounts(kind, payee_id, pool)
    postings = _transfer(payable, expense, line_amount_fen)
    postings += _transfer(receivable, payable, carried_out_before_fen - carried_out_after_fen)
    return JournalEntry(
        f"hold:{kind}", memo or f"{kind} line of {payee_id} held back", merge_postings(postings)
    )
