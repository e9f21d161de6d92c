"""Reference data: products, enterprises (in pages, matching a search, one with everything
about it), filings (filtered by status on a date, one, their documents), LPR, the budget per
year and the risk pool."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Row, func, or_, select
from sqlalchemy.orm import Session

from loanledger.domain.policy import pool_policy
from loanledger.domain.pools import SZD
from loanledger.domain.vocabulary import BatchKind, BatchStatus, PaymentStatus
from loanledger.persistence.tables import (
    Bank,
    Batch,
    BatchPayee,
    BlacklistEntry,
    Budget,
    Claim,
    Enterprise,
    Filing,
    Loan,
    LprRate,
    Product,
    RecordState,
    RiskPool,
    User,
)
from loanledger.services import pools, registry
from loanledger.services.read.loans import enterprise_matching, enterprise_name, like_escaped
from loanledger.services.read.paging import Page, keyset_page, list_page
from loanledger.services.read.sorting import (
    NumberedPage,
    Sort,
    Sorts,
    list_numbered,
    numbered_page,
)


def products(db: Session, bank_code: str | None = None, *, limit: int, cursor: str | None) -> Page:
    stmt = select(Product.__table__)
    if bank_code is not None:
        stmt = stmt.where(Product.bank_code == bank_code)
    return keyset_page(db, stmt, [Product.product_code], limit=limit, cursor=cursor)


@dataclass(frozen=True)
class Names:
    """What a page shows instead of codes: bank, product and enterprise names by code."""

    banks: dict[str, str]
    products: dict[str, str]
    enterprises: dict[str, str]


def names(
    db: Session,
    *,
    banks: Iterable[str] = (),
    products: Iterable[str] = (),
    enterprises: Iterable[str] = (),
) -> Names:
    """The names of the codes given: one query per kind, none for a kind not asked."""

    def lookup(key, name, codes: Iterable[str]) -> dict[str, str]:
        wanted = sorted(set(codes))
        if not wanted:
            return {}
        return {row[0]: row[1] for row in db.execute(select(key, name).where(key.in_(wanted)))}

    return Names(
        lookup(Bank.bank_code, Bank.name, banks),
        lookup(Product.product_code, Product.name, products),
        lookup(Enterprise.uscc, Enterprise.name, enterprises),
    )


# Actors that are no person: the programme itself, and the command line and demo loaders.
MACHINE_ACTORS = ("system", "scheduler", "cli", "demo")


@dataclass(frozen=True)
class DisplayNames:
    """How a page names what the data holds by code: banks, products and risk pools by
    their names, people (an actor such as `user:clerk`) by their display names, a bank
    acting through the API (`bank:ZSRCB`) by its name. A code without a name shows itself."""

    banks: dict[str, str]
    products: dict[str, str]
    pools: dict[str, str]
    people: dict[str, str]  # username → display name (the username when none is set)

    def bank(self, code: str | None) -> str:
        return "" if code is None else self.banks.get(code, code)

    def product(self, code: str | None) -> str:
        return "" if code is None else self.products.get(code, code)

    def pool(self, code: str | None) -> str:
        return "" if code is None else self.pools.get(code, code)

    def actor(self, actor: str | None) -> str:
        """`user:clerk` → 张敏, `bank:ZSRCB` → 中山农商银行; a machine actor (MACHINE_ACTORS)
        and anything else as it is, for the page to put in words."""
        if not actor:
            return ""
        kind, _, who = actor.partition(":")
        if kind == "user" and who:
            return self.people.get(who, who)
        if kind == "bank" and who:
            return self.banks.get(who, who)
        return actor

    def actor_named(self, words: str) -> str:
        """The actor a person means by a name (the audit page's filter): a person's display
        name or username → `user:…`, a bank's name or code → `bank:…`; anything else (an
        actor as stored, `system`) as it is."""
        people = [u for u, name in self.people.items() if words in (u, name)]
        if len(people) == 1:
            return f"user:{people[0]}"
        banks = [code for code, name in self.banks.items() if words in (code, name)]
        if len(banks) == 1 and not people:
            return f"bank:{banks[0]}"
        return words


def display_names(db: Session) -> DisplayNames:
    """Every bank's, product's, pool's and person's name: small tables (tens of rows, the
    users a few hundred at most), read whole, four queries a page."""

    def pairs(stmt) -> dict[str, str]:
        return {code: name or code for code, name in db.execute(stmt)}

    return DisplayNames(
        pairs(select(Bank.bank_code, Bank.name)),
        pairs(select(Product.product_code, Product.name)),
        pairs(select(RiskPool.pool_code, RiskPool.name)),
        pairs(select(User.username, User.display_name)),
    )


def bank_names(db: Session) -> dict[str, str]:
    """Every partner bank's name by code, in code order (a page's choice of bank)."""
    rows = db.execute(select(Bank.bank_code, Bank.name).order_by(Bank.bank_code))
    return {row[0]: row[1] for row in rows}


# ------------------------------------------------------------------ enterprises
def enterprise(db: Session, uscc: str) -> Row | None:
    return db.execute(select(Enterprise.__table__).where(Enterprise.uscc == uscc)).one_or_none()


def enterprises(db: Session, *, limit: int, cursor: str | None) -> Page:
    return keyset_page(
        db, select(Enterprise.__table__), [Enterprise.uscc], limit=limit, cursor=cursor
    )


def enterprises_matching(db: Session, q: str | None, *, limit: int, cursor: str | None) -> Page:
    """A page of the enterprises whose name or USCC contains `q` (all when None), by name."""
    stmt = select(Enterprise.__table__)
    if q:
        pattern = "%" + like_escaped(q) + "%"
        stmt = stmt.where(
            or_(
                Enterprise.name.like(pattern, escape="\\"),
                Enterprise.uscc.like(pattern, escape="\\"),
            )
        )
    order = [Enterprise.name, Enterprise.uscc]
    return keyset_page(db, stmt, order, limit=limit, cursor=cursor)


ENTERPRISE_SORTS = Sorts(
    {
        "name": Enterprise.name,
        "uscc": Enterprise.uscc,
        "established_on": Enterprise.established_on,
        "town": Enterprise.town,
        "industry": Enterprise.industry,
    },
    Sort("name"),
    [Enterprise.uscc],
)


def enterprises_numbered(
    db: Session,
    q: str | None,
    page: int,
    sort: Sort = ENTERPRISE_SORTS.default,
    *,
    size: int,
) -> NumberedPage:
    """Page `page` of the enterprises whose name or USCC contains `q` (in any case; all when
    None), in `sort` order: the staff's enterprise list."""
    stmt = select(Enterprise.__table__)
    if q:
        stmt = stmt.where(enterprise_matching(Enterprise.uscc, q))
    return numbered_page(db, stmt, ENTERPRISE_SORTS.order_by(sort), page, size)


def enterprise_overview(db: Session, uscc: str, today: dt.date) -> dict[str, Any] | None:
    """GET /enterprises/{uscc} and its page: the enterprise with its blacklist entries,
    filings (status today), loans, and subsidy granted per calendar year of paid_on; None
    when there is no such enterprise."""
    found = enterprise(db, uscc)
    if found is None:
        return None
    blacklist = db.execute(
        select(BlacklistEntry.__table__)
        .where(BlacklistEntry.uscc == uscc)
        .order_by(BlacklistEntry.effective_from, BlacklistEntry.id)
    ).all()
    its_filings = db.execute(
        select(Filing.__table__)
        .where(Filing.uscc == uscc)
        .order_by(Filing.approved_on, Filing.filing_no)
    ).all()
    loans = db.execute(
        select(Loan.__table__).where(Loan.uscc == uscc).order_by(Loan.bank_code, Loan.contract_no)
    )
    granted = db.execute(
        select(RecordState.year, func.coalesce(func.sum(RecordState.granted_fen), 0))
        .where(RecordState.uscc == uscc)
        .group_by(RecordState.year)
        .order_by(RecordState.year)
    )
    return {
        **registry.enterprise_doc(found),
        "blacklist": [registry.blacklist_doc(b) for b in blacklist],
        "filings": filing_docs(db, its_filings, today),
        "loans": [
            {
                "bank_code": loan.bank_code,
                "contract_no": loan.contract_no,
                "product_code": loan.product_code,
                "filing_no": loan.filing_no,
                "principal": loan.principal_fen,
                "start_date": loan.start_date,
                "maturity_date": loan.maturity_date,
                "coverage": loan.coverage,
            }
            for loan in loans
        ],
        "subsidy_totals": [{"year": year, "granted": int(total)} for year, total in granted],
    }


# ------------------------------------------------------------------ filings
def filings(
    db: Session,
    today: dt.date,
    uscc: str | None = None,
    status: str | None = None,
    *,
    limit: int,
    cursor: str | None,
) -> Page:
    """A page of filings (rows) by filing_no: of one enterprise, with a status on `today`
    (computed per chunk: it depends on the loans' first disbursements and the policy)."""
    stmt = select(Filing.__table__)
    if uscc is not None:
        stmt = stmt.where(Filing.uscc == uscc)
    keep = None
    if status is not None:
        policy = registry.policy_in_force(db, today)[1]

        def keep(rows: list[Row]) -> list[Row]:
            statuses = registry.filing_statuses(db, rows, today, policy)
            return [f for f in rows if statuses[f.filing_no] == status]

    return keyset_page(db, stmt, [Filing.filing_no], limit=limit, cursor=cursor, keep=keep)


FILING_SORTS = Sorts(
    {
        "filing_no": Filing.filing_no,
        "enterprise": enterprise_name(Filing.uscc),
        "project_name": Filing.project_name,
        "investment": Filing.eligible_investment_fen,
        "approved_on": Filing.approved_on,
    },
    Sort("approved_on", descending=True),
    [Filing.filing_no],
)


def _filings_of(enterprise: str | None, bank_code: str | None):
    stmt = select(Filing.__table__)
    if enterprise:
        stmt = stmt.where(enterprise_matching(Filing.uscc, enterprise))
    if bank_code:
        linked = select(Loan.filing_no).where(Loan.bank_code == bank_code)
        stmt = stmt.where(Filing.filing_no.in_(linked))
    return stmt


def filings_numbered(
    db: Session,
    today: dt.date,
    page: int,
    sort: Sort = FILING_SORTS.default,
    *,
    enterprise: str | None = None,
    status: str | None = None,
    bank_code: str | None = None,
    size: int,
) -> NumberedPage:
    """Page `page` of the filings of an enterprise matching `enterprise` (a piece of its name
    or USCC), with a loan at `bank_code`, and with `status` on `today`, in `sort` order: the
    staff's filing list. A status depends on the loans' first disbursements and the policy, so
    that filter runs over the rows the others leave, in chunks of the IN list's size."""
    stmt = _filings_of(enterprise, bank_code)
    order = FILING_SORTS.order_by(sort)
    if status is None:
        return numbered_page(db, stmt, order, page, size)
    policy = registry.policy_in_force(db, today)[1]
    rows = db.execute(stmt.order_by(*order)).all()
    kept: list[Row] = []
    for i in range(0, len(rows), 900):
        chunk = rows[i : i + 900]
        statuses = registry.filing_statuses(db, chunk, today, policy)
        kept.extend(f for f in chunk if statuses[f.filing_no] == status)
    return list_numbered(kept, page, size)


def filing(db: Session, filing_no: str) -> Row | None:
    return db.execute(select(Filing.__table__).where(Filing.filing_no == filing_no)).one_or_none()


def filing_docs(db: Session, filings: Sequence[Filing | Row], on: dt.date) -> list[dict[str, Any]]:
    """The filings as the API and the pages show them (fen as int, dates as date), each with
    its status on `on` and its linked loans; `filings` are rows, or those a use case wrote."""
    statuses = registry.filing_statuses(db, filings, on)
    loans = _filing_loans(db, [f.filing_no for f in filings])
    return [
        {
            "filing_no": f.filing_no,
            "uscc": f.uscc,
            "project_name": f.project_name,
            "eligible_investment": f.eligible_investment_fen,
            "approved_on": f.approved_on,
            "status": statuses[f.filing_no],
            "revoked_on": f.revoked_on,
            "revoke_reason": f.revoke_reason,
            "clawback": f.clawback,
            "completed_on": f.completed_on,
            "completion_note": f.completion_note,
            "loans": [{"bank_code": b, "contract_no": c} for b, c in loans.get(f.filing_no, [])],
        }
        for f in filings
    ]


def _filing_loans(db: Session, filing_nos: Iterable[str]) -> dict[str, list[tuple[str, str]]]:
    """filing_no → [(bank_code, contract_no)] of its linked loans."""
    out: dict[str, list[tuple[str, str]]] = defaultdict(list)
    filing_nos = list(set(filing_nos))
    if filing_nos:
        for filing_no, bank_code, contract_no in db.execute(
            select(Loan.filing_no, Loan.bank_code, Loan.contract_no)
            .where(Loan.filing_no.in_(filing_nos))
            .order_by(Loan.bank_code, Loan.contract_no)
        ):
            out[cast(str, filing_no)].append((bank_code, contract_no))  # linked: IN filing_nos
    return out


def lpr_rates(db: Session, *, limit: int, cursor: str | None) -> Page:
    return keyset_page(
        db, select(LprRate.__table__), [LprRate.published_on], limit=limit, cursor=cursor
    )


# ------------------------------------------------------------------ budgets
@dataclass(frozen=True)
class BudgetYear:
    year: int
    appropriated_fen: int
    paid_fen: int
    approved_unpaid_fen: int

    @property
    def left_fen(self) -> int:
        return self.appropriated_fen - self.paid_fen - self.approved_unpaid_fen


APPROVED_STATUSES = (BatchStatus.APPROVED, BatchStatus.PAID, BatchStatus.PARTIALLY_PAID)


def budget_years(db: Session, years: Iterable[int] | None = None) -> list[BudgetYear]:
    """Per budget year (the year a subsidy batch was approved in, §7 v2): appropriated; paid = pays of payees paid;
    approved_unpaid = pays of payees not yet paid nor failed in approved batches
    (a failed payment is carried into a later batch, which counts when approved).
    Every year with a figure, or just `years`."""
    appropriated: dict[int, int] = defaultdict(int)
    paid: dict[int, int] = defaultdict(int)
    unpaid: dict[int, int] = defaultdict(int)
    for year, total in db.execute(
        select(Budget.year, func.sum(Budget.amount_fen)).group_by(Budget.year)
    ):
        appropriated[int(year)] += int(total)
    # Only an approved batch has a budget year, and only approved batches pay or owe.
    for budget_year, batch_status, payment_status, total in db.execute(
        select(
            Batch.budget_year,
            Batch.status,
            BatchPayee.payment_status,
            func.sum(BatchPayee.pays_fen),
        )
        .join(BatchPayee, BatchPayee.batch_id == Batch.id)
        .where(Batch.kind == BatchKind.SUBSIDY, Batch.budget_year.is_not(None))
        .group_by(Batch.budget_year, Batch.status, BatchPayee.payment_status)
    ):
        year = cast(int, budget_year)  # the WHERE leaves only batches with a budget year
        if payment_status == PaymentStatus.PAID:
            paid[year] += int(total)
        elif batch_status in APPROVED_STATUSES and payment_status in (
            PaymentStatus.NONE,
            PaymentStatus.PENDING,
        ):
            unpaid[year] += int(total)
    wanted = set(appropriated) | set(paid) | set(unpaid) if years is None else set(years)
    return [BudgetYear(y, appropriated[y], paid[y], unpaid[y]) for y in sorted(wanted)]


def budget_years_page(db: Session, *, limit: int, cursor: str | None) -> Page:
    """A page of `budget_years` (GET /budgets), by year."""
    return list_page(budget_years(db), lambda y: (y.year,), [int], limit=limit, cursor=cursor)


def budget_left(db: Session, year: int) -> int:
    """Appropriations − paid − approved unpaid of one year (the approval check, §7)."""
    return budget_years(db, [year])[0].left_fen


# ------------------------------------------------------------------ the risk pool
@dataclass(frozen=True)
class PoolStatus:
    cash_fen: int
    owed_fen: int
    covered_principal_fen: int
    leverage: int
    claim_count: int = 0
    claims_fen: int = 0  # Σ compensation of its claims
    shortfall_fen: int = 0  # what its cash could not line yet (§5 pool shortfall)

    @property
    def available_fen(self) -> int:
        return self.cash_fen - self.owed_fen

    @property
    def capacity_fen(self) -> int:
        return self.cash_fen * self.leverage - self.covered_principal_fen


def pool_status(db: Session, today: dt.date, pool_code: str = SZD) -> PoolStatus:
    """One pool's cash, what it owes the banks, the principal it covers and its leverage in
    force on `today` (its `pools` rule over the default): GET /risk-pools/{code}, the dashboard."""
    policy = registry.policy_in_force(db, today)[1]
    count, claims_fen, lined_fen = db.execute(
        select(
            func.count(Claim.id),
            func.coalesce(func.sum(Claim.compensation_fen), 0),
            func.coalesce(func.sum(Claim.lined_fen), 0),
        ).where(Claim.pool_code == pool_code)
    ).one()
    return PoolStatus(
        pools.pool_cash(db, pool_code),
        pools.pool_owed(db, pool_code),
        pools.covered_principal(db, pool_code),
        pool_policy(policy, pool_code).pool_leverage,
        int(count),
        int(claims_fen),
        int(claims_fen) - int(lined_fen),
    )


def pool_statuses(db: Session, today: dt.date) -> list[tuple[Row, PoolStatus]]:
    """Every pool with its figures, in pool_code order (the dashboard)."""
    rows = db.execute(select(RiskPool.__table__).order_by(RiskPool.pool_code)).all()
    return [(row, pool_status(db, today, row.pool_code)) for row in rows]


def risk_pool(db: Session, pool_code: str) -> Row | None:
    return db.execute(
        select(RiskPool.__table__).where(RiskPool.pool_code == pool_code)
    ).one_or_none()


def risk_pools(db: Session, *, limit: int, cursor: str | None) -> Page:
    """The pools in pool_code order (GET /risk-pools)."""
    return keyset_page(
        db, select(RiskPool.__table__), [RiskPool.pool_code], limit=limit, cursor=cursor
    )
