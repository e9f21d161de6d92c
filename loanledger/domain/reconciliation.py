"""Reconciliation checks (domain.md §7 and §10): does what was posted agree with itself?

Each check is a pure function of plain rows that the service loads in sets; it answers a
`Check`: its name, figures (`detail`, amounts in keys ending `_fen`) and the discrepancies
found, each naming the entity it is about and what was expected against what was found.
A check is ok when it found no discrepancy. Amounts are integer fen throughout.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from .ledger import PAYABLE_BASE, base_code, payable_account, payee_of, pool_cash, pool_of
from .money import format_fen

TRIAL_BALANCE = "trial_balance_zero"
BATCH_TOTALS = "batch_totals"
PAYABLES = "payables"
POOL = "pool_covers_owed"
CONTROL_TOTALS = "control_totals"
SUBSIDY_WITHIN_INTEREST = "subsidy_within_interest"
CHECK_NAMES = (TRIAL_BALANCE, BATCH_TOTALS, PAYABLES, POOL, CONTROL_TOTALS, SUBSIDY_WITHIN_INTEREST)

Unit = Literal["money", "count"]


@dataclass(frozen=True)
class Discrepancy:
    """One disagreement: `measure` of the entity was `actual` where `expected` was due."""

    check: str
    entity: (
        str  # ledger, journal_entry, batch, batch_payee, account, risk_pool, bank, interest_record
    )
    measure: str
    expected: int
    actual: int
    unit: Unit = "money"  # money: fen; count: a number of records
    batch_id: int | None = None
    entry_id: int | None = None
    account: str | None = None
    payee_id: str | None = None
    bank_code: str | None = None
    event_id: str | None = None

    @property
    def difference(self) -> int:
        return self.actual - self.expected


@dataclass(frozen=True)
class Check:
    name: str
    detail: dict[str, Any] = field(default_factory=dict)
    discrepancies: tuple[Discrepancy, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.discrepancies


def all_ok(checks: Iterable[Check]) -> bool:
    return all(check.ok for check in checks)


# ------------------------------------------------------------------ 1. trial balance
@dataclass(frozen=True)
class EntrySum:
    entry_id: int
    sum_fen: int  # Σ of the entry's postings (debit +, credit −)
    kind: str = ""
    batch_id: int | None = None


def trial_balance_zero(total_fen: int, entries: Iterable[EntrySum], entry_count: int = 0) -> Check:
    """Σ of all postings is 0, and so is each journal entry's (entries that do are ignored)."""
    found = []
    if total_fen != 0:
        found.append(Discrepancy(TRIAL_BALANCE, "ledger", "sum of all postings", 0, total_fen))
    unbalanced = sorted((e for e in entries if e.sum_fen != 0), key=lambda e: e.entry_id)
    found.extend(
        Discrepancy(
            TRIAL_BALANCE,
            "journal_entry",
            f"sum of the postings of a {e.kind or 'journal'} entry",
            0,
            e.sum_fen,
            entry_id=e.entry_id,
            batch_id=e.batch_id,
        )
        for e in unbalanced
    )
    return Check(
        TRIAL_BALANCE,
        {"total_fen": total_fen, "entries": entry_count, "unbalanced_entries": len(unbalanced)},
        tuple(found),
    )


# ------------------------------------------------------------------ 2. batch totals
@dataclass(frozen=True)
class BatchRow:
    batch_id: int
    kind: str  # subsidy | compensation
    total_fen: int
    pool_code: str | None = None  # a compensation batch's pool (v2)


@dataclass(frozen=True)
class PayeeRow:
    batch_id: int
    payee_id: str
    pays_fen: int


@dataclass(frozen=True)
class PayeeLines:
    """Σ of one payee's active lines in a batch, and of its active positive `carried` lines."""

    batch_id: int
    payee_id: str
    active_fen: int
    carried_in_fen: int = 0


@dataclass(frozen=True)
class Movement:
    """Σ of the postings to one account by the batch's entries other than payments."""

    batch_id: int
    account: str
    sum_fen: int  # signed: a credit to a payable is negative


def batch_totals(
    batches: Iterable[BatchRow],
    payees: Iterable[PayeeRow],
    lines: Iterable[PayeeLines],
    movements: Iterable[Movement],
) -> Check:
    """For each batch: total == Σ pays == Σ max(0, active lines per payee) == ledger movement,
    where the movement is the net credit to the kind's payable accounts by the batch's
    non-payment entries plus its positive carried lines (a failed payment carried in, whose
    payable an earlier batch posted). Per payee, pays and movement against its lines."""
    batches = sorted(batches, key=lambda b: b.batch_id)
    by_id = {b.batch_id: b for b in batches}
    pays: dict[int, dict[str, int]] = defaultdict(dict)
    for p in payees:
        pays[p.batch_id][p.payee_id] = pays[p.batch_id].get(p.payee_id, 0) + p.pays_fen
    owed: dict[int, dict[str, int]] = defaultdict(dict)
    moved: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for line in lines:
        owed[line.batch_id][line.payee_id] = (
            owed[line.batch_id].get(line.payee_id, 0) + line.active_fen
        )
        moved[line.batch_id][line.payee_id] += line.carried_in_fen
    for m in movements:
        batch = by_id.get(m.batch_id)
        if batch is not None and _batch_payable(batch, m.account):
            moved[m.batch_id][payee_of(m.account) or ""] -= m.sum_fen
    found: list[Discrepancy] = []
    for batch in batches:
        found.extend(
            _one_batch(batch, pays[batch.batch_id], owed[batch.batch_id], moved[batch.batch_id])
        )
    return Check(
        BATCH_TOTALS,
        {"batches": len(batches), "total_fen": sum(b.total_fen for b in batches)},
        tuple(found),
    )


def _batch_payable(batch: BatchRow, account: str) -> bool:
    """A payable account of the batch's kind and, for compensation, of its pool."""
    return base_code(account) == PAYABLE_BASE[batch.kind] and pool_of(account) == batch.pool_code


def _one_batch(
    batch: BatchRow, pays: Mapping[str, int], owed: Mapping[str, int], moved: Mapping[str, int]
) -> list[Discrepancy]:
    found = []
    for payee in sorted(set(pays) | set(owed) | set(moved)):
        due = max(0, owed.get(payee, 0))
        for measure, actual in (
            ("batch_payees.pays", pays.get(payee, 0)),
            ("ledger movement", moved.get(payee, 0)),
        ):
            if actual != due:
                found.append(
                    Discrepancy(
                        BATCH_TOTALS,
                        "batch_payee",
                        f"{measure} against max(0, active lines)",
                        due,
                        actual,
                        batch_id=batch.batch_id,
                        payee_id=payee,
                        account=payable_account(batch.kind, payee, pool=batch.pool_code),
                    )
                )
    sums = (
        ("Σ batch_payees.pays", sum(pays.values())),
        ("Σ max(0, active lines per payee)", sum(max(0, v) for v in owed.values())),
        ("ledger movement", sum(moved.values())),
    )
    found[:0] = [
        Discrepancy(
            BATCH_TOTALS,
            "batch",
            f"{measure} against batch total",
            batch.total_fen,
            actual,
            batch_id=batch.batch_id,
        )
        for measure, actual in sums
        if actual != batch.total_fen
    ]
    return found


# ------------------------------------------------------------------ 3. payables
def payables(balances: Mapping[str, int], outstanding: Mapping[str, int]) -> Check:
    """Each payable account's credit balance (−balance) equals what its payee is still to be
    paid: `outstanding[account]`, Σ pays of its pending (and failed, not carried) payees."""
    found = []
    accounts = sorted(set(balances) | {a for a, v in outstanding.items() if v})
    for account in accounts:
        credit = -balances.get(account, 0)
        due = outstanding.get(account, 0)
        if credit != due:
            found.append(
                Discrepancy(
                    PAYABLES,
                    "account",
                    "credit balance against pending payments",
                    due,
                    credit,
                    account=account,
                    payee_id=payee_of(account),
                )
            )
    return Check(
        PAYABLES,
        {
            "accounts": len(accounts),
            "credit_balance_fen": -sum(balances.values()),
            "outstanding_fen": sum(outstanding.values()),
        },
        tuple(found),
    )


# ------------------------------------------------------------------ 4. risk pools
def pool_covers_owed(pools: Mapping[str, tuple[int, int]]) -> Check:
    """Each risk pool's cash (1101:{pool}) covers what that pool owes the banks (v2: pools
    never mix, so one pool's cash does not cover another's debts). `pools`: code → (cash, owed)."""
    found = tuple(
        Discrepancy(
            POOL,
            "risk_pool",
            f"pool {code} cash against what it owes (cash must not be less)",
            owed_fen,
            cash_fen,
            account=pool_cash(code),
        )
        for code, (cash_fen, owed_fen) in sorted(pools.items())
        if cash_fen < owed_fen
    )
    cash_fen = sum(cash for cash, _owed in pools.values())
    owed_fen = sum(owed for _cash, owed in pools.values())
    by_pool = {
        code: {
            "cash": format_fen(cash),
            "owed": format_fen(owed),
            "available": format_fen(cash - owed),
        }
        for code, (cash, owed) in sorted(pools.items())
    }
    return Check(
        POOL,
        {
            "cash_fen": cash_fen,
            "owed_fen": owed_fen,
            "available_fen": cash_fen - owed_fen,
            "pools": by_pool,
        },
        found,
    )


# ------------------------------------------------------------------ 5. control totals
@dataclass(frozen=True)
class BankFigures:
    """A bank's latest declared control total for the period, and what LoanLedger holds."""

    bank_code: str
    declared_records: int
    declared_fen: int
    held_records: int
    held_fen: int


def control_totals(banks: Iterable[BankFigures], undeclared: Iterable[str] = ()) -> Check:
    """One check over every bank that declared: expected is the bank's figure, actual ours.
    Banks with interest paid in the period but no declaration are listed, not failed."""
    banks = sorted(banks, key=lambda b: b.bank_code)
    found = []
    for b in banks:
        if b.declared_records != b.held_records:
            found.append(
                Discrepancy(
                    CONTROL_TOTALS,
                    "bank",
                    "interest_records",
                    b.declared_records,
                    b.held_records,
                    unit="count",
                    bank_code=b.bank_code,
                )
            )
        if b.declared_fen != b.held_fen:
            found.append(
                Discrepancy(
                    CONTROL_TOTALS,
                    "bank",
                    "interest_total",
                    b.declared_fen,
                    b.held_fen,
                    bank_code=b.bank_code,
                )
            )
    matching = sum(
        1 for b in banks if (b.declared_records, b.declared_fen) == (b.held_records, b.held_fen)
    )
    return Check(
        CONTROL_TOTALS,
        {
            "banks_declared": len(banks),
            "banks_matching": matching,
            "banks_without_control_total": sorted(set(undeclared)),
        },
        tuple(found),
    )


# ------------------------------------------------------------------ 6. subsidy within interest
@dataclass(frozen=True)
class RecordLines:
    """An interest record and Σ of its active lines over all periods."""

    event_pk: int
    bank_code: str
    event_id: str
    interest_fen: int
    lined_fen: int


def subsidy_within_interest(records: Iterable[RecordLines], records_checked: int = 0) -> Check:
    """No interest record is granted more, over all its lines, than the interest paid."""
    over = sorted(
        (r for r in records if r.lined_fen > r.interest_fen),
        key=lambda r: (r.bank_code, r.event_id),
    )
    found = tuple(
        Discrepancy(
            SUBSIDY_WITHIN_INTEREST,
            "interest_record",
            "Σ active lines against interest paid (at most)",
            r.interest_fen,
            r.lined_fen,
            bank_code=r.bank_code,
            event_id=r.event_id,
        )
        for r in over
    )
    return Check(
        SUBSIDY_WITHIN_INTEREST, {"records": records_checked, "records_over": len(over)}, found
    )
